/**
 * The timeout layer: a bound on how long one HTTP request may wait on the
 * network, so that a registry that stops answering fails the request instead
 * of hanging it.
 *
 * @module
 */

import type { Transport } from "./transport.ts";
import { isReplayable } from "./_replay.ts";

/**
 * The longest one request waits on the network unless told otherwise: two
 * minutes, long enough for a registry to commit a large upload.
 */
export const DEFAULT_REQUEST_TIMEOUT_MS: number = 120_000;

/**
 * Bounds each request by an inactivity timeout of `timeoutMs`: the timer runs
 * while the request waits for its response headers, and again each time the
 * response body is read and no bytes come, so a slow but steady download of
 * a large blob is never cut short. A request body that is a stream counts as
 * activity too (each chunk sent restarts the timer); a body in memory is sent
 * within the first wait.
 *
 * A request that times out fails as a dropped connection does: with a
 * `TypeError` whose message says which wait ran out. The retry layer above
 * retries it when the request is safe to repeat, a blob stream resumes with
 * `Range`, and the client reports a `ConnectionError`. The caller's own
 * `AbortSignal` is left untouched and still cancels at once; for an overall
 * deadline on a call, pass `signal: AbortSignal.timeout(ms)`.
 *
 * @param inner The next layer (usually `fetch`).
 * @param timeoutMs The inactivity bound in milliseconds; `0` or `Infinity`
 *   turns the layer off.
 * @returns A transport whose requests time out.
 * @throws {RangeError} When `timeoutMs` is negative or not a number.
 *
 * @example
 * ```ts
 * import { withTimeout } from "jsr:@scope/docker-registry-client";
 *
 * const transport = withTimeout((request) => fetch(request), 10_000);
 * const res = await transport(new Request("http://127.0.0.1:5000/v2/"));
 * await res.body?.cancel();
 * ```
 */
export function withTimeout(
  inner: Transport,
  timeoutMs: number = DEFAULT_REQUEST_TIMEOUT_MS,
): Transport {
  if (
    typeof timeoutMs !== "number" || Number.isNaN(timeoutMs) || timeoutMs < 0
  ) {
    throw new RangeError(
      `Invalid request timeout ${
        String(timeoutMs).slice(0, 40)
      }: must be 0 (off) or more milliseconds`,
    );
  }
  if (timeoutMs === 0 || timeoutMs === Infinity) return inner;
  return async (request) => {
    const watch = new Watch(timeoutMs);
    const signal = AbortSignal.any([request.signal, watch.signal]);
    let body: ReadableStream<Uint8Array> | null = null;
    if (request.body !== null && !isReplayable(request)) {
      body = watch.requestBody(request.body);
    }
    const timed = body === null
      ? new Request(request, { signal })
      : new Request(request, { signal, body, duplex: "half" } as RequestInit);
    watch.arm("for the response");
    let res: Response;
    try {
      res = await settleOrAbort(inner(timed), signal);
    } catch (err) {
      watch.disarm();
      throw err;
    } finally {
      watch.answered = true;
    }
    watch.disarm();
    if (res.body === null || NULL_BODY_STATUSES.has(res.status)) return res;
    const wrapped = new Response(watch.responseBody(res.body, signal), {
      status: res.status,
      statusText: res.statusText,
      headers: res.headers,
    });
    Object.defineProperty(wrapped, "url", { value: res.url });
    Object.defineProperty(wrapped, "redirected", { value: res.redirected });
    return wrapped;
  };
}

/**
 * The answer, or the signal's reason as soon as it aborts even when the
 * inner transport does not watch the signal (an answer that comes late is
 * released).
 */
function settleOrAbort(
  answer: Promise<Response>,
  signal: AbortSignal,
): Promise<Response> {
  if (signal.aborted) {
    answer.then((res) => res.body?.cancel().catch(() => {}), () => {});
    return Promise.reject(signal.reason);
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      answer.then((res) => res.body?.cancel().catch(() => {}), () => {});
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    answer.then(
      (res) => {
        signal.removeEventListener("abort", onAbort);
        resolve(res);
      },
      (err) => {
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}

/** Statuses whose responses cannot be rebuilt with a body. */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/** The timer of one request, and the streams that restart it. */
class Watch {
  readonly #ms: number;
  readonly #controller = new AbortController();
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Once the headers are in, the request body no longer restarts the timer. */
  answered = false;

  constructor(ms: number) {
    this.#ms = ms;
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  arm(what: string): void {
    this.disarm();
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const reason = new TypeError(
        `no activity for ${this.#ms} ms while waiting ${what} (requestTimeoutMs)`,
      );
      this.#controller.abort(reason);
    }, this.#ms);
  }

  disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** A request body that restarts the timer as fetch takes each chunk. */
  requestBody(source: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
    const reader = source.getReader();
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        if (!this.answered) this.arm("to send the request body");
        const { done, value } = await reader.read();
        if (!this.answered) this.arm("for the response");
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel: (reason) => reader.cancel(reason),
    }, { highWaterMark: 0 });
  }

  /**
   * A response body whose reads are timed; the timer stops at its end. It is
   * a byte stream that hands a BYOB reader's buffers straight to the
   * underlying body, so reads into reused buffers stay copy-free.
   */
  responseBody(
    source: ReadableStream<Uint8Array>,
    signal: AbortSignal,
  ): ReadableStream<Uint8Array> {
    let byob: ReadableStreamBYOBReader | undefined;
    let plain: ReadableStreamDefaultReader<Uint8Array> | undefined;
    try {
      byob = source.getReader({ mode: "byob" });
    } catch {
      plain = source.getReader();
    }
    let ended = false;
    let onAbort: (() => void) | undefined;
    const end = () => {
      ended = true;
      this.disarm();
      if (onAbort) signal.removeEventListener("abort", onAbort);
    };
    return new ReadableStream({
      type: "bytes",
      autoAllocateChunkSize: 64 * 1024,
      start: (controller) => {
        // fetch's own body errors when its signal aborts; an injected
        // transport's body may not, so the wrapper errors itself.
        onAbort = () => {
          if (ended) return;
          end();
          controller.error(signal.reason);
          (byob ?? plain)!.cancel(signal.reason).catch(() => {});
        };
        signal.addEventListener("abort", onAbort, { once: true });
      },
      pull: async (controller) => {
        if (ended) return;
        const request = controller.byobRequest;
        this.arm("for the response body");
        let done: boolean;
        let value: Uint8Array | undefined;
        try {
          if (byob !== undefined) {
            const view = request?.view;
            ({ done, value } = await byob.read(
              view
                ? new Uint8Array(view.buffer, view.byteOffset, view.byteLength)
                : new Uint8Array(65536),
            ));
          } else {
            ({ done, value } = await plain!.read());
          }
        } catch (err) {
          end();
          throw err;
        }
        this.disarm();
        if (ended) return;
        if (done) {
          end();
          controller.close();
          if (request && byob && value) request.respondWithNewView(value);
          else request?.respond(0);
        } else if (request && byob && value) {
          request.respondWithNewView(value);
        } else if (value) {
          controller.enqueue(value);
        }
      },
      cancel: (reason) => {
        end();
        return (byob ?? plain)!.cancel(reason);
      },
    });
  }
}
