import {
  assert,
  assertEquals,
  assertNotStrictEquals,
  assertThrows,
} from "@std/assert";
import { InvalidScopeError, ParseError } from "../errors.ts";
import {
  CATALOG_SCOPE,
  formatScope,
  mergeScopes,
  parseScope,
  parseScopes,
  repositoryScope,
  type Scope,
  scopesCover,
} from "./scope.ts";
import vectors from "./testdata/scopes.json" with { type: "json" };

function assertInvalid(fn: () => unknown, input: string, rule: string) {
  const err = assertThrows(fn, InvalidScopeError);
  assert(err instanceof ParseError);
  assertEquals(err.name, "InvalidScopeError");
  assertEquals(err.input, input);
  assert(err.rule.includes(rule), `rule ${err.rule} lacks ${rule}`);
  assert(err.message.startsWith("Invalid scope "), err.message);
  assert(err.message.endsWith(`: ${err.rule}`), err.message);
}

Deno.test("parseScope() parses the accepted vectors", async (t) => {
  for (const v of vectors.accepted) {
    await t.step(v.name, () => {
      assertEquals(parseScope(v.input), v.expected);
    });
  }
});

Deno.test("formatScope() writes the accepted vectors back as they were", async (t) => {
  for (const v of vectors.accepted) {
    await t.step(v.name, () => {
      assertEquals(formatScope(v.expected), v.input);
    });
  }
});

Deno.test("parseScope() rejects the rejected vectors naming the rule", async (t) => {
  for (const v of vectors.rejected) {
    await t.step(v.name, () => {
      assertInvalid(() => parseScope(v.input), v.input, v.rule);
    });
  }
});

Deno.test("parseScope() rejects scopes longer than 1024 characters", () => {
  const ok = `repository:${"a".repeat(1024 - "repository::pull".length)}:pull`;
  assertEquals(ok.length, 1024);
  assertEquals(parseScope(ok).name.length, 1008);
  const long = `repository:${"a".repeat(1024)}:pull`;
  assertInvalid(() => parseScope(long), long, "longer than 1024 characters");
});

Deno.test("parseScopes() parses the list vectors", async (t) => {
  for (const v of vectors.lists) {
    await t.step(v.name, () => {
      assertEquals(parseScopes(v.input), v.expected);
    });
  }
});

Deno.test("parseScopes() rejects a list with a bad scope, naming that scope", async (t) => {
  for (const v of vectors.listsRejected) {
    await t.step(v.name, () => {
      assertInvalid(() => parseScopes(v.input), v.errorInput, v.rule);
    });
  }
});

Deno.test("parseScopes() rejects lists longer than 16384 characters", () => {
  // 655 scopes of 24 characters and 654 spaces: 16374 characters.
  const list = Array(655).fill("repository:abcdefgh:pull").join(" ");
  assertEquals(parseScopes(`${list}${" ".repeat(10)}`).length, 655);
  const long = `${list}${" ".repeat(11)}`;
  assertInvalid(
    () => parseScopes(long),
    long,
    "longer than 16384 characters",
  );
});

Deno.test("formatScope() rejects scopes that break the grammar", () => {
  const cases: [Scope, string][] = [
    [{ type: "repository", name: "a b", actions: ["pull"] }, "invalid name"],
    [{ type: "Repo", name: "a", actions: ["pull"] }, "invalid type"],
    [
      { type: "repository", name: "a", actions: ["pull push"] },
      "invalid action",
    ],
    [{ type: "repository", name: "a", actions: [""] }, "empty action"],
    [{ type: "repository", name: "", actions: [] }, "empty name"],
  ];
  for (const [scope, rule] of cases) {
    const text = `${scope.type}:${scope.name}:${scope.actions.join(",")}`;
    assertInvalid(() => formatScope(scope), text, rule);
  }
});

Deno.test("CATALOG_SCOPE is registry:catalog:* and frozen", () => {
  assertEquals(formatScope(CATALOG_SCOPE), "registry:catalog:*");
  assert(Object.isFrozen(CATALOG_SCOPE));
  assert(Object.isFrozen(CATALOG_SCOPE.actions));
  assertThrows(() => CATALOG_SCOPE.actions.push("pull"), TypeError);
});

Deno.test("repositoryScope() builds a repository scope with a copy of the actions", () => {
  const actions = ["pull", "push"];
  const scope = repositoryScope("localhost:5000/foo", actions);
  assertEquals(scope, {
    type: "repository",
    name: "localhost:5000/foo",
    actions: ["pull", "push"],
  });
  assertNotStrictEquals(scope.actions, actions);
  assertEquals(formatScope(scope), "repository:localhost:5000/foo:pull,push");
});

Deno.test("repositoryScope() rejects bad names and actions", () => {
  assertInvalid(
    () => repositoryScope("Foo", ["pull"]),
    "repository:Foo:pull",
    'invalid name component "Foo"',
  );
  assertInvalid(
    () => repositoryScope("foo", ["pull", "Push"]),
    "repository:foo:pull,Push",
    'invalid action "Push"',
  );
  assertInvalid(
    () => repositoryScope("", ["pull"]),
    "repository::pull",
    "empty name",
  );
});

Deno.test("mergeScopes() merges the vectors", async (t) => {
  for (const v of vectors.merges) {
    await t.step(v.name, () => {
      assertEquals(mergeScopes(v.input).map(formatScope), v.expected);
    });
  }
});

Deno.test("mergeScopes() accepts Scope objects and leaves them unchanged", () => {
  const a: Scope = { type: "repository", name: "a", actions: ["push"] };
  const merged = mergeScopes([a, "repository:a:pull", CATALOG_SCOPE]);
  assertEquals(merged, [
    { type: "registry", name: "catalog", actions: ["*"] },
    { type: "repository", name: "a", actions: ["pull", "push"] },
  ]);
  assertEquals(a, { type: "repository", name: "a", actions: ["push"] });
  assertNotStrictEquals(merged[0], CATALOG_SCOPE);
});

Deno.test("mergeScopes() gives the same result in any input order", () => {
  const input = [
    "repository:b:push",
    "repository:a:delete,pull",
    "registry:catalog:*",
    "repository:b:pull,x",
  ];
  const expected = mergeScopes(input);
  assertEquals(mergeScopes([...input].reverse()), expected);
  assertEquals(
    mergeScopes([input[2], input[0], input[3], input[1]]),
    expected,
  );
});

Deno.test("mergeScopes() rejects bad texts and bad scopes", () => {
  assertInvalid(
    () => mergeScopes(["repository:a"]),
    "repository:a",
    "must be type:name:actions",
  );
  assertInvalid(
    () => mergeScopes([{ type: "repository", name: "A", actions: [] }]),
    "repository:A:",
    "invalid name component",
  );
});

Deno.test("scopesCover() decides the vectors", async (t) => {
  for (const v of vectors.covers) {
    await t.step(v.name, () => {
      assertEquals(
        scopesCover(parseScopes(v.granted), parseScopes(v.wanted)),
        v.expected,
      );
    });
  }
});
