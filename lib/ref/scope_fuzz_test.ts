// Fuzz tests of the scope functions: random and adversarial inputs must give
// a value or an InvalidScopeError, nothing else, and no call may be slow.
// Seeded, so every run sees the same inputs.

import { assert, assertEquals } from "@std/assert";
import { InvalidScopeError } from "../errors.ts";
import {
  formatScope,
  mergeScopes,
  parseScope,
  parseScopes,
  repositoryScope,
  type Scope,
  scopesCover,
} from "./scope.ts";
import {
  callTimer,
  fill,
  fromPieces,
  fuzzInputs,
  int,
  length,
  mutate,
  pick,
  type Random,
  word,
  xorshift32,
} from "../../test_support/fuzz.ts";
import vectors from "./testdata/scopes.json" with { type: "json" };

/** Longest random input, exclusive: shorter than in the other fuzz tests. */
const MAX_LENGTH = 2000;

const PIECES = [
  "repository",
  "registry",
  "(plugin)",
  "(",
  ")",
  ":",
  "::",
  "/",
  "//",
  "a",
  "b0",
  "library/alpine",
  "localhost:5000/",
  "Host.Example",
  ".",
  "_",
  "__",
  "___",
  "-",
  "--",
  ",",
  "pull",
  "push",
  "delete",
  "*",
  " ",
  "\t",
  "\u0000",
  "\u00e9",
  "\ud800",
  "A",
  "9",
];

const SEEDS: string[] = [
  ...vectors.accepted.map((v) => v.input),
  ...vectors.lists.map((v) => v.input),
];

/** Inputs aimed at regex backtracking and the length limits. */
function adversarial(): string[] {
  const out: string[] = [];
  for (const size of [1000, 16000, 100_000]) {
    for (
      const unit of [
        "a",
        ":",
        "a-",
        "a.",
        "a_",
        "a__",
        "a-a.",
        "A-",
        "0",
        "/",
        "a/",
        ",",
        "pull,",
        " ",
        "repository:a:pull ",
        "(a",
        "\u0000",
      ]
    ) {
      const body = fill(unit, size);
      out.push(body);
      out.push(`repository:${body}:pull`);
      out.push(`repository:${body}!:pull`);
      out.push(`repository:${body}-/x:pull`);
      out.push(`repository:${body}:1/x:pull`);
      out.push(`repository:x:${body}`);
      out.push(`${body}:x:pull`);
    }
  }
  return out;
}

Deno.test("scope functions return or throw InvalidScopeError on fuzzed input, quickly", () => {
  const inputs = fuzzInputs(xorshift32(0x5c0_9e), {
    adversarial: adversarial(),
    maxLength: MAX_LENGTH,
    fromPieces: (rnd) => fromPieces(rnd, PIECES, length(rnd, MAX_LENGTH) >> 1),
    mutate: (rnd) => mutate(rnd, SEEDS, PIECES, { edits: 4, cut: 3, copy: 12 }),
  });
  const { time, assertFast } = callTimer(InvalidScopeError);
  const parsed: Scope[] = [];
  for (const input of inputs) {
    time(input, () => {
      const scope = parseScope(input);
      // What parses is written back exactly as it was.
      assertEquals(formatScope(scope), input);
      parsed.push(scope);
    });
    time(input, () => {
      for (const scope of parseScopes(input)) {
        assert(!formatScope(scope).includes(" "));
      }
    });
    const colon = input.lastIndexOf(":");
    time(input, () =>
      repositoryScope(
        input.slice(0, colon === -1 ? input.length : colon),
        input.slice(colon + 1).split(","),
      ));
  }
  // Merging and covering: thousands of scopes and texts at once.
  const texts = inputs.filter((_, i) => i % 7 === 0);
  time("merge texts", () => mergeScopes(texts));
  const valid = [...parsed, ...parsed.map((s) => ({ ...s, actions: ["*"] }))];
  let merged: Scope[] = [];
  time("merge valid", () => merged = mergeScopes(valid));
  time("cover", () => assert(scopesCover(merged, valid)));
  time("cover reversed", () => scopesCover(valid, merged));
  assertFast();
});

// Round trip: random valid scopes parse back to what was written, and a
// merge covers exactly what went into it.

const LOWER = "abcdefghijklmnopqrstuvwxyz0123456789";
const HOST = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

function component(rnd: Random): string {
  let s = word(rnd, LOWER, 5);
  for (let n = int(rnd, 3); n > 0; n--) {
    s += pick(rnd, [".", "_", "__", "-", "--"]) + word(rnd, LOWER, 5);
  }
  return s;
}

function randomScope(rnd: Random): Scope {
  const type = word(rnd, LOWER, 8) +
    (rnd() < 0.1 ? `(${word(rnd, LOWER, 6)})` : "");
  const parts: string[] = [];
  if (rnd() < 0.3) {
    let host = word(rnd, HOST, 6);
    if (rnd() < 0.5) host += `-${word(rnd, HOST, 4)}`;
    if (rnd() < 0.5) host += `.${word(rnd, HOST, 4)}`;
    if (rnd() < 0.5) host += `:${int(rnd, 65536)}`;
    parts.push(host);
  }
  for (let n = 1 + int(rnd, 3); n > 0; n--) parts.push(component(rnd));
  const actions: string[] = [];
  for (let n = int(rnd, 4); n > 0; n--) {
    actions.push(
      pick(rnd, ["pull", "push", "delete", "*", "metadata_read", "x-y"]),
    );
  }
  return { type, name: parts.join("/"), actions };
}

Deno.test("parseScope() parses back random valid scopes, and merges cover their parts", () => {
  const rnd = xorshift32(0xbadc0de);
  for (let i = 0; i < 3000; i++) {
    const scopes = Array.from(
      { length: 1 + int(rnd, 5) },
      () => randomScope(rnd),
    );
    const texts = scopes.map(formatScope);
    for (let j = 0; j < scopes.length; j++) {
      assertEquals(parseScope(texts[j]), scopes[j], texts[j]);
    }
    assertEquals(parseScopes(texts.join(" ")), scopes);
    const merged = mergeScopes(texts);
    assertEquals(mergeScopes(merged), merged);
    assert(scopesCover(merged, scopes));
    for (const scope of merged) {
      assert(scopesCover(scopes, [scope]));
    }
  }
});
