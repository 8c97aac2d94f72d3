import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { FakeTime } from "@std/testing/time";
import { startFakeRegistry } from "../testing/fake_registry.ts";
import { composeTransport } from "./compose.ts";
import {
  DEFAULT_MIN_SPEED,
  DEFAULT_MIN_SPEED_WINDOW_MS,
  DEFAULT_REQUEST_DEADLINE_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type TimeoutOptions,
  withTimeout,
} from "./timeout.ts";
import type { Transport } from "./transport.ts";
import { markTransfer } from "./_replay.ts";

const fetchT: Transport = (request) => fetch(request);

/** Effectively for ever: a wait this long ends only when the client goes. */
const AN_HOUR_MS = 3_600_000;

/**
 * A server whose response body sends `chunks` chunks `everyMs` apart, or
 * (with `stallAfter`) stops after that many and waits until the client goes.
 */
function slowServer(
  options: { chunks: number; everyMs: number; stallAfter?: number },
): Deno.HttpServer<Deno.NetAddr> & { url: string; received: number[] } {
  const received: number[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) => {
      if (req.body) {
        received.push((await req.arrayBuffer()).byteLength);
      }
      let sent = 0;
      let timer: ReturnType<typeof setTimeout> | undefined;
      return new Response(
        new ReadableStream<Uint8Array>({
          pull(controller) {
            if (sent === options.chunks) return controller.close();
            const stall = options.stallAfter !== undefined &&
              sent >= options.stallAfter;
            return new Promise<void>((resolve) => {
              if (stall) {
                timer = setTimeout(resolve, AN_HOUR_MS);
                return;
              }
              timer = setTimeout(() => {
                sent++;
                controller.enqueue(new Uint8Array(1024).fill(sent));
                resolve();
              }, sent === 0 ? 0 : options.everyMs);
            });
          },
          cancel() {
            clearTimeout(timer);
          },
        }),
      );
    },
  );
  return Object.assign(server, {
    url: `http://127.0.0.1:${server.addr.port}/`,
    received,
  });
}

Deno.test("withTimeout() fails a request whose answer does not come in time, as a network error", async () => {
  await using registry = await startFakeRegistry();
  // An answer an hour late: the call settling at all is the timeout's doing.
  registry.faults.delayMs = AN_HOUR_MS;
  const transport = withTimeout(fetchT, 50);
  const err = await assertRejects(
    () => transport(new Request(`${registry.url}/v2/`)),
    TypeError,
  );
  assertMatch(
    err.message,
    /^no activity for 50 ms while waiting for the response \(requestTimeoutMs\)$/,
  );
});

Deno.test("withTimeout() lets a slow but steady body through, and fails a stalled one", async (t) => {
  await t.step(
    "a chunk every 40 ms (400 ms in all) with a 250 ms timeout",
    async () => {
      await using server = slowServer({ chunks: 10, everyMs: 40 });
      const res = await withTimeout(fetchT, 250)(new Request(server.url));
      assertEquals((await res.arrayBuffer()).byteLength, 10 * 1024);
    },
  );
  await t.step("two chunks then an hour of silence", async () => {
    await using server = slowServer({ chunks: 8, everyMs: 5, stallAfter: 2 });
    const res = await withTimeout(fetchT, 200)(new Request(server.url));
    const reader = res.body!.getReader();
    let got = 0;
    const err = await assertRejects(
      () =>
        (async () => {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) return;
            got += value.byteLength;
          }
        })(),
      Error,
    );
    assertMatch(
      err.message,
      /no activity for 200 ms while waiting for the response body/,
    );
    assertEquals(got, 2 * 1024);
  });
});

Deno.test("withTimeout() keeps the response's status, headers and URL, and BYOB reads", async () => {
  await using server = slowServer({ chunks: 3, everyMs: 1 });
  const res = await withTimeout(fetchT, 1_000)(new Request(server.url));
  assertEquals(res.status, 200);
  assertEquals(res.url, server.url);
  assertEquals(res.redirected, false);
  const reader = res.body!.getReader({ mode: "byob" });
  let buffer = new Uint8Array(4096);
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read(
      new Uint8Array(buffer.buffer, 0, buffer.byteLength),
    );
    if (value) buffer = new Uint8Array(value.buffer);
    if (done) break;
    total += value.byteLength;
  }
  assertEquals(total, 3 * 1024);
});

Deno.test("withTimeout() counts a streamed request body being sent as activity", async () => {
  await using server = slowServer({ chunks: 1, everyMs: 1 });
  let pulls = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (pulls++ === 8) return controller.close();
      await new Promise((resolve) => setTimeout(resolve, 40));
      controller.enqueue(new Uint8Array(100));
    },
  });
  const request = new Request(server.url, {
    method: "PUT",
    body,
    duplex: "half",
  } as RequestInit);
  // 8 chunks 40 ms apart: 320 ms in all, never 250 ms without progress.
  const res = await withTimeout(fetchT, 250)(request);
  await res.body?.cancel();
  assertEquals(res.status, 200);
  assertEquals(server.received, [800]);
});

Deno.test("withTimeout() leaves the caller's abort alone: its reason, at once", async () => {
  await using registry = await startFakeRegistry();
  // An answer an hour late, a timeout of an hour: only the abort ends it.
  registry.faults.delayMs = AN_HOUR_MS;
  const controller = new AbortController();
  const reason = new Error("stop now");
  setTimeout(() => controller.abort(reason), 20);
  assertStrictEquals(
    await assertRejects(
      () =>
        withTimeout(fetchT, AN_HOUR_MS)(
          new Request(`${registry.url}/v2/`, { signal: controller.signal }),
        ),
    ),
    reason,
  );
});

Deno.test("withTimeout() is off with 0 or Infinity, refuses a negative bound, defaults to 2 minutes", () => {
  assertStrictEquals(withTimeout(fetchT, 0), fetchT);
  assertStrictEquals(withTimeout(fetchT, Infinity), fetchT);
  assertThrows(() => withTimeout(fetchT, -1), RangeError);
  assertThrows(() => withTimeout(fetchT, NaN), RangeError);
  assertEquals(DEFAULT_REQUEST_TIMEOUT_MS, 120_000);
});

Deno.test("withTimeout() refuses a bound that is not a number with a RangeError", async (t) => {
  for (const bad of ["abc", "100", null, 10n]) {
    await t.step(`${typeof bad} ${String(bad)}`, () => {
      const err = assertThrows(
        () => withTimeout(fetchT, bad as unknown as number),
        RangeError,
      );
      assertMatch(
        err.message,
        /^Invalid request timeout .*: must be 0 \(off\) or more milliseconds$/,
      );
    });
  }
});

Deno.test("withTimeout() does not depend on the inner transport watching its signal", async (t) => {
  // Request timers do not hold the process (a real fetch does); with a
  // transport that never answers, this one does.
  const hold = setTimeout(() => {}, 60_000);
  await t.step("an answer that never comes", async () => {
    let release!: (res: Response) => void;
    const late = new Response("late");
    const deaf: Transport = () => new Promise((resolve) => release = resolve);
    const err = await assertRejects(
      () => withTimeout(deaf, 30)(new Request("http://r/v2/")),
      Error,
    );
    assertMatch(
      err.message,
      /no activity for 30 ms while waiting for the response/,
    );
    release(late);
    await new Promise((resolve) => setTimeout(resolve, 0));
    assertEquals(late.bodyUsed, true, "the late answer's body was cancelled");
  });
  await t.step(
    "a body that stalls, and the caller's abort while reading",
    async () => {
      let cancelled = 0;
      const stalling = () =>
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new Uint8Array(10));
          },
          pull() {
            return new Promise(() => {});
          },
          cancel() {
            cancelled++;
          },
        });
      const deaf: Transport = () => Promise.resolve(new Response(stalling()));
      const res = await withTimeout(deaf, 30)(new Request("http://r/v2/"));
      const err = await assertRejects(() => res.arrayBuffer(), Error);
      assertMatch(err.message, /while waiting for the response body/);

      const controller = new AbortController();
      const reason = new Error("caller stop");
      const res2 = await withTimeout(deaf, 10_000)(
        new Request("http://r/v2/", { signal: controller.signal }),
      );
      const reader = res2.body!.getReader();
      assertEquals((await reader.read()).value?.byteLength, 10);
      setTimeout(() => controller.abort(reason), 10);
      assertStrictEquals(await assertRejects(() => reader.read()), reason);
      assertEquals(cancelled, 2);
    },
  );
  clearTimeout(hold);
});

Deno.test("withTimeout() quietly cancels an answer that arrives after an abort", async () => {
  const controller = new AbortController();
  let answer!: (res: Response) => void;
  const transport = withTimeout(
    () => new Promise((resolve) => answer = resolve),
    10_000,
  );
  const pending = transport(
    new Request("http://127.0.0.1:1/v2/", { signal: controller.signal }),
  );
  controller.abort(new Error("stop"));
  const err = await assertRejects(() => pending, Error);
  assertMatch(err.message, /stop/);
  // A body already broken: cancelling it rejects. Nothing may be left
  // unhandled (the test sanitizer fails on an unhandled rejection).
  answer(
    new Response(
      new ReadableStream({ start: (c) => c.error(new Error("broken")) }),
    ),
  );
  await new Promise((resolve) => setTimeout(resolve, 20));
});

// ------------------------------------------------ deadline and minimum speed
// Fake time throughout: the bodies below come from injected transports whose
// chunks wait on (fake) timers, and the test moves the clock.

/** A body of `chunks` chunks of `size` bytes, each `everyMs` after the last. */
function tickingBody(
  chunks: number,
  size: number,
  everyMs: number,
): ReadableStream<Uint8Array> {
  let sent = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent === chunks) return controller.close();
      return new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          sent++;
          controller.enqueue(new Uint8Array(size));
          resolve();
        }, everyMs);
      });
    },
    cancel() {
      clearTimeout(timer);
    },
  }, { highWaterMark: 0 });
}

/** Reads a body whole while the fake clock moves; resolves with its length or the error. */
async function drain(
  time: FakeTime,
  res: Response,
  stepMs: number,
  maxMs: number,
): Promise<number | Error> {
  let outcome: number | Error | undefined;
  res.arrayBuffer().then(
    (b) => outcome = b.byteLength,
    (e) => outcome = e,
  );
  for (let t = 0; t < maxMs && outcome === undefined; t += stepMs) {
    await time.tickAsync(stepMs);
  }
  await time.runMicrotasks();
  assert(outcome !== undefined, "the body neither ended nor failed");
  return outcome;
}

Deno.test("withTimeout() fails a body trickled under the inactivity bound once it runs below minSpeed", async () => {
  using time = new FakeTime();
  // A byte every 100 ms: never 500 ms without activity, 10 bytes/s.
  const trickler: Transport = () =>
    Promise.resolve(new Response(tickingBody(1_000, 1, 100)));
  const transport = composeTransport({
    fetch: trickler,
    retry: { maxAttempts: 1 },
    requestTimeoutMs: 500,
    requestDeadlineMs: 0,
    minSpeed: 1024,
    minSpeedWindowMs: 2_000,
  });
  const res = await transport(new Request("http://r/v2/a/blobs/x"));
  const outcome = await drain(time, res, 50, 100_000);
  assert(outcome instanceof TypeError);
  assertMatch(
    outcome.message,
    /^the transfer ran below 1024 bytes\/s: \d+ bytes in 2\d{3} ms \(minSpeed, minSpeedWindowMs\)$/,
  );
});

Deno.test("withTimeout() ends a request that is not a transfer at its deadline, headers and body together", async () => {
  using time = new FakeTime();
  // 1 KiB every 100 ms: steady and fast enough, but 10 s in all.
  const slow: Transport = () =>
    Promise.resolve(new Response(tickingBody(100, 1024, 100)));
  const options = {
    requestTimeoutMs: 500,
    requestDeadlineMs: 3_000,
    minSpeed: 1024,
    minSpeedWindowMs: 1_000,
  };
  const res = await withTimeout(slow, options)(new Request("http://r/v2/"));
  const outcome = await drain(time, res, 100, 20_000);
  assert(outcome instanceof TypeError);
  assertEquals(
    outcome.message,
    "no complete answer within 3000 ms (requestDeadlineMs)",
  );

  await readsAsTransfer(time, slow, options);
});

/** The same body as a blob transfer: no deadline, it reads to its end. */
async function readsAsTransfer(
  time: FakeTime,
  slow: Transport,
  options: TimeoutOptions,
): Promise<void> {
  const res = await withTimeout(slow, options)(
    markTransfer(new Request("http://r/v2/a/blobs/x")),
  );
  assertEquals(await drain(time, res, 100, 20_000), 100 * 1024);
}

Deno.test("withTimeout() counts only the time spent waiting on the peer for minSpeed", async (t) => {
  using time = new FakeTime();
  const options = {
    requestTimeoutMs: 10_000,
    requestDeadlineMs: 0,
    minSpeed: 1024,
    minSpeedWindowMs: 1_000,
  };
  await t.step("a reader that pauses between reads", async () => {
    const fast: Transport = () =>
      Promise.resolve(new Response(tickingBody(20, 1024, 10)));
    const res = await withTimeout(fast, options)(new Request("http://r/"));
    const reader = res.body!.getReader();
    let got = 0;
    for (;;) {
      const read = reader.read();
      await time.tickAsync(10);
      const { done, value } = await read;
      if (done) break;
      got += value.byteLength;
      await time.tickAsync(5_000); // the reader's own pause
    }
    assertEquals(got, 20 * 1024);
  });
  await t.step(
    "a registry that takes long to answer (commits an upload)",
    async () => {
      const committing: Transport = () =>
        new Promise((resolve) =>
          setTimeout(
            () => resolve(new Response(tickingBody(4, 1024, 1))),
            5_000,
          )
        );
      const pending = withTimeout(committing, options)(
        new Request("http://r/", { method: "PUT", body: "x" }),
      );
      await time.tickAsync(5_000);
      const res = await pending;
      assertEquals(await drain(time, res, 1, 100), 4 * 1024);
    },
  );
  await t.step("a request body the peer takes too slowly", async () => {
    // fetch (here: a reader) takes a chunk of 10 bytes every 500 ms.
    const slowReader: Transport = async (request) => {
      const reader = request.body!.getReader();
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        if ((await reader.read()).done) break;
      }
      return new Response("done");
    };
    const pending = withTimeout(slowReader, options)(
      new Request("http://r/", {
        method: "PUT",
        body: tickingBody(100, 10, 0),
        duplex: "half",
      } as RequestInit),
    );
    let settled = false;
    pending.then(() => settled = true, () => settled = true);
    for (let i = 0; i < 1_000 && !settled; i++) await time.tickAsync(100);
    const err = await assertRejects(() => pending, TypeError);
    assertMatch(err.message, /^the transfer ran below 1024 bytes\/s/);
  });
});

Deno.test("withTimeout() sets one timer per request, not one per chunk", async () => {
  using time = new FakeTime();
  const calls = { set: 0 };
  const realSet = globalThis.setTimeout;
  // Counted through the fake clock's own setTimeout, restored below.
  globalThis.setTimeout = ((fn: () => void, ms?: number) => {
    calls.set++;
    return realSet(fn, ms);
  }) as typeof setTimeout;
  try {
    const body = new ReadableStream<Uint8Array>({
      pull: (controller) => {
        controller.enqueue(new Uint8Array(16));
        if (++chunks === 2_000) controller.close();
      },
    });
    let chunks = 0;
    const res = await withTimeout(() => Promise.resolve(new Response(body)), {
      requestTimeoutMs: 1_000,
      requestDeadlineMs: 5_000,
      minSpeed: 1,
      minSpeedWindowMs: 1_000,
    })(new Request("http://r/"));
    assertEquals((await res.arrayBuffer()).byteLength, 2_000 * 16);
  } finally {
    globalThis.setTimeout = realSet;
  }
  assert(calls.set <= 2, `${calls.set} timers for one request`);
  await time.runMicrotasks();
});

Deno.test("withTimeout() checks the bounds given as options", () => {
  for (
    const [bad, name] of [
      [{ requestTimeoutMs: -1 }, "requestTimeoutMs"],
      [{ requestDeadlineMs: NaN }, "requestDeadlineMs"],
      [{ minSpeed: "1k" }, "minSpeed"],
      [{ minSpeedWindowMs: -5 }, "minSpeedWindowMs"],
    ] as const
  ) {
    const err = assertThrows(
      () => withTimeout(fetchT, bad as TimeoutOptions),
      RangeError,
    );
    assertMatch(err.message, new RegExp(`^Invalid ${name} `));
  }
  assertStrictEquals(
    withTimeout(fetchT, {
      requestTimeoutMs: 0,
      requestDeadlineMs: 0,
      minSpeed: 0,
    }),
    fetchT,
  );
  assertEquals(
    [
      DEFAULT_REQUEST_DEADLINE_MS,
      DEFAULT_MIN_SPEED,
      DEFAULT_MIN_SPEED_WINDOW_MS,
    ],
    [60_000, 1024, 30_000],
  );
});
