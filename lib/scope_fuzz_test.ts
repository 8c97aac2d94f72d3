// Fuzz tests of the scope functions: random and adversarial inputs must give
// a value or an InvalidScopeError, nothing else, and no call may be slow.
// Seeded, so every run sees the same inputs.

import assert from "node:assert/strict";
import { InvalidScopeError } from "./errors.ts";
import {
  formatScope,
  mergeScopes,
  parseScope,
  parseScopes,
  repositoryScope,
  type Scope,
  scopesCover,
} from "./scope.ts";
import vectors from "./testdata/scopes.json" with { type: "json" };

/** Slowest single call allowed, in milliseconds: generous on purpose. */
const MAX_CALL_MS = 20;

/** xorshift32: a seeded generator of numbers in [0, 1). */
function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

type Random = () => number;

const int = (rnd: Random, n: number) => Math.floor(rnd() * n);
const pick = <T>(rnd: Random, items: readonly T[]): T =>
  items[int(rnd, items.length)];

/** A length, mostly short, now and then long. */
function length(rnd: Random): number {
  const r = rnd();
  if (r < 0.8) return int(rnd, 40);
  if (r < 0.97) return int(rnd, 400);
  return int(rnd, 2000);
}

function randomBytes(rnd: Random): string {
  let s = "";
  for (let n = length(rnd); n > 0; n--) s += String.fromCharCode(int(rnd, 256));
  return s;
}

function randomUnicode(rnd: Random): string {
  let s = "";
  for (let n = length(rnd); n > 0; n--) {
    s += String.fromCharCode(int(rnd, 0x10000));
  }
  return s;
}

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

function fromPieces(rnd: Random): string {
  let s = "";
  for (let n = length(rnd) >> 1; n > 0; n--) s += pick(rnd, PIECES);
  return s;
}

const SEEDS: string[] = [
  ...vectors.accepted.map((v) => v.input),
  ...vectors.lists.map((v) => v.input),
];

function mutate(rnd: Random): string {
  let s = pick(rnd, SEEDS);
  for (let n = 1 + int(rnd, 4); n > 0; n--) {
    const at = int(rnd, s.length + 1);
    switch (int(rnd, 4)) {
      case 0:
        s = s.slice(0, at) + pick(rnd, PIECES) + s.slice(at);
        break;
      case 1:
        s = s.slice(0, at) + s.slice(at + 1 + int(rnd, 3));
        break;
      case 2:
        s = s.slice(0, at) + s.slice(at, at + int(rnd, 12)) + s.slice(at);
        break;
      default:
        s = s.slice(0, at) + String.fromCharCode(int(rnd, 256)) +
          s.slice(at + 1);
    }
  }
  return s;
}

/** Inputs aimed at regex backtracking and the length limits. */
function adversarial(): string[] {
  const fill = (unit: string, size: number) =>
    unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
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

/**
 * Runs `fn`: it must return or throw `InvalidScopeError`. Returns the call's
 * duration; a slow call is timed again (best of three) so that a garbage
 * collection or a busy machine is not taken for slowness.
 */
function run(input: unknown, fn: () => unknown): number {
  const once = () => {
    const start = performance.now();
    try {
      fn();
    } catch (err) {
      assert.ok(
        err instanceof InvalidScopeError,
        `${JSON.stringify(input)?.slice(0, 200)} threw ${err}`,
      );
    }
    return performance.now() - start;
  };
  let ms = once();
  if (ms >= MAX_CALL_MS / 4) ms = Math.min(ms, once(), once());
  return ms;
}

Deno.test("scope functions return or throw InvalidScopeError on fuzzed input, quickly", () => {
  const rnd = xorshift(0x5c0_9e);
  const inputs: string[] = adversarial();
  for (let i = 0; i < 8000; i++) inputs.push(randomBytes(rnd));
  for (let i = 0; i < 4000; i++) inputs.push(randomUnicode(rnd));
  for (let i = 0; i < 10000; i++) inputs.push(fromPieces(rnd));
  for (let i = 0; i < 10000; i++) inputs.push(mutate(rnd));

  let slowest = 0;
  let slowestInput = "";
  const time = (input: unknown, fn: () => unknown) => {
    const ms = run(input, fn);
    if (ms > slowest) {
      slowest = ms;
      slowestInput = JSON.stringify(input)?.slice(0, 80) ?? "";
    }
  };
  const parsed: Scope[] = [];
  for (const input of inputs) {
    time(input, () => {
      const scope = parseScope(input);
      // What parses is written back exactly as it was.
      assert.equal(formatScope(scope), input);
      parsed.push(scope);
    });
    time(input, () => {
      for (const scope of parseScopes(input)) {
        assert.ok(!formatScope(scope).includes(" "));
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
  time("cover", () => assert.ok(scopesCover(merged, valid)));
  time("cover reversed", () => scopesCover(valid, merged));
  assert.ok(
    slowest < MAX_CALL_MS,
    `slowest call took ${slowest.toFixed(2)} ms on ${slowestInput}`,
  );
});

// Round trip: random valid scopes parse back to what was written, and a
// merge covers exactly what went into it.

const LOWER = "abcdefghijklmnopqrstuvwxyz0123456789";
const HOST = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

function run1(rnd: Random, chars: string, max: number): string {
  let s = "";
  for (let n = 1 + int(rnd, max); n > 0; n--) s += pick(rnd, [...chars]);
  return s;
}

function component(rnd: Random): string {
  let s = run1(rnd, LOWER, 5);
  for (let n = int(rnd, 3); n > 0; n--) {
    s += pick(rnd, [".", "_", "__", "-", "--"]) + run1(rnd, LOWER, 5);
  }
  return s;
}

function randomScope(rnd: Random): Scope {
  const type = run1(rnd, LOWER, 8) +
    (rnd() < 0.1 ? `(${run1(rnd, LOWER, 6)})` : "");
  const parts: string[] = [];
  if (rnd() < 0.3) {
    let host = run1(rnd, HOST, 6);
    if (rnd() < 0.5) host += `-${run1(rnd, HOST, 4)}`;
    if (rnd() < 0.5) host += `.${run1(rnd, HOST, 4)}`;
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
  const rnd = xorshift(0xbadc0de);
  for (let i = 0; i < 3000; i++) {
    const scopes = Array.from(
      { length: 1 + int(rnd, 5) },
      () => randomScope(rnd),
    );
    const texts = scopes.map(formatScope);
    for (let j = 0; j < scopes.length; j++) {
      assert.deepEqual(parseScope(texts[j]), scopes[j], texts[j]);
    }
    assert.deepEqual(parseScopes(texts.join(" ")), scopes);
    const merged = mergeScopes(texts);
    assert.deepEqual(mergeScopes(merged), merged);
    assert.ok(scopesCover(merged, scopes));
    for (const scope of merged) {
      assert.ok(scopesCover(scopes, [scope]));
    }
  }
});
