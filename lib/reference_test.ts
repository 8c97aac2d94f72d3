import assert from "node:assert/strict";
import { InvalidReferenceError, ParseError } from "./errors.ts";
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
  assert.ok(
    err instanceof InvalidReferenceError,
    `expected InvalidReferenceError, got ${err}`,
  );
  assert.equal(err.name, "InvalidReferenceError");
  assert.equal(err.rule, rule);
  assert.equal(err.input, input);
  // deno-lint-ignore no-control-regex
  if (input.length <= 120 && !/["\\\u0000-\u001f\u007f]/.test(input)) {
    assert.equal(err.message, `Invalid ${what} "${input}": ${rule}`);
  } else {
    assert.ok(err.message.startsWith(`Invalid ${what} "`), err.message);
    assert.ok(err.message.endsWith(`": ${rule}`), err.message);
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
  assert.ok(vectors.accepted.length >= 50);
  for (const v of vectors.accepted) {
    await t.step(`${v.fn}(${label(v.input, v.note)})`, () => {
      const result = call(v.fn, v.input, v.defaultIndex);
      // Key order and presence matter: compare the printed JSON.
      assert.equal(
        JSON.stringify(result, null, 4),
        JSON.stringify(v.expected, null, 4),
      );
      if (v.fn === "parseRepoAndRef") {
        assert.equal((result as RepoRef).canonicalRef, v.canonicalRef);
      } else {
        assert.equal(Object.hasOwn(result as object, "canonicalRef"), false);
      }
    });
  }
});

Deno.test("parseRepo() and parseRepoAndRef() refuse each rejected vector with InvalidReferenceError naming the rule", async (t) => {
  assert.ok(vectors.rejected.length >= 50);
  for (const v of vectors.rejected) {
    await t.step(`${v.fn}(${label(v.input, v.note)})`, () => {
      assert.throws(
        () => call(v.fn, v.input, v.defaultIndex),
        (err) => {
          assertInvalid(err, v.what, v.errorInput ?? v.input, v.rule);
          return true;
        },
      );
    });
  }
});

Deno.test("parseIndex() gives the exact JSON of each accepted vector", async (t) => {
  for (const v of vectors.index.accepted) {
    await t.step(`parseIndex(${label(v.input, v.note)})`, () => {
      const result = v.input === null ? parseIndex() : parseIndex(v.input);
      assert.equal(JSON.stringify(result), JSON.stringify(v.expected));
    });
  }
});

Deno.test("parseIndex() refuses each rejected vector with InvalidReferenceError naming the rule", async (t) => {
  for (const v of vectors.index.rejected) {
    await t.step(`parseIndex(${label(v.input, v.note)})`, () => {
      assert.throws(() => parseIndex(v.input), (err) => {
        assertInvalid(err, v.what, v.input, v.rule);
        return true;
      });
    });
  }
});

Deno.test("parseRepoAndRef() prints the seed README's JSON for its examples", () => {
  assert.equal(
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
  assert.equal(
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
    assert.equal(JSON.stringify(parseRepo(input), null, 4), expected);
  }
});

Deno.test("parseRepoAndRef() keeps canonicalRef out of JSON, keys and spreads", () => {
  const ref = parseRepoAndRef("busybox");
  assert.equal(ref.canonicalRef, "docker.io/busybox:latest");
  assert.equal(JSON.stringify(ref).includes("canonicalRef"), false);
  assert.equal(Object.keys(ref).includes("canonicalRef"), false);
  assert.equal("canonicalRef" in { ...ref }, false);
  const descriptor = Object.getOwnPropertyDescriptor(ref, "canonicalRef");
  assert.deepEqual(descriptor, {
    value: "docker.io/busybox:latest",
    enumerable: false,
    writable: false,
    configurable: false,
  });
  assert.throws(() => {
    (ref as { canonicalRef: string }).canonicalRef = "x";
  }, TypeError);
});

Deno.test("parseRepoAndRef() builds canonicalRef from name, tag and digest", () => {
  assert.equal(
    parseRepoAndRef(`quay.io/a/b:1@${D256}`).canonicalRef,
    `quay.io/a/b:1@${D256}`,
  );
  assert.equal(
    parseRepoAndRef(`busybox@${D256}`).canonicalRef,
    `docker.io/busybox@${D256}`,
  );
  assert.equal(
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
    assert.deepEqual({ ...again }, { ...first, index });
    assert.equal(again.canonicalRef, first.canonicalRef);
  }
});

Deno.test("parseRepoAndTag() is parseRepoAndRef()", () => {
  assert.equal(parseRepoAndTag, parseRepoAndRef);
  assert.equal(parseRepoAndTag("busybox:1.36").tag, "1.36");
});

Deno.test("parseRepoAndRef() defaults the tag only when no digest is given", () => {
  assert.equal(DEFAULT_TAG, "latest");
  assert.equal(parseRepoAndRef("busybox").tag, DEFAULT_TAG);
  const byDigest = parseRepoAndRef(`busybox@${D256}`);
  assert.equal(Object.hasOwn(byDigest, "tag"), false);
  assert.equal(byDigest.digest, D256);
  const both = parseRepoAndRef(`busybox:1@${D256}`);
  assert.deepEqual([both.tag, both.digest], ["1", D256]);
  assert.deepEqual(Object.keys(both).slice(-2), ["tag", "digest"]);
});

Deno.test("parseIndex() with no argument is Docker Hub", () => {
  assert.equal(DEFAULT_INDEX_NAME, "docker.io");
  assert.deepEqual(parseIndex(), { name: "docker.io", official: true });
  assert.deepEqual(parseIndex(undefined), {
    name: "docker.io",
    official: true,
  });
});

Deno.test("parseRepo() accepts a parsed RegistryIndex as defaultIndex and recomputes official", () => {
  const index = parseIndex("https://localhost:5000");
  const repo = parseRepo("a/b", index);
  assert.deepEqual(repo.index, index);
  assert.notEqual(repo.index, index);
  assert.equal(repo.canonicalName, "localhost:5000/a/b");
  const hub = parseRepo("mongo", { name: "index.docker.io", official: false });
  assert.equal(hub.remoteName, "library/mongo");
  assert.deepEqual(hub.index, { name: "docker.io", official: true });
});

Deno.test("parseRepo() uses defaultIndex only for names without an index", () => {
  // An invalid defaultIndex is not looked at when the name has its own index.
  assert.equal(parseRepo("quay.io/x", "ftp://nope").index.name, "quay.io");
  assert.throws(() => parseRepo("x", "ftp://nope"), InvalidReferenceError);
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
    assert.throws(fn, TypeError, what);
    assert.throws(fn, (err) => !(err instanceof ParseError), what);
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
    assert.throws(fn, (err) => {
      assertInvalid(err, what, input, "must be at most 1024 characters");
      assert.ok((err as Error).message.length < 300);
      return true;
    });
  }
});

Deno.test("parseRepoAndRef() errors are ParseErrors and SyntaxErrors", () => {
  assert.throws(() => parseRepoAndRef("Foo/bar"), (err) => {
    assert.ok(err instanceof ParseError);
    assert.ok(err instanceof SyntaxError);
    assert.equal(
      err.message,
      'Invalid repository name "Foo/bar": must be lowercase',
    );
    return true;
  });
});

// The example scripts print exactly what the seed README shows.
const ROOT = new URL("../", import.meta.url);

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
      if (kind === "tag") return assert.equal(isValidTag(input), valid);
      assert.equal(isValidRepoName(input), valid);
      // The host and the name share the 255-character limit.
      if (input.length > 0 && input.length < 200) {
        assert.equal(parses(input), valid);
      }
    });
  }
});

Deno.test("examples/parseRepo.ts prints the seed README's output for mongo", async () => {
  const { code, stdout } = await runExample("parseRepo.ts", ["mongo"]);
  assert.equal(code, 0);
  assert.equal(
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
  assert.equal(busybox.code, 0);
  assert.equal(
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
  assert.equal(quay.code, 0);
  assert.equal(
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
  assert.equal(alpine.code, 0);
  assert.equal(
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
  const bad = await runExample("parseRepoAndRef.ts", ["Foo/bar"]);
  assert.equal(bad.code, 1);
  assert.equal(bad.stdout, "");
  assert.equal(
    bad.stderr,
    'Invalid repository name "Foo/bar": must be lowercase\n',
  );
  const noArg = await runExample("parseRepo.ts", []);
  assert.equal(noArg.code, 2);
  assert.match(noArg.stderr, /^usage: \.\/examples\/parseRepo\.ts /);
  const twoArgs = await runExample("parseRepoAndRef.ts", ["a", "b"]);
  assert.equal(twoArgs.code, 2);
  assert.match(twoArgs.stderr, /^usage: \.\/examples\/parseRepoAndRef\.ts /);
});
