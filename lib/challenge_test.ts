import assert from "node:assert/strict";
import {
  bearerChallenge,
  type Challenge,
  MAX_CHALLENGE_LENGTH,
  parseChallenges,
} from "./challenge.ts";
import { InvalidChallengeError, ParseError } from "./errors.ts";
import vectors from "./testdata/challenges.json" with { type: "json" };

function headersOf(values: string[]): Headers {
  const headers = new Headers();
  for (const value of values) headers.append("WWW-Authenticate", value);
  return headers;
}

function assertRejects(fn: () => unknown, input: string, rule: string) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof InvalidChallengeError, String(err));
    assert.ok(err instanceof ParseError);
    assert.equal(err.name, "InvalidChallengeError");
    assert.equal(err.input, input);
    assert.ok(err.rule.includes(rule), `rule ${err.rule} lacks ${rule}`);
    assert.ok(
      err.message.startsWith("Invalid WWW-Authenticate challenge "),
      err.message,
    );
    assert.ok(err.message.endsWith(`: ${err.rule}`), err.message);
    return true;
  });
}

Deno.test("parseChallenges() parses the accepted vectors", async (t) => {
  for (const v of vectors.accepted) {
    await t.step(v.name, () => {
      assert.deepEqual(parseChallenges(v.input), v.expected);
      if (Array.isArray(v.input)) {
        assert.deepEqual(parseChallenges(headersOf(v.input)), v.expected);
      }
    });
  }
});

Deno.test("parseChallenges() rejects the rejected vectors naming the rule", async (t) => {
  for (const v of vectors.rejected) {
    await t.step(v.name, () => {
      const input = v.errorInput ?? v.input;
      assert.equal(typeof input, "string");
      assertRejects(() => parseChallenges(v.input), String(input), v.rule);
      if (Array.isArray(v.input) && v.headersRule !== undefined) {
        // Headers joins the lines, so the failing rule may differ.
        const headers = headersOf(v.input);
        assertRejects(
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
  assert.deepEqual(parseChallenges(res.headers), [
    { scheme: "basic", params: { realm: "registry" } },
    {
      scheme: "bearer",
      params: { realm: "https://auth/token", service: "reg" },
    },
  ]);
});

Deno.test("parseChallenges() parses each line of an array on its own", () => {
  const lines = ['Bearer realm="https://a/token', '", service="b"'];
  assertRejects(
    () => parseChallenges(lines),
    lines[0],
    "unterminated quoted string at 13",
  );
  // Joined, as Headers joins them, the two halves happen to parse.
  assert.deepEqual(parseChallenges(lines.join(", ")), [
    { scheme: "bearer", params: { realm: "https://a/token, ", service: "b" } },
  ]);
});

Deno.test("parseChallenges() returns no challenges without the header", () => {
  assert.deepEqual(parseChallenges(new Headers()), []);
  assert.deepEqual(parseChallenges([]), []);
});

Deno.test("parseChallenges() throws TypeError for other argument types", () => {
  assert.throws(
    () => parseChallenges(42 as unknown as string),
    (err: unknown) =>
      err instanceof TypeError &&
      err.message ===
        "parseChallenges() expects a string, an array of strings or Headers",
  );
});

Deno.test("parseChallenges() returns params with Object.prototype", () => {
  const [challenge] = parseChallenges('Bearer realm="r", __proto__="x"');
  assert.equal(Object.getPrototypeOf(challenge.params), Object.prototype);
  assert.deepEqual(Object.keys(challenge.params), ["realm", "__proto__"]);
  assert.equal(
    Object.getOwnPropertyDescriptor(challenge.params, "__proto__")?.value,
    "x",
  );
});

Deno.test("parseChallenges() accepts exactly MAX_CHALLENGE_LENGTH characters", () => {
  const prefix = 'Basic realm="';
  const realm = "r".repeat(MAX_CHALLENGE_LENGTH - prefix.length - 1);
  const value = `${prefix}${realm}"`;
  assert.equal(value.length, MAX_CHALLENGE_LENGTH);
  assert.deepEqual(parseChallenges(value), [
    { scheme: "basic", params: { realm } },
  ]);
});

Deno.test("parseChallenges() rejects values longer than MAX_CHALLENGE_LENGTH", () => {
  assert.equal(MAX_CHALLENGE_LENGTH, 16384);
  const value = `Basic realm="${"r".repeat(MAX_CHALLENGE_LENGTH)}"`;
  assertRejects(
    () => parseChallenges(value),
    value,
    "longer than 16384 characters",
  );
  const half = `Basic realm="${"r".repeat(MAX_CHALLENGE_LENGTH / 2)}"`;
  assertRejects(
    () => parseChallenges([half, half]),
    `${half}, ${half}`,
    "longer than 16384 characters",
  );
  assertRejects(
    () => parseChallenges(headersOf([half, half])),
    `${half}, ${half}`,
    "longer than 16384 characters",
  );
});

Deno.test("parseChallenges() accepts 64 params and rejects 65", () => {
  const params = (n: number) =>
    Array.from({ length: n }, (_, i) => `p${i}="v${i}"`).join(", ");
  const [challenge] = parseChallenges(`Bearer ${params(64)}`);
  assert.equal(Object.keys(challenge.params).length, 64);
  assert.equal(challenge.params.p63, "v63");
  const value = `Bearer ${params(65)}`;
  assertRejects(
    () => parseChallenges(value),
    value,
    "more than 64 params in a challenge",
  );
});

Deno.test("parseChallenges() counts params per challenge", () => {
  const params = Array.from({ length: 40 }, (_, i) => `p${i}=v`).join(",");
  const challenges = parseChallenges(`Basic ${params}, Bearer ${params}`);
  assert.equal(challenges.length, 2);
});

Deno.test("parseChallenges() accepts 64 challenges and rejects 65", () => {
  const list = (n: number) => Array(n).fill('Basic realm="r"').join(", ");
  assert.equal(parseChallenges(list(64)).length, 64);
  assertRejects(
    () => parseChallenges(list(65)),
    list(65),
    "more than 64 challenges",
  );
});

Deno.test("bearerChallenge() reads the accepted vectors", async (t) => {
  for (const v of vectors.bearer) {
    await t.step(v.name, () => {
      const [challenge] = parseChallenges(v.input);
      assert.deepEqual(bearerChallenge(challenge), v.expected);
    });
  }
});

Deno.test("bearerChallenge() rejects the rejected vectors naming the rule", async (t) => {
  for (const v of vectors.bearerRejected) {
    await t.step(v.name, () => {
      const [challenge] = parseChallenges(v.input);
      assert.throws(() => bearerChallenge(challenge), (err: unknown) => {
        assert.ok(err instanceof InvalidChallengeError);
        assert.equal(err.rule, v.rule);
        assert.ok(err.message.endsWith(`: ${v.rule}`));
        return true;
      });
    });
  }
});

Deno.test("bearerChallenge() puts the challenge, re-written, in the error", () => {
  const challenge: Challenge = {
    scheme: "bearer",
    params: { service: 'a"b\\c' },
  };
  assert.throws(() => bearerChallenge(challenge), (err: unknown) => {
    assert.ok(err instanceof InvalidChallengeError);
    assert.equal(err.input, 'bearer service="a\\"b\\\\c"');
    return true;
  });
});

Deno.test("bearerChallenge() accepts a hand-built challenge with any scheme case", () => {
  assert.deepEqual(
    bearerChallenge({ scheme: "Bearer", params: { realm: "r", scope: "a b" } }),
    { realm: "r", scope: ["a", "b"] },
  );
});

Deno.test("bearerChallenge() ignores inherited properties", () => {
  const params = Object.create({ realm: "inherited" }) as Record<
    string,
    string
  >;
  assert.throws(
    () => bearerChallenge({ scheme: "bearer", params }),
    (err: unknown) =>
      err instanceof InvalidChallengeError &&
      err.rule === "Bearer challenge without a realm",
  );
});
