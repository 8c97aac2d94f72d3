import {
  assert,
  assertEquals,
  assertMatch,
  assertNotStrictEquals,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { InvalidReferenceError, ParseError } from "../errors.ts";
import {
  DEFAULT_INDEX_NAME,
  DEFAULT_TAG,
  isValidRepoName,
  isValidTag,
  parseIndex,
  parseRepo,
  parseRepoAndRef,
  parseRepoAndTag,
  type RegistryIndex,
  type RepoRef,
} from "./reference.ts";

interface AcceptedVector {
  note?: string;
  fn: "parseRepo" | "parseRepoAndRef";
  input: string;
  defaultIndex?: string | RegistryIndex;
  expected: Record<string, unknown>;
  canonicalRef?: string;
}

interface RejectedVector {
  note?: string;
  fn: "parseRepo" | "parseRepoAndRef";
  input: string;
  defaultIndex?: string | RegistryIndex;
  errorInput?: string;
  what: string;
  rule: string;
}

interface IndexAcceptedVector {
  note?: string;
  input: string | null;
  expected: RegistryIndex;
}

interface IndexRejectedVector {
  note?: string;
  input: string;
  what: string;
  rule: string;
}

interface Vectors {
  accepted: AcceptedVector[];
  rejected: RejectedVector[];
  index: { accepted: IndexAcceptedVector[]; rejected: IndexRejectedVector[] };
}

const vectors: Vectors = JSON.parse(
  await Deno.readTextFile(
    new URL("./testdata/references.json", import.meta.url),
  ),
);

const D256 =
  "sha256:fb9f16730ac6316afa4d97caa5130219927bfcecf0b0ce35c01dcb612f449739";

/** A short name for a vector's step. */
function label(input: string | null, note?: string): string {
  if (input === null) return "(no argument)";
  const shown = input.length > 60
    ? `${input.slice(0, 40)}…(${input.length} chars)`
    : input;
  return JSON.stringify(shown) + (note ? ` (${note})` : "");
}

/** Asserts an InvalidReferenceError with the given what, input and rule. */
function assertInvalid(
  err: unknown,
  what: string,
  input: string,
  rule: string,
): void {
  assert(
    err instanceof InvalidReferenceError,
    `expected InvalidReferenceError, got ${err}`,
  );
  assertEquals(err.name, "InvalidReferenceError");
  assertEquals(err.rule, rule);
  assertEquals(err.input, input);
  // deno-lint-ignore no-control-regex
  if (input.length <= 120 && !/["\\\u0000-\u001f\u007f]/.test(input)) {
    assertEquals(err.message, `Invalid ${what} "${input}": ${rule}`);
  } else {
    assert(err.message.startsWith(`Invalid ${what} "`), err.message);
    assert(err.message.endsWith(`": ${rule}`), err.message);
  }
}

function call(
  fn: "parseRepo" | "parseRepoAndRef",
  input: string,
  defaultIndex?: string | RegistryIndex,
): unknown {
  return fn === "parseRepo"
    ? parseRepo(input, defaultIndex)
    : parseRepoAndRef(input, defaultIndex);
}

Deno.test("parseRepo() and parseRepoAndRef() give the exact JSON of each accepted vector", async (t) => {
  assert(vectors.accepted.length >= 50);
  for (const v of vectors.accepted) {
    await t.step(`${v.fn}(${label(v.input, v.note)})`, () => {
      const result = call(v.fn, v.input, v.defaultIndex);
      // Key order and presence matter: compare the printed JSON.
      assertEquals(
        JSON.stringify(result, null, 4),
        JSON.stringify(v.expected, null, 4),
      );
      if (v.fn === "parseRepoAndRef") {
        assertEquals((result as RepoRef).canonicalRef, v.canonicalRef);
      } else {
        assertEquals(Object.hasOwn(result as object, "canonicalRef"), false);
      }
    });
  }
});

Deno.test("parseRepo() and parseRepoAndRef() refuse each rejected vector with InvalidReferenceError naming the rule", async (t) => {
  assert(vectors.rejected.length >= 50);
  for (const v of vectors.rejected) {
    await t.step(`${v.fn}(${label(v.input, v.note)})`, () => {
      const err = assertThrows(() => call(v.fn, v.input, v.defaultIndex));
      assertInvalid(err, v.what, v.errorInput ?? v.input, v.rule);
    });
  }
});

Deno.test("parseIndex() gives the exact JSON of each accepted vector", async (t) => {
  for (const v of vectors.index.accepted) {
    await t.step(`parseIndex(${label(v.input, v.note)})`, () => {
      const result = v.input === null ? parseIndex() : parseIndex(v.input);
      assertEquals(JSON.stringify(result), JSON.stringify(v.expected));
    });
  }
});

Deno.test("parseIndex() refuses each rejected vector with InvalidReferenceError naming the rule", async (t) => {
  for (const v of vectors.index.rejected) {
    await t.step(`parseIndex(${label(v.input, v.note)})`, () => {
      const err = assertThrows(() => parseIndex(v.input));
      assertInvalid(err, v.what, v.input, v.rule);
    });
  }
});

Deno.test("parseRepoAndRef() prints the seed README's JSON for its examples", () => {
  assertEquals(
    JSON.stringify(
      parseRepoAndRef("myreg.example.com:5000/busybox:foo"),
      null,
      4,
    ),
    `{
    "index": {
        "name": "myreg.example.com:5000",
        "official": false
    },
    "official": false,
    "remoteName": "busybox",
    "localName": "myreg.example.com:5000/busybox",
    "canonicalName": "myreg.example.com:5000/busybox",
    "tag": "foo"
}`,
  );
  assertEquals(
    JSON.stringify(parseRepoAndRef("https://quay.io/trentm/foo"), null, 4),
    `{
    "index": {
        "scheme": "https",
        "name": "quay.io",
        "official": false
    },
    "official": false,
    "remoteName": "trentm/foo",
    "localName": "quay.io/trentm/foo",
    "canonicalName": "quay.io/trentm/foo",
    "tag": "latest"
}`,
  );
});

Deno.test("parseRepo() prints the seed README's JSON for mongo", () => {
  const expected = `{
    "index": {
        "name": "docker.io",
        "official": true
    },
    "official": true,
    "remoteName": "library/mongo",
    "localName": "mongo",
    "canonicalName": "docker.io/mongo"
}`;
  for (const input of ["mongo", "docker.io/mongo", "docker.io/library/mongo"]) {
    assertEquals(JSON.stringify(parseRepo(input), null, 4), expected);
  }
});

Deno.test("parseRepoAndRef() keeps canonicalRef out of JSON, keys and spreads", () => {
  const ref = parseRepoAndRef("busybox");
  assertEquals(ref.canonicalRef, "docker.io/busybox:latest");
  assertEquals(JSON.stringify(ref).includes("canonicalRef"), false);
  assertEquals(Object.keys(ref).includes("canonicalRef"), false);
  assertEquals("canonicalRef" in { ...ref }, false);
  const descriptor = Object.getOwnPropertyDescriptor(ref, "canonicalRef");
  assertEquals(descriptor, {
    value: "docker.io/busybox:latest",
    enumerable: false,
    writable: false,
    configurable: false,
  });
  assertThrows(() => {
    (ref as { canonicalRef: string }).canonicalRef = "x";
  }, TypeError);
});

Deno.test("parseRepoAndRef() builds canonicalRef from name, tag and digest", () => {
  assertEquals(
    parseRepoAndRef(`quay.io/a/b:1@${D256}`).canonicalRef,
    `quay.io/a/b:1@${D256}`,
  );
  assertEquals(
    parseRepoAndRef(`busybox@${D256}`).canonicalRef,
    `docker.io/busybox@${D256}`,
  );
  assertEquals(
    parseRepoAndRef("https://index.docker.io/library/busybox:1").canonicalRef,
    "docker.io/busybox:1",
  );
});

Deno.test("parseRepoAndRef() gives the same result again for its canonicalRef", () => {
  for (
    const v of vectors.accepted.filter((v) =>
      v.fn === "parseRepoAndRef" && v.defaultIndex === undefined
    )
  ) {
    const first = parseRepoAndRef(v.input);
    const again = parseRepoAndRef(first.canonicalRef);
    const { scheme: _scheme, ...index } = first.index;
    assertEquals({ ...again }, { ...first, index });
    assertEquals(again.canonicalRef, first.canonicalRef);
  }
});

Deno.test("parseRepoAndTag() is parseRepoAndRef()", () => {
  assertStrictEquals(parseRepoAndTag, parseRepoAndRef);
  assertEquals(parseRepoAndTag("busybox:1.36").tag, "1.36");
});

Deno.test("parseRepoAndRef() defaults the tag only when no digest is given", () => {
  assertEquals(DEFAULT_TAG, "latest");
  assertEquals(parseRepoAndRef("busybox").tag, DEFAULT_TAG);
  const byDigest = parseRepoAndRef(`busybox@${D256}`);
  assertEquals(Object.hasOwn(byDigest, "tag"), false);
  assertEquals(byDigest.digest, D256);
  const both = parseRepoAndRef(`busybox:1@${D256}`);
  assertEquals([both.tag, both.digest], ["1", D256]);
  assertEquals(Object.keys(both).slice(-2), ["tag", "digest"]);
});

Deno.test("parseIndex() with no argument is Docker Hub", () => {
  assertEquals(DEFAULT_INDEX_NAME, "docker.io");
  assertEquals(parseIndex(), { name: "docker.io", official: true });
  assertEquals(parseIndex(undefined), {
    name: "docker.io",
    official: true,
  });
});

Deno.test("parseRepo() accepts a parsed RegistryIndex as defaultIndex and recomputes official", () => {
  const index = parseIndex("https://localhost:5000");
  const repo = parseRepo("a/b", index);
  assertEquals(repo.index, index);
  assertNotStrictEquals(repo.index, index);
  assertEquals(repo.canonicalName, "localhost:5000/a/b");
  const hub = parseRepo("mongo", { name: "index.docker.io", official: false });
  assertEquals(hub.remoteName, "library/mongo");
  assertEquals(hub.index, { name: "docker.io", official: true });
});

Deno.test("parseRepo() uses defaultIndex only for names without an index", () => {
  // An invalid defaultIndex is not looked at when the name has its own index.
  assertEquals(parseRepo("quay.io/x", "ftp://nope").index.name, "quay.io");
  assertThrows(() => parseRepo("x", "ftp://nope"), InvalidReferenceError);
});

Deno.test("parseRepo(), parseRepoAndRef() and parseIndex() throw TypeError on non-string arguments", () => {
  const cases: Array<[string, () => unknown]> = [
    ["parseRepo(42)", () => parseRepo(42 as unknown as string)],
    ["parseRepoAndRef(null)", () => parseRepoAndRef(null as unknown as string)],
    [
      "parseRepoAndRef(undefined)",
      () => parseRepoAndRef(undefined as unknown as string),
    ],
    ["parseIndex(5)", () => parseIndex(5 as unknown as string)],
    [
      "parseRepo('x', 5)",
      () => parseRepo("x", 5 as unknown as string),
    ],
    [
      "parseRepo('x', null)",
      () => parseRepo("x", null as unknown as string),
    ],
    [
      "parseRepo('x', { name: 5 })",
      () => parseRepo("x", { name: 5 } as unknown as RegistryIndex),
    ],
    [
      "parseRepo('x', { scheme: 1, name: 'q.io' })",
      () =>
        parseRepo("x", {
          scheme: 1,
          name: "q.io",
          official: false,
        } as unknown as RegistryIndex),
    ],
  ];
  for (const [what, fn] of cases) {
    const err = assertThrows(fn, TypeError, undefined, what);
    assert(!(err instanceof ParseError), what);
  }
});

Deno.test("parseRepoAndRef(), parseRepo() and parseIndex() refuse a 100k-character input by its length", () => {
  const input = "a".repeat(100_000);
  const cases: Array<[string, () => unknown]> = [
    ["reference", () => parseRepoAndRef(input)],
    ["repository name", () => parseRepo(input)],
    ["index", () => parseIndex(input)],
  ];
  for (const [what, fn] of cases) {
    const err = assertThrows(fn);
    assertInvalid(err, what, input, "must be at most 1024 characters");
    assert((err as Error).message.length < 300);
  }
});

Deno.test("parseRepoAndRef() errors are ParseErrors and SyntaxErrors", () => {
  const err = assertThrows(() => parseRepoAndRef("foo/Bar"), ParseError);
  assert(err instanceof SyntaxError);
  assertEquals(
    err.message,
    'Invalid repository name "foo/Bar": must be lowercase',
  );
});

// The example scripts print exactly what the seed README shows.
const ROOT = new URL("../../", import.meta.url);

async function runExample(
  script: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--no-lock", `examples/${script}`, ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

Deno.test("isValidRepoName() and isValidTag() follow the grammar parseRepoAndRef() enforces", async (t) => {
  /** Whether parseRepoAndRef() takes the name under a registry host. */
  const parses = (name: string) => {
    try {
      parseRepoAndRef(`127.0.0.1:5000/${name}`);
      return true;
    } catch (err) {
      if (err instanceof InvalidReferenceError) return false;
      throw err;
    }
  };
  const vectors: ["repository name" | "tag", string, boolean][] = [
    ["repository name", "library/alpine", true],
    ["repository name", "a", true],
    ["repository name", "a.b_c__d---e/f", true],
    ["repository name", "a".repeat(255), true],
    ["repository name", "a".repeat(256), false],
    ["repository name", "", false],
    ["repository name", "Library/alpine", false],
    ["repository name", "a//b", false],
    ["repository name", "a/", false],
    ["repository name", "-a", false],
    ["repository name", "a___b", false],
    ["repository name", "a b", false],
    ["tag", "v1", true],
    ["tag", "_x", true],
    ["tag", "1.0_rc-2", true],
    ["tag", "A".repeat(128), true],
    ["tag", "A".repeat(129), false],
    ["tag", "", false],
    ["tag", ".v1", false],
    ["tag", "-v1", false],
    ["tag", "v/1", false],
    ["tag", "v:1", false],
  ];
  for (const [kind, input, valid] of vectors) {
    const name = `${kind} ${
      JSON.stringify(input.slice(0, 20))
    } (${input.length})`;
    await t.step(name, () => {
      if (kind === "tag") return assertEquals(isValidTag(input), valid);
      assertEquals(isValidRepoName(input), valid);
      // The same names parse under a registry host (which is not counted).
      if (input.length > 0 && input.length < 200) {
        assertEquals(parses(input), valid);
      }
    });
  }
});

Deno.test("examples/parseRepo.ts prints the seed README's output for mongo", async () => {
  const { code, stdout } = await runExample("parseRepo.ts", ["mongo"]);
  assertEquals(code, 0);
  assertEquals(
    stdout,
    `{
    "index": {
        "name": "docker.io",
        "official": true
    },
    "official": true,
    "remoteName": "library/mongo",
    "localName": "mongo",
    "canonicalName": "docker.io/mongo"
}
`,
  );
});

Deno.test("examples/parseRepoAndRef.ts prints the seed README's output", async () => {
  const busybox = await runExample("parseRepoAndRef.ts", [
    "myreg.example.com:5000/busybox:foo",
  ]);
  assertEquals(busybox.code, 0);
  assertEquals(
    busybox.stdout,
    `{
    "index": {
        "name": "myreg.example.com:5000",
        "official": false
    },
    "official": false,
    "remoteName": "busybox",
    "localName": "myreg.example.com:5000/busybox",
    "canonicalName": "myreg.example.com:5000/busybox",
    "tag": "foo"
}
`,
  );
  const quay = await runExample("parseRepoAndRef.ts", [
    "https://quay.io/trentm/foo",
  ]);
  assertEquals(quay.code, 0);
  assertEquals(
    quay.stdout,
    `{
    "index": {
        "scheme": "https",
        "name": "quay.io",
        "official": false
    },
    "official": false,
    "remoteName": "trentm/foo",
    "localName": "quay.io/trentm/foo",
    "canonicalName": "quay.io/trentm/foo",
    "tag": "latest"
}
`,
  );
  const alpine = await runExample("parseRepoAndRef.ts", [`alpine@${D256}`]);
  assertEquals(alpine.code, 0);
  assertEquals(
    alpine.stdout,
    `{
    "index": {
        "name": "docker.io",
        "official": true
    },
    "official": true,
    "remoteName": "library/alpine",
    "localName": "alpine",
    "canonicalName": "docker.io/alpine",
    "digest": "${D256}"
}
`,
  );
});

Deno.test("examples exit 1 with the message on a parse error and 2 on bad usage", async () => {
  const bad = await runExample("parseRepoAndRef.ts", ["foo/Bar"]);
  assertEquals(bad.code, 1);
  assertEquals(bad.stdout, "");
  assertEquals(
    bad.stderr,
    'Invalid repository name "foo/Bar": must be lowercase\n',
  );
  const noArg = await runExample("parseRepo.ts", []);
  assertEquals(noArg.code, 2);
  assertMatch(noArg.stderr, /^usage: \.\/examples\/parseRepo\.ts /);
  const twoArgs = await runExample("parseRepoAndRef.ts", ["a", "b"]);
  assertEquals(twoArgs.code, 2);
  assertMatch(twoArgs.stderr, /^usage: \.\/examples\/parseRepoAndRef\.ts /);
});
