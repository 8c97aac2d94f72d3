// Fuzz tests of parseChallenges() and bearerChallenge(): random and
// adversarial inputs must give a value or an InvalidChallengeError, nothing
// else. Seeded, so every run sees the same inputs
// (test_support/fuzz_http.ts). How long the calls take is measured by
// parsers_fuzz_bench.ts.

import { assert, assertEquals, assertThrows } from "@std/assert";
import {
  bearerChallenge,
  type Challenge,
  parseChallenges,
} from "./challenge.ts";
import { InvalidChallengeError } from "../errors.ts";
import { setOwn } from "./_syntax.ts";
import {
  headerList,
  int,
  onlyThrows,
  ows,
  quotable,
  quote,
  TCHARS,
  word,
  xorshift32,
} from "../../test_support/fuzz.ts";
import { challengeInputs } from "../../test_support/fuzz_http.ts";

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

Deno.test("parseChallenges() returns or throws InvalidChallengeError on fuzzed input", () => {
  const inputs = challengeInputs().all;
  const call = onlyThrows(InvalidChallengeError);
  for (const input of inputs) {
    let result: Challenge[] | undefined;
    call(input, () => result = parseChallenges(input));
    if (result === undefined) continue;
    checkResult(result);
    for (const challenge of result) {
      if (challenge.scheme === "bearer") {
        call(challenge, () => bearerChallenge(challenge));
      }
    }
  }
  // The same inputs cut into header lines, as an array and as Headers.
  for (const input of inputs.slice(0, 12000)) {
    const lines = input.split(",");
    call(lines, () => checkResult(parseChallenges(lines)));
    if (HEADER_VALUE.test(input)) {
      const headers = new Headers();
      for (const line of lines) headers.append("WWW-Authenticate", line);
      call(input, () => checkResult(parseChallenges(headers)));
    }
  }
  // Many lines: refused by the limits, not parsed whole.
  const manyLines = Array(100_000).fill("Basic");
  assertThrows(
    () => parseChallenges(manyLines),
    InvalidChallengeError,
    "longer than 16384 characters",
  );
  assertThrows(
    () => parseChallenges(manyLines.slice(0, 1000)),
    InvalidChallengeError,
    "more than 64 challenges",
  );
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
