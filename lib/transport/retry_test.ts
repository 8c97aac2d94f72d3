import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertStrictEquals,
} from "@std/assert";
import { FakeTime } from "@std/testing/time";
import { DEFAULT_RETRY, parseRetryAfter, withRetry } from "./retry.ts";
import type { Transport } from "./transport.ts";
import { markReplayable } from "./_replay.ts";

/**
 * A fetch that answers from a script and records when each request came
 * (`Date.now()`, so that a test under `FakeTime` reads the fake clock).
 */
function scripted(
  answers: (Response | Error | ((request: Request) => Response))[],
): Transport & { calls: { at: number; method: string; body: string }[] } {
  const calls: { at: number; method: string; body: string }[] = [];
  const fn = async (request: Request) => {
    calls.push({
      at: Date.now(),
      method: request.method,
      body: request.body ? await request.text() : "",
    });
    const next = answers.shift();
    if (next === undefined) throw new Error("no more answers scripted");
    if (next instanceof Error) throw next;
    return typeof next === "function" ? next(request) : next;
  };
  return Object.assign(fn, { calls });
}

const status = (code: number, headers: HeadersInit = {}) =>
  new Response(`status ${code}`, { status: code, headers });

const FAST = { initialDelayMs: 2, maxDelayMs: 5 };

Deno.test("parseRetryAfter() reads seconds and HTTP dates, and ignores garbage", async (t) => {
  const now = Date.parse("Sun, 22 Nov 2026 12:00:00 GMT");
  const vectors: [string | null, number | undefined][] = [
    ["0", 0],
    ["2", 2000],
    [" 120 ", 120_000],
    ["Sun, 22 Nov 2026 12:00:30 GMT", 30_000],
    ["Sun, 22 Nov 2026 11:00:00 GMT", 0],
    ["Sunday, 22-Nov-26 12:00:10 GMT", 10_000],
    ["Sun Nov 22 12:00:05 2026", 5_000],
    ["2026-11-22T12:00:30Z", undefined],
    ["-1", undefined],
    ["1.5", undefined],
    ["soon", undefined],
    ["", undefined],
    ["9".repeat(11), undefined],
    [`Sun, 22 Nov 2026 12:00:30 GMT${" ".repeat(100)}x`, undefined],
    [null, undefined],
  ];
  for (const [value, expected] of vectors) {
    await t.step(JSON.stringify(value), () => {
      assertEquals(parseRetryAfter(value, now), expected);
    });
  }
});

Deno.test("DEFAULT_RETRY documents the defaults: 4 attempts, 200 ms doubling to 10 s, Retry-After up to 60 s", () => {
  assertEquals({
    ...DEFAULT_RETRY,
    retryStatuses: [...DEFAULT_RETRY.retryStatuses],
  }, {
    maxAttempts: 4,
    initialDelayMs: 200,
    maxDelayMs: 10_000,
    maxRetryAfterMs: 60_000,
    retryStatuses: [408, 429, 500, 502, 503, 504],
  });
  assert(Object.isFrozen(DEFAULT_RETRY));
});

Deno.test("withRetry() retries 408, 429, 500, 502, 503 and 504, then returns the success", async (t) => {
  for (const code of [408, 429, 500, 502, 503, 504]) {
    await t.step(String(code), async () => {
      const fetch = scripted([status(code), status(200)]);
      const res = await withRetry(fetch, FAST)(new Request("http://r/v2/"));
      assertEquals(res.status, 200);
      assertEquals(await res.text(), "status 200");
      assertEquals(fetch.calls.length, 2);
    });
  }
});

Deno.test("withRetry() does not retry other statuses", async (t) => {
  for (const code of [200, 201, 400, 401, 403, 404, 416, 501]) {
    await t.step(String(code), async () => {
      const fetch = scripted([status(code)]);
      const res = await withRetry(fetch, FAST)(new Request("http://r/v2/"));
      assertEquals(res.status, code);
      await res.body?.cancel();
      assertEquals(fetch.calls.length, 1);
    });
  }
});

Deno.test("withRetry() retries network errors, not other errors", async () => {
  const fetch = scripted([
    new TypeError("connection reset"),
    new TypeError("no activity for 10 ms (requestTimeoutMs)"),
    status(200),
  ]);
  const res = await withRetry(fetch, FAST)(new Request("http://r/v2/"));
  assertEquals(res.status, 200);
  await res.body?.cancel();
  assertEquals(fetch.calls.length, 3);

  const bug = new RangeError("a bug, not the network");
  const failing = scripted([bug, status(200)]);
  assertStrictEquals(
    await assertRejects(
      () => withRetry(failing, FAST)(new Request("http://r/v2/")),
    ),
    bug,
  );
  assertEquals(failing.calls.length, 1);
});

Deno.test("withRetry() stops after maxAttempts with the last answer or error", async () => {
  const fetch = scripted([status(503), status(503), status(502)]);
  const res = await withRetry(fetch, { ...FAST, maxAttempts: 3 })(
    new Request("http://r/v2/"),
  );
  assertEquals(res.status, 502);
  assertEquals(await res.text(), "status 502");
  assertEquals(fetch.calls.length, 3);

  const last = new TypeError("still down");
  const down = scripted([new TypeError("down"), last]);
  assertStrictEquals(
    await assertRejects(
      () =>
        withRetry(down, { ...FAST, maxAttempts: 2 })(
          new Request("http://r/v2/"),
        ),
    ),
    last,
  );

  const once = scripted([status(503)]);
  const single = await withRetry(once, { maxAttempts: 1 })(
    new Request("http://r/v2/"),
  );
  assertEquals(single.status, 503);
  await single.body?.cancel();
});

Deno.test("withRetry() repeats what is safe: GET, HEAD, in-memory PUT and DELETE, body-less POST", async (t) => {
  const cases: [string, () => Request, number][] = [
    ["GET", () => new Request("http://r/v2/x/tags/list"), 2],
    [
      "HEAD",
      () => new Request("http://r/v2/x/manifests/1", { method: "HEAD" }),
      2,
    ],
    [
      "DELETE",
      () => new Request("http://r/v2/x/manifests/1", { method: "DELETE" }),
      2,
    ],
    [
      "body-less POST",
      () => new Request("http://r/v2/x/blobs/uploads/", { method: "POST" }),
      2,
    ],
    [
      "PUT with an in-memory body",
      () =>
        markReplayable(
          new Request("http://r/v2/x/manifests/1", {
            method: "PUT",
            body: "{}",
          }),
        ),
      2,
    ],
    [
      "PUT with a streaming body",
      () =>
        new Request("http://r/v2/x/blobs/uploads/u?digest=d", {
          method: "PUT",
          body: new Blob(["abc"]).stream(),
          duplex: "half",
        } as RequestInit),
      1,
    ],
    [
      "PATCH, even in memory",
      () =>
        markReplayable(
          new Request("http://r/v2/x/blobs/uploads/u", {
            method: "PATCH",
            body: "abc",
          }),
        ),
      1,
    ],
    [
      "POST with a body",
      () =>
        markReplayable(
          new Request("http://r/v2/x/blobs/uploads/?digest=d", {
            method: "POST",
            body: "abc",
          }),
        ),
      1,
    ],
  ];
  for (const [name, make, attempts] of cases) {
    await t.step(`${name}: ${attempts} attempt(s)`, async () => {
      const fetch = scripted([status(503), status(201)]);
      const res = await withRetry(fetch, FAST)(make());
      await res.body?.cancel();
      assertEquals(fetch.calls.length, attempts);
      if (attempts === 2) {
        assertEquals(res.status, 201);
        assertEquals(fetch.calls[1].body, fetch.calls[0].body);
      } else {
        assertEquals(res.status, 503);
      }
    });
  }
});

Deno.test("withRetry() backs off exponentially with jitter, capped at maxDelayMs", async () => {
  const fetch = scripted([
    status(500),
    status(500),
    status(500),
    status(500),
    status(200),
  ]);
  using time = new FakeTime();
  const pending = withRetry(fetch, {
    maxAttempts: 5,
    initialDelayMs: 20,
    maxDelayMs: 50,
  })(new Request("http://r/v2/"));
  // Each wait is one timer: run them one at a time, at their due times.
  for (let wait = 1; wait <= 4; wait++) {
    assert(await time.nextAsync(), `wait ${wait} was not scheduled`);
  }
  const res = await pending;
  await res.body?.cancel();
  assertEquals(fetch.calls.length, 5);
  const gaps = fetch.calls.slice(1).map((c, i) => c.at - fetch.calls[i].at);
  // Ceilings: 20, 40, 50 (capped), 50; each wait is between half and all.
  const ceilings = [20, 40, 50, 50];
  for (const [i, gap] of gaps.entries()) {
    assert(gap >= ceilings[i] / 2, `gap ${i}: ${gap} ms`);
    assert(gap <= ceilings[i], `gap ${i}: ${gap} ms`);
  }
});

Deno.test("withRetry() waits as long as Retry-After says, in seconds or as an HTTP date", async () => {
  // A fake clock 250 ms past a whole second: an HTTP date 1.5 s on drops
  // its fraction, so it says 0.75 s from now.
  using time = new FakeTime(Date.parse("2026-11-22T12:00:00.250Z"));
  const seconds = scripted([status(429, { "retry-after": "1" }), status(200)]);
  const inOneAndAHalf = new Date(Date.now() + 1_500).toUTCString();
  const date = scripted([
    status(503, { "retry-after": inOneAndAHalf }),
    status(200),
  ]);
  const transportOpts = { initialDelayMs: 1, maxDelayMs: 1 };
  const both = Promise.all([
    withRetry(seconds, transportOpts)(new Request("http://r/v2/")),
    withRetry(date, transportOpts)(new Request("http://r/v2/")),
  ]);
  assert(await time.nextAsync(), "the date's wait was not scheduled");
  assert(await time.nextAsync(), "the seconds' wait was not scheduled");
  const [a, b] = await both;
  await a.body?.cancel();
  await b.body?.cancel();
  assertEquals(seconds.calls[1].at - seconds.calls[0].at, 1_000);
  assertEquals(date.calls[1].at - date.calls[0].at, 750);
});

Deno.test("withRetry() gives back at once a 429 whose Retry-After is over maxRetryAfterMs", async () => {
  // The clock is fake and never moves: a wait would never end, and the test
  // would fail ("the event loop has already resolved").
  using _time = new FakeTime();
  const fetch = scripted([
    status(429, { "retry-after": "3600" }),
    status(200),
  ]);
  const res = await withRetry(fetch, { maxRetryAfterMs: 60_000 })(
    new Request("http://r/v2/"),
  );
  assertEquals(res.status, 429);
  assertEquals(res.headers.get("retry-after"), "3600");
  await res.body?.cancel();
  assertEquals(fetch.calls.length, 1);
});

Deno.test("withRetry() stops waiting when the signal aborts, with its reason", async () => {
  // The clock is fake and never moves: the 30 s wait ends only by the abort.
  using time = new FakeTime();
  const controller = new AbortController();
  const fetch = scripted([status(503, { "retry-after": "30" }), status(200)]);
  const reason = new Error("caller gave up");
  let settled = false;
  const pending = withRetry(fetch)(
    new Request("http://r/v2/", { signal: controller.signal }),
  );
  pending.then(() => settled = true, () => settled = true);
  await time.runMicrotasks();
  assertEquals(fetch.calls.length, 1);
  assertEquals(settled, false, "not waiting for the Retry-After");
  controller.abort(reason);
  assertStrictEquals(await assertRejects(() => pending), reason);
  assertEquals(fetch.calls.length, 1);

  // A network error after an abort is not retried either.
  const aborted = AbortSignal.abort(new Error("already"));
  const down = scripted([new TypeError("down"), status(200)]);
  const err = await assertRejects(
    () =>
      withRetry(down, FAST)(new Request("http://r/v2/", { signal: aborted })),
    Error,
  );
  assertMatch(err.message, /down/);
  assertEquals(down.calls.length, 1);
});

Deno.test("withRetry() honours custom retryStatuses", async () => {
  const fetch = scripted([status(500), status(200)]);
  const res = await withRetry(fetch, { ...FAST, retryStatuses: [503] })(
    new Request("http://r/v2/"),
  );
  assertEquals(res.status, 500);
  await res.body?.cancel();
  assertEquals(fetch.calls.length, 1);
});
