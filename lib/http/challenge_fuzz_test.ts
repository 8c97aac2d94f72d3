// Fuzz tests of parseChallenges() and bearerChallenge(): random and
// adversarial inputs must give a value or an InvalidChallengeError, nothing
// else, and no call may be slow. Seeded, so every run sees the same inputs.

import { assert, assertEquals } from "@std/assert";
import {
  bearerChallenge,
  type Challenge,
  MAX_CHALLENGE_LENGTH,
  parseChallenges,
} from "./challenge.ts";
import { InvalidChallengeError } from "../errors.ts";
import { setOwn } from "./_syntax.ts";
import {
  callTimer,
  fill,
  fromPieces,
  fuzzInputs,
  headerList,
  int,
  mutate,
  ows,
  quotable,
  quote,
  TCHARS,
  word,
  xorshift32,
} from "../../test_support/fuzz.ts";
import vectors from "./testdata/challenges.json" with { type: "json" };

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

const SEEDS: string[] = vectors.accepted.flatMap((v) =>
  Array.isArray(v.input) ? v.input : [v.input]
);

/** Long and pathological inputs, each under and over the length limit. */
function adversarial(): string[] {
  const near = MAX_CHALLENGE_LENGTH - 20;
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

function checkResult(challenges: Challenge[]) {
  assert(challenges.length <= 64);
  for (const c of challenges) {
    assert(c.scheme.length > 0);
    assertEquals(c.scheme, c.scheme.toLowerCase());
    const keys = Object.keys(c.params);
    assert(keys.length <= 64);
    for (const key of keys) {
      assertEquals(key, key.toLowerCase());
      assertEquals(typeof c.params[key], "string");
    }
    if (c.token68 !== undefined) assertEquals(keys.length, 0);
  }
}

const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

Deno.test("parseChallenges() returns or throws InvalidChallengeError on fuzzed input, quickly", () => {
  const inputs = fuzzInputs(xorshift32(0x5eed_c4a1), {
    adversarial: adversarial(),
    fromPieces: (rnd) => fromPieces(rnd, PIECES),
    mutate: (rnd) => mutate(rnd, SEEDS, PIECES),
  });
  const { time, assertFast } = callTimer(InvalidChallengeError);
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
  assertFast();
});

// Round trip: random valid challenges, written with random (legal)
// formatting, parse back to what was written.

const TOKEN68 =
  "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-._~+/";
const QUOTED_SPECIALS = ['"', "\\", "\t", ","];

Deno.test("parseChallenges() parses back randomly written valid challenges", () => {
  const rnd = xorshift32(0xc0ffee);
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
          const value = asToken
            ? word(rnd, TCHARS, 10)
            : quotable(rnd, QUOTED_SPECIALS);
          setOwn(challenge.params, key, value);
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
    const value = headerList(rnd, parts);
    assertEquals(parseChallenges(value), expected, value);
  }
});
