// Fuzz tests of parseChallenges() and bearerChallenge(): random and
// adversarial inputs must give a value or an InvalidChallengeError, nothing
// else, and no call may be slow. Seeded, so every run sees the same inputs.

import assert from "node:assert/strict";
import {
  bearerChallenge,
  type Challenge,
  MAX_CHALLENGE_LENGTH,
  parseChallenges,
} from "./challenge.ts";
import { InvalidChallengeError } from "./errors.ts";
import vectors from "./testdata/challenges.json" with { type: "json" };

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
  return int(rnd, 4000);
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
  "Bearer",
  "Basic",
  "Negotiate",
  "realm",
  "service",
  "scope",
  "=",
  "==",
  ",",
  ", ",
  " ",
  "\t",
  '"',
  '\\"',
  "\\",
  "\\\\",
  "abc",
  "a/b+c",
  "x",
  "@",
  ";",
  "(",
  "\u0000",
  "\n",
  "\r\n",
  "\u007f",
  "\u00e9",
  "\u2028",
  "\ud800",
  "__proto__",
  '"https://auth.docker.io/token"',
  '"repository:library/alpine:pull"',
];

function fromPieces(rnd: Random): string {
  let s = "";
  for (let n = length(rnd); n > 0; n--) s += pick(rnd, PIECES);
  return s;
}

const SEEDS: string[] = vectors.accepted.flatMap((v) =>
  Array.isArray(v.input) ? v.input : [v.input]
);

function mutate(rnd: Random): string {
  let s = pick(rnd, SEEDS);
  for (let n = 1 + int(rnd, 5); n > 0; n--) {
    const at = int(rnd, s.length + 1);
    switch (int(rnd, 4)) {
      case 0: // insert a piece
        s = s.slice(0, at) + pick(rnd, PIECES) + s.slice(at);
        break;
      case 1: // delete a few characters
        s = s.slice(0, at) + s.slice(at + 1 + int(rnd, 4));
        break;
      case 2: // duplicate a slice
        s = s.slice(0, at) + s.slice(at, at + int(rnd, 20)) + s.slice(at);
        break;
      default: // replace a character
        s = s.slice(0, at) + String.fromCharCode(int(rnd, 256)) +
          s.slice(at + 1);
    }
  }
  return s;
}

/** Long and pathological inputs, each under and over the length limit. */
function adversarial(): string[] {
  const near = MAX_CHALLENGE_LENGTH - 20;
  const fill = (unit: string, size: number) =>
    unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
  const units = [
    "a",
    ",",
    " ",
    "=",
    '"',
    "\\",
    '\\"',
    ", ,",
    "a=b, ",
    'a="b", ',
    "Basic, ",
    "Basic ",
    "a ",
    "a/",
    "a=",
    '"a"',
    '=""',
    "\u0000",
    "\u00e9",
    "\ud83d\ude00",
  ];
  const out: string[] = [];
  for (const unit of units) {
    for (const size of [near, 100_000]) {
      out.push(fill(unit, size));
      out.push(`Basic ${fill(unit, size)}`);
      out.push(`Bearer realm="${fill(unit, size)}`);
      out.push(`Bearer realm="${fill(unit, size)}"`);
      out.push(`Negotiate ${fill(unit, size)}`);
    }
  }
  const params = (n: number) =>
    Array.from({ length: n }, (_, i) => `p${i}="v"`).join(",");
  out.push(`Bearer ${params(64)}`, `Bearer ${params(2000)}`);
  out.push(`Negotiate ${fill("a", near)}${"=".repeat(10)}`);
  out.push(`Negotiate ${fill("a", near)} x`);
  out.push(`Basic realm="${fill("x", near - 15)}"`);
  out.push(`Basic realm="${fill('\\"', near - 15)}"`);
  out.push(`Basic realm="${fill('\\\\\\"', near - 15)}"`);
  out.push(fill("Basic realm=a, ", near), fill("a=b, ", near));
  return out;
}

/**
 * Runs `fn` on `input`: it must return or throw `InvalidChallengeError`.
 * Returns the call's duration; a slow call is timed again (best of three) so
 * that a garbage collection or a busy machine is not taken for slowness.
 */
function run(input: unknown, fn: () => unknown): number {
  const once = () => {
    const start = performance.now();
    try {
      fn();
    } catch (err) {
      assert.ok(
        err instanceof InvalidChallengeError,
        `${JSON.stringify(input)?.slice(0, 200)} threw ${err}`,
      );
    }
    return performance.now() - start;
  };
  let ms = once();
  if (ms >= MAX_CALL_MS / 4) ms = Math.min(ms, once(), once());
  return ms;
}

function checkResult(challenges: Challenge[]) {
  assert.ok(challenges.length <= 64);
  for (const c of challenges) {
    assert.ok(c.scheme.length > 0);
    assert.equal(c.scheme, c.scheme.toLowerCase());
    const keys = Object.keys(c.params);
    assert.ok(keys.length <= 64);
    for (const key of keys) {
      assert.equal(key, key.toLowerCase());
      assert.equal(typeof c.params[key], "string");
    }
    if (c.token68 !== undefined) assert.equal(keys.length, 0);
  }
}

const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

Deno.test("parseChallenges() returns or throws InvalidChallengeError on fuzzed input, quickly", () => {
  const rnd = xorshift(0x5eed_c4a1);
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
  for (const input of inputs) {
    let result: Challenge[] | undefined;
    time(input, () => result = parseChallenges(input));
    if (result === undefined) continue;
    checkResult(result);
    for (const challenge of result) {
      if (challenge.scheme === "bearer") {
        time(challenge, () => bearerChallenge(challenge));
      }
    }
  }
  // The same inputs cut into header lines, as an array and as Headers.
  for (const input of inputs.slice(0, 12000)) {
    const lines = input.split(",");
    time(lines, () => checkResult(parseChallenges(lines)));
    if (HEADER_VALUE.test(input)) {
      const headers = new Headers();
      for (const line of lines) headers.append("WWW-Authenticate", line);
      time(input, () => checkResult(parseChallenges(headers)));
    }
  }
  const manyLines = Array(100_000).fill("Basic");
  time("100000 lines", () => parseChallenges(manyLines));
  time("1000 lines", () => parseChallenges(manyLines.slice(0, 1000)));
  assert.ok(
    slowest < MAX_CALL_MS,
    `slowest call took ${slowest.toFixed(2)} ms on ${slowestInput}`,
  );
});

// Round trip: random valid challenges, written with random (legal)
// formatting, parse back to what was written.

const TCHARS =
  "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const TOKEN68 =
  "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-._~+/";

function word(rnd: Random, chars: string, max: number): string {
  let s = "";
  for (let n = 1 + int(rnd, max); n > 0; n--) s += pick(rnd, [...chars]);
  return s;
}

function quotable(rnd: Random): string {
  let s = "";
  for (let n = int(rnd, 12); n > 0; n--) {
    const r = rnd();
    if (r < 0.7) s += String.fromCharCode(0x20 + int(rnd, 0x5f));
    else if (r < 0.8) s += pick(rnd, ['"', "\\", "\t", ","]);
    else s += String.fromCharCode(0x80 + int(rnd, 0x2000));
  }
  return s;
}

function ows(rnd: Random): string {
  return pick(rnd, ["", "", "", " ", "\t", "  "]);
}

function quote(rnd: Random, value: string): string {
  let s = '"';
  for (const c of value) {
    s += c === '"' || c === "\\" || rnd() < 0.1 ? `\\${c}` : c;
  }
  return `${s}"`;
}

Deno.test("parseChallenges() parses back randomly written valid challenges", () => {
  const rnd = xorshift(0xc0ffee);
  for (let i = 0; i < 4000; i++) {
    const expected: Challenge[] = [];
    const parts: string[] = [];
    for (let n = 1 + int(rnd, 4); n > 0; n--) {
      const scheme = word(rnd, TCHARS, 10);
      const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
      let text = scheme;
      const kind = rnd();
      if (kind < 0.2) {
        challenge.token68 = word(rnd, TOKEN68, 20) + "=".repeat(int(rnd, 3));
        text += ` ${ows(rnd)}${challenge.token68}`;
      } else if (kind < 0.9) {
        const params: string[] = [];
        for (let m = 1 + int(rnd, 6); m > 0; m--) {
          const name = word(rnd, TCHARS, 8);
          const key = name.toLowerCase();
          if (Object.hasOwn(challenge.params, key)) continue;
          const asToken = rnd() < 0.3;
          const value = asToken ? word(rnd, TCHARS, 10) : quotable(rnd);
          Object.defineProperty(challenge.params, key, {
            value,
            enumerable: true,
            writable: true,
            configurable: true,
          });
          params.push(
            `${name}${ows(rnd)}=${ows(rnd)}${
              asToken ? value : quote(rnd, value)
            }`,
          );
        }
        text += ` ${ows(rnd)}${params.join(`${ows(rnd)},${ows(rnd)}`)}`;
      }
      expected.push(challenge);
      parts.push(text);
    }
    const value = ows(rnd) +
      parts.join(`${ows(rnd)},${pick(rnd, ["", " ,", ", ,"])}${ows(rnd)}`) +
      ows(rnd);
    assert.deepEqual(parseChallenges(value), expected, value);
  }
});
