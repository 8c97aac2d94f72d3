import {
  assert,
  assertEquals,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import {
  bearerChallenge,
  type Challenge,
  MAX_CHALLENGE_LENGTH,
  parseChallenges,
} from "./challenge.ts";
import { InvalidChallengeError, ParseError } from "../errors.ts";
import vectors from "./testdata/challenges.json" with { type: "json" };

function headersOf(values: string[]): Headers {
  const headers = new Headers();
  for (const value of values) headers.append("WWW-Authenticate", value);
  return headers;
}

function assertInvalid(fn: () => unknown, input: string, rule: string) {
  const err = assertThrows(fn, InvalidChallengeError);
  assert(err instanceof ParseError);
  assertEquals(err.name, "InvalidChallengeError");
  assertEquals(err.input, input);
  assert(err.rule.includes(rule), `rule ${err.rule} lacks ${rule}`);
  assert(
    err.message.startsWith("Invalid WWW-Authenticate challenge "),
    err.message,
  );
  assert(err.message.endsWith(`: ${err.rule}`), err.message);
}

Deno.test("parseChallenges() parses the accepted vectors", async (t) => {
  for (const v of vectors.accepted) {
    await t.step(v.name, () => {
      assertEquals(parseChallenges(v.input), v.expected);
      if (Array.isArray(v.input)) {
        assertEquals(parseChallenges(headersOf(v.input)), v.expected);
      }
    });
  }
});

Deno.test("parseChallenges() rejects the rejected vectors naming the rule", async (t) => {
  for (const v of vectors.rejected) {
    await t.step(v.name, () => {
      const input = v.errorInput ?? v.input;
      assertEquals(typeof input, "string");
      assertInvalid(() => parseChallenges(v.input), String(input), v.rule);
      if (Array.isArray(v.input) && v.headersRule !== undefined) {
        // Headers joins the lines, so the failing rule may differ.
        const headers = headersOf(v.input);
        assertInvalid(
          () => parseChallenges(headers),
          v.input.join(", "),
          v.headersRule,
        );
      }
    });
  }
});

Deno.test("parseChallenges() reads every WWW-Authenticate header of a response", () => {
  const res = new Response(null, {
    status: 401,
    headers: [
      ["WWW-Authenticate", 'Basic realm="registry"'],
      ["Content-Type", "application/json"],
      ["www-authenticate", 'Bearer realm="https://auth/token",service="reg"'],
    ],
  });
  assertEquals(parseChallenges(res.headers), [
    { scheme: "basic", params: { realm: "registry" } },
    {
      scheme: "bearer",
      params: { realm: "https://auth/token", service: "reg" },
    },
  ]);
});

Deno.test("parseChallenges() parses each line of an array on its own", () => {
  const lines = ['Bearer realm="https://a/token', '", service="b"'];
  assertInvalid(
    () => parseChallenges(lines),
    lines[0],
    "unterminated quoted string at 13",
  );
  // Joined, as Headers joins them, the two halves happen to parse.
  assertEquals(parseChallenges(lines.join(", ")), [
    { scheme: "bearer", params: { realm: "https://a/token, ", service: "b" } },
  ]);
});

Deno.test("parseChallenges() returns no challenges without the header", () => {
  assertEquals(parseChallenges(new Headers()), []);
  assertEquals(parseChallenges([]), []);
});

Deno.test("parseChallenges() throws TypeError for other argument types", () => {
  const err = assertThrows(
    () => parseChallenges(42 as unknown as string),
    TypeError,
  );
  assertEquals(
    err.message,
    "parseChallenges() expects a string, an array of strings or Headers",
  );
});

Deno.test("parseChallenges() returns params with Object.prototype", () => {
  const [challenge] = parseChallenges('Bearer realm="r", __proto__="x"');
  assertStrictEquals(Object.getPrototypeOf(challenge.params), Object.prototype);
  assertEquals(Object.keys(challenge.params), ["realm", "__proto__"]);
  assertEquals(
    Object.getOwnPropertyDescriptor(challenge.params, "__proto__")?.value,
    "x",
  );
});

Deno.test("parseChallenges() accepts exactly MAX_CHALLENGE_LENGTH characters", () => {
  const prefix = 'Basic realm="';
  const realm = "r".repeat(MAX_CHALLENGE_LENGTH - prefix.length - 1);
  const value = `${prefix}${realm}"`;
  assertEquals(value.length, MAX_CHALLENGE_LENGTH);
  assertEquals(parseChallenges(value), [
    { scheme: "basic", params: { realm } },
  ]);
});

Deno.test("parseChallenges() rejects values longer than MAX_CHALLENGE_LENGTH", () => {
  assertEquals(MAX_CHALLENGE_LENGTH, 16384);
  const value = `Basic realm="${"r".repeat(MAX_CHALLENGE_LENGTH)}"`;
  assertInvalid(
    () => parseChallenges(value),
    value,
    "longer than 16384 characters",
  );
  const half = `Basic realm="${"r".repeat(MAX_CHALLENGE_LENGTH / 2)}"`;
  assertInvalid(
    () => parseChallenges([half, half]),
    `${half}, ${half}`,
    "longer than 16384 characters",
  );
  assertInvalid(
    () => parseChallenges(headersOf([half, half])),
    `${half}, ${half}`,
    "longer than 16384 characters",
  );
});

Deno.test("parseChallenges() accepts 64 params and rejects 65", () => {
  const params = (n: number) =>
    Array.from({ length: n }, (_, i) => `p${i}="v${i}"`).join(", ");
  const [challenge] = parseChallenges(`Bearer ${params(64)}`);
  assertEquals(Object.keys(challenge.params).length, 64);
  assertEquals(challenge.params.p63, "v63");
  const value = `Bearer ${params(65)}`;
  assertInvalid(
    () => parseChallenges(value),
    value,
    "more than 64 params in a challenge",
  );
});

Deno.test("parseChallenges() counts params per challenge", () => {
  const params = Array.from({ length: 40 }, (_, i) => `p${i}=v`).join(",");
  const challenges = parseChallenges(`Basic ${params}, Bearer ${params}`);
  assertEquals(challenges.length, 2);
});

Deno.test("parseChallenges() accepts 64 challenges and rejects 65", () => {
  const list = (n: number) => Array(n).fill('Basic realm="r"').join(", ");
  assertEquals(parseChallenges(list(64)).length, 64);
  assertInvalid(
    () => parseChallenges(list(65)),
    list(65),
    "more than 64 challenges",
  );
});

Deno.test("bearerChallenge() reads the accepted vectors", async (t) => {
  for (const v of vectors.bearer) {
    await t.step(v.name, () => {
      const [challenge] = parseChallenges(v.input);
      assertEquals(bearerChallenge(challenge), v.expected);
    });
  }
});

Deno.test("bearerChallenge() rejects the rejected vectors naming the rule", async (t) => {
  for (const v of vectors.bearerRejected) {
    await t.step(v.name, () => {
      const [challenge] = parseChallenges(v.input);
      const err = assertThrows(
        () => bearerChallenge(challenge),
        InvalidChallengeError,
      );
      assertEquals(err.rule, v.rule);
      assert(err.message.endsWith(`: ${v.rule}`));
    });
  }
});

Deno.test("bearerChallenge() puts the challenge, re-written, in the error", () => {
  const challenge: Challenge = {
    scheme: "bearer",
    params: { service: 'a"b\\c' },
  };
  const err = assertThrows(
    () => bearerChallenge(challenge),
    InvalidChallengeError,
  );
  assertEquals(err.input, 'bearer service="a\\"b\\\\c"');
});

Deno.test("bearerChallenge() accepts a hand-built challenge with any scheme case", () => {
  assertEquals(
    bearerChallenge({ scheme: "Bearer", params: { realm: "r", scope: "a b" } }),
    { realm: "r", scope: ["a", "b"] },
  );
});

Deno.test("bearerChallenge() ignores inherited properties", () => {
  const params = Object.create({ realm: "inherited" }) as Record<
    string,
    string
  >;
  const err = assertThrows(
    () => bearerChallenge({ scheme: "bearer", params }),
    InvalidChallengeError,
  );
  assertEquals(err.rule, "Bearer challenge without a realm");
});
