import assert from "node:assert/strict";
import { InvalidScopeError, ParseError } from "./errors.ts";
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

function assertRejects(fn: () => unknown, input: string, rule: string) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof InvalidScopeError, String(err));
    assert.ok(err instanceof ParseError);
    assert.equal(err.name, "InvalidScopeError");
    assert.equal(err.input, input);
    assert.ok(err.rule.includes(rule), `rule ${err.rule} lacks ${rule}`);
    assert.ok(err.message.startsWith("Invalid scope "), err.message);
    assert.ok(err.message.endsWith(`: ${err.rule}`), err.message);
    return true;
  });
}

Deno.test("parseScope() parses the accepted vectors", async (t) => {
  for (const v of vectors.accepted) {
    await t.step(v.name, () => {
      assert.deepEqual(parseScope(v.input), v.expected);
    });
  }
});

Deno.test("formatScope() writes the accepted vectors back as they were", async (t) => {
  for (const v of vectors.accepted) {
    await t.step(v.name, () => {
      assert.equal(formatScope(v.expected), v.input);
    });
  }
});

Deno.test("parseScope() rejects the rejected vectors naming the rule", async (t) => {
  for (const v of vectors.rejected) {
    await t.step(v.name, () => {
      assertRejects(() => parseScope(v.input), v.input, v.rule);
    });
  }
});

Deno.test("parseScope() rejects scopes longer than 1024 characters", () => {
  const ok = `repository:${"a".repeat(1024 - "repository::pull".length)}:pull`;
  assert.equal(ok.length, 1024);
  assert.equal(parseScope(ok).name.length, 1008);
  const long = `repository:${"a".repeat(1024)}:pull`;
  assertRejects(() => parseScope(long), long, "longer than 1024 characters");
});

Deno.test("parseScopes() parses the list vectors", async (t) => {
  for (const v of vectors.lists) {
    await t.step(v.name, () => {
      assert.deepEqual(parseScopes(v.input), v.expected);
    });
  }
});

Deno.test("parseScopes() rejects a list with a bad scope, naming that scope", async (t) => {
  for (const v of vectors.listsRejected) {
    await t.step(v.name, () => {
      assertRejects(() => parseScopes(v.input), v.errorInput, v.rule);
    });
  }
});

Deno.test("parseScopes() rejects lists longer than 16384 characters", () => {
  // 655 scopes of 24 characters and 654 spaces: 16374 characters.
  const list = Array(655).fill("repository:abcdefgh:pull").join(" ");
  assert.equal(parseScopes(`${list}${" ".repeat(10)}`).length, 655);
  const long = `${list}${" ".repeat(11)}`;
  assertRejects(
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
    assertRejects(() => formatScope(scope), text, rule);
  }
});

Deno.test("CATALOG_SCOPE is registry:catalog:* and frozen", () => {
  assert.equal(formatScope(CATALOG_SCOPE), "registry:catalog:*");
  assert.ok(Object.isFrozen(CATALOG_SCOPE));
  assert.ok(Object.isFrozen(CATALOG_SCOPE.actions));
  assert.throws(() => CATALOG_SCOPE.actions.push("pull"), TypeError);
});

Deno.test("repositoryScope() builds a repository scope with a copy of the actions", () => {
  const actions = ["pull", "push"];
  const scope = repositoryScope("localhost:5000/foo", actions);
  assert.deepEqual(scope, {
    type: "repository",
    name: "localhost:5000/foo",
    actions: ["pull", "push"],
  });
  assert.notEqual(scope.actions, actions);
  assert.equal(formatScope(scope), "repository:localhost:5000/foo:pull,push");
});

Deno.test("repositoryScope() rejects bad names and actions", () => {
  assertRejects(
    () => repositoryScope("Foo", ["pull"]),
    "repository:Foo:pull",
    'invalid name component "Foo"',
  );
  assertRejects(
    () => repositoryScope("foo", ["pull", "Push"]),
    "repository:foo:pull,Push",
    'invalid action "Push"',
  );
  assertRejects(
    () => repositoryScope("", ["pull"]),
    "repository::pull",
    "empty name",
  );
});

Deno.test("mergeScopes() merges the vectors", async (t) => {
  for (const v of vectors.merges) {
    await t.step(v.name, () => {
      assert.deepEqual(mergeScopes(v.input).map(formatScope), v.expected);
    });
  }
});

Deno.test("mergeScopes() accepts Scope objects and leaves them unchanged", () => {
  const a: Scope = { type: "repository", name: "a", actions: ["push"] };
  const merged = mergeScopes([a, "repository:a:pull", CATALOG_SCOPE]);
  assert.deepEqual(merged, [
    { type: "registry", name: "catalog", actions: ["*"] },
    { type: "repository", name: "a", actions: ["pull", "push"] },
  ]);
  assert.deepEqual(a, { type: "repository", name: "a", actions: ["push"] });
  assert.notEqual(merged[0], CATALOG_SCOPE);
});

Deno.test("mergeScopes() gives the same result in any input order", () => {
  const input = [
    "repository:b:push",
    "repository:a:delete,pull",
    "registry:catalog:*",
    "repository:b:pull,x",
  ];
  const expected = mergeScopes(input);
  assert.deepEqual(mergeScopes([...input].reverse()), expected);
  assert.deepEqual(
    mergeScopes([input[2], input[0], input[3], input[1]]),
    expected,
  );
});

Deno.test("mergeScopes() rejects bad texts and bad scopes", () => {
  assertRejects(
    () => mergeScopes(["repository:a"]),
    "repository:a",
    "must be type:name:actions",
  );
  assertRejects(
    () => mergeScopes([{ type: "repository", name: "A", actions: [] }]),
    "repository:A:",
    "invalid name component",
  );
});

Deno.test("scopesCover() decides the vectors", async (t) => {
  for (const v of vectors.covers) {
    await t.step(v.name, () => {
      assert.equal(
        scopesCover(parseScopes(v.granted), parseScopes(v.wanted)),
        v.expected,
      );
    });
  }
});
