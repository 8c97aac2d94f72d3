/**
 * The timeout layer: bounds on how long one HTTP request may wait on the
 * network, so that a registry that stops answering, answers too slowly or
 * trickles its bytes fails the request instead of holding it.
 *
 * Three bounds, watched by one timer per request (no timer per chunk):
 *
 * - **inactivity** (`requestTimeoutMs`, 2 minutes): the longest wait for
 *   the response headers, or for one read of a body, with nothing coming;
 * - **a deadline** (`requestDeadlineMs`, 60 seconds) on the whole of a
 *   request that is not a blob transfer — headers and body of a ping, a
 *   token, a manifest, a tag list — and on the body of an error answer to a
 *   blob transfer;
 * - **a minimum speed** (`minSpeed` bytes per second averaged over
 *   `minSpeedWindowMs`, 1 KiB/s over 30 seconds) while a body flows, counted
 *   over the time spent waiting on the peer only (a reader that pauses, or a
 *   slow source of an upload, is not the peer's fault).
 *
 * @module
 */

import { type CancelTimer, startTimer } from "./_timer.ts";
import type { Transport } from "./transport.ts";
import { isReplayable, isTransfer } from "./_replay.ts";

/**
 * The longest one request waits with nothing coming unless told otherwise:
 * two minutes, long enough for a registry to commit a large upload.
 */
export const DEFAULT_REQUEST_TIMEOUT_MS: number = 120_000;

/**
 * The deadline of a request that is not a blob transfer (headers and body
 * of a ping, a token, a manifest, a listing page, an error): 60 seconds.
 */
export const DEFAULT_REQUEST_DEADLINE_MS: number = 60_000;

/** The slowest a body may flow, in bytes per second: 1 KiB/s. */
export const DEFAULT_MIN_SPEED: number = 1024;

/** The window the minimum speed is averaged over: 30 seconds. */
export const DEFAULT_MIN_SPEED_WINDOW_MS: number = 30_000;

/**
 * The bounds of {@linkcode withTimeout}. `0` (or `Infinity` for the times)
 * turns a bound off.
 *
 * @example
 * ```ts
 * import type { TimeoutOptions } from "jsr:@scope/docker-registry-client";
 *
 * const strict: TimeoutOptions = { requestDeadlineMs: 10_000, minSpeed: 64 * 1024 };
 * ```
 */
export interface TimeoutOptions {
  /**
   * The longest wait with nothing coming: for the response headers, then for
   * each read of its body, and while a streamed request body is being sent.
   * @default {120000}
   */
  requestTimeoutMs?: number;
  /**
   * The longest a request that is not a blob transfer may take, headers and
   * body. Blob downloads and upload requests are bounded by inactivity and
   * minimum speed instead.
   * @default {60000}
   */
  requestDeadlineMs?: number;
  /**
   * The slowest a body may flow, in bytes per second, averaged over
   * `minSpeedWindowMs` of waiting on the peer.
   * @default {1024}
   */
  minSpeed?: number;
  /**
   * The window over which `minSpeed` is averaged.
   * @default {30000}
   */
  minSpeedWindowMs?: number;
}

/** The bounds, resolved: `Infinity` or `0` (speed) when off. */
interface Limits {
  idle: number;
  deadline: number;
  minSpeed: number;
  window: number;
}

/**
 * Bounds each request by inactivity, a deadline and a minimum speed (see
 * the module doc and {@linkcode TimeoutOptions}). A number is the legacy
 * form: the inactivity bound alone.
 *
 * A request that runs out fails as a dropped connection does: with a
 * `TypeError` whose message says which bound, and the option that sets it.
 * The retry layer above retries it when the request is safe to repeat, a
 * blob stream resumes with `Range`, an upload re-syncs, and the client
 * reports a `ConnectionError`. The caller's own `AbortSignal` is left
 * untouched and still cancels at once; for a deadline on a whole operation,
 * pass a signal (or `timeoutMs` to `copy`).
 *
 * Blob transfers are told apart by a mark the client sets on their requests
 * (blob `GET`s, upload `PATCH`es and `PUT`s): they get no deadline.
 *
 * @param inner The next layer (usually `fetch`).
 * @param options The bounds, or the inactivity bound alone in milliseconds
 *   (`0` or `Infinity`: off).
 * @returns A transport whose requests time out.
 * @throws {RangeError} When a bound is negative or not a number.
 *
 * @example
 * ```ts
 * import { withTimeout } from "jsr:@scope/docker-registry-client";
 *
 * const transport = withTimeout((request) => fetch(request), {
 *   requestTimeoutMs: 10_000,
 *   requestDeadlineMs: 30_000,
 *   minSpeed: 4096,
 * });
 * const res = await transport(new Request("http://127.0.0.1:5000/v2/"));
 * await res.body?.cancel();
 * ```
 */
export function withTimeout(
  inner: Transport,
  options: number | TimeoutOptions = {},
): Transport {
  const limits = resolveLimits(options);
  if (
    limits.idle === Infinity && limits.deadline === Infinity &&
    limits.minSpeed === 0
  ) {
    return inner;
  }
  return async (request) => {
    const watch = new Watch(limits, isTransfer(request));
    const signal = AbortSignal.any([request.signal, watch.signal]);
    let body: ReadableStream<Uint8Array> | null = null;
    if (request.body !== null && !isReplayable(request)) {
      body = watch.requestBody(request.body);
    }
    const timed = body === null
      ? new Request(request, { signal })
      : new Request(request, { signal, body, duplex: "half" } as RequestInit);
    let res: Response;
    try {
      res = await settleOrAbort(inner(timed), signal);
    } catch (err) {
      watch.end();
      throw err;
    }
    watch.answer(res.status);
    if (res.body === null || NULL_BODY_STATUSES.has(res.status)) {
      watch.end();
      return res;
    }
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

/** Checks and fills in the bounds. */
function resolveLimits(options: number | TimeoutOptions): Limits {
  if (typeof options !== "object" || options === null) {
    const idle = checkBound(options, "request timeout", " milliseconds");
    return {
      idle: idle || Infinity,
      deadline: Infinity,
      minSpeed: 0,
      window: 0,
    };
  }
  const idle = checkBound(
    options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    "requestTimeoutMs",
  );
  const deadline = checkBound(
    options.requestDeadlineMs ?? DEFAULT_REQUEST_DEADLINE_MS,
    "requestDeadlineMs",
  );
  const minSpeed = checkBound(
    options.minSpeed ?? DEFAULT_MIN_SPEED,
    "minSpeed",
  );
  const window = checkBound(
    options.minSpeedWindowMs ?? DEFAULT_MIN_SPEED_WINDOW_MS,
    "minSpeedWindowMs",
  );
  const speedOn = minSpeed > 0 && minSpeed !== Infinity && window > 0 &&
    window !== Infinity;
  return {
    idle: idle || Infinity,
    deadline: deadline || Infinity,
    minSpeed: speedOn ? minSpeed : 0,
    window: speedOn ? window : 0,
  };
}

function checkBound(value: unknown, name: string, unit = ""): number {
  if (typeof value !== "number" || Number.isNaN(value) || value < 0) {
    throw new RangeError(
      `Invalid ${name} ${
        String(value).slice(0, 40)
      }: must be 0 (off) or more${unit}`,
    );
  }
  return value;
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

/**
 * The bounds of one request. Waits on the peer start and end as the request
 * goes (`#wait`, `#progress`); one timer, set for the earliest moment a bound
 * could run out, checks them when it fires and sets itself again. A bound
 * only ever moves later, so the timer is rarely reset.
 */
class Watch {
  readonly #limits: Limits;
  readonly #controller = new AbortController();
  #deadlineAt: number;
  #timer: CancelTimer | undefined;
  #timerAt = Infinity;
  /** When the current wait on the peer began (inactivity), if one is on. */
  #idleFrom: number | undefined;
  #what = "";
  /** When the current wait of a body began (speed), if one is on. */
  #rateFrom: number | undefined;
  /** Time waited and bytes moved in the current speed window. */
  #windowWaited = 0;
  #windowBytes = 0;
  /** Bytes of the request body handed to fetch and not yet taken. */
  #pending = 0;
  #answered = false;
  #ended = false;

  constructor(limits: Limits, transfer: boolean) {
    this.#limits = limits;
    const now = Date.now();
    this.#deadlineAt = transfer ? Infinity : now + limits.deadline;
    this.#wait(now, "for the response", false);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /**
   * The response headers are in: the request body no longer counts. An
   * error answer to a blob transfer is a small body: it gets the deadline,
   * from now.
   */
  answer(status: number): void {
    this.#answered = true;
    this.#idleFrom = undefined;
    this.#rateFrom = undefined;
    if (this.#deadlineAt === Infinity && (status < 200 || status > 299)) {
      const now = Date.now();
      this.#deadlineAt = now + this.#limits.deadline;
      this.#schedule(now);
    }
  }

  /** The request is over (answered without body, body done, or failed). */
  end(): void {
    this.#ended = true;
    this.#timer?.();
    this.#timer = undefined;
  }

  /** A wait on the peer begins; `rate` when bytes of a body are awaited. */
  #wait(now: number, what: string, rate: boolean): void {
    this.#idleFrom = now;
    this.#what = what;
    if (rate && this.#limits.minSpeed > 0) this.#rateFrom = now;
    this.#schedule(now);
  }

  /** The wait ended with `bytes` of a body moved. */
  #progress(now: number, bytes: number): void {
    this.#idleFrom = undefined;
    if (this.#rateFrom === undefined) return;
    this.#windowWaited += now - this.#rateFrom;
    this.#windowBytes += bytes;
    this.#rateFrom = undefined;
    this.#checkSpeed(now);
  }

  /** At the end of a window: too few bytes fail, else a new window. */
  #checkSpeed(now: number): void {
    const { minSpeed, window } = this.#limits;
    const waited = this.#windowWaited +
      (this.#rateFrom === undefined ? 0 : now - this.#rateFrom);
    if (waited < window) return;
    if (this.#windowBytes * 1000 < minSpeed * waited) {
      this.#fail(
        `the transfer ran below ${minSpeed} bytes/s: ${this.#windowBytes} bytes in ${waited} ms (minSpeed, minSpeedWindowMs)`,
      );
      return;
    }
    this.#windowWaited = 0;
    this.#windowBytes = 0;
    if (this.#rateFrom !== undefined) this.#rateFrom = now;
  }

  #fail(message: string): void {
    this.end();
    this.#controller.abort(new TypeError(message));
  }

  /** Sets the timer for the earliest moment a bound could run out. */
  #schedule(now: number): void {
    if (this.#ended) return;
    let at = this.#deadlineAt;
    if (this.#idleFrom !== undefined) {
      at = Math.min(at, this.#idleFrom + this.#limits.idle);
    }
    if (this.#rateFrom !== undefined) {
      at = Math.min(
        at,
        this.#rateFrom + this.#limits.window - this.#windowWaited,
      );
    }
    if (at === Infinity) return;
    if (this.#timer !== undefined) {
      if (this.#timerAt <= at) return;
      this.#timer();
    }
    this.#timerAt = at;
    this.#timer = startTimer(at - now, () => this.#check());
  }

  /** The timer fired: checks every bound, then sets it again. */
  #check(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    if (this.#ended) return;
    const now = Date.now();
    if (now >= this.#deadlineAt) {
      return this.#fail(
        `no complete answer within ${this.#limits.deadline} ms (requestDeadlineMs)`,
      );
    }
    if (
      this.#idleFrom !== undefined &&
      now - this.#idleFrom >= this.#limits.idle
    ) {
      return this.#fail(
        `no activity for ${this.#limits.idle} ms while waiting ${this.#what} (requestTimeoutMs)`,
      );
    }
    if (this.#rateFrom !== undefined) {
      this.#checkSpeed(now);
      if (this.#ended) return;
    }
    this.#schedule(now);
  }

  /**
   * A request body that restarts the inactivity bound as fetch takes each
   * chunk; the time fetch takes to send a chunk counts for the speed.
   */
  requestBody(source: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
    const reader = source.getReader();
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        if (!this.#answered) {
          const now = Date.now();
          this.#progress(now, this.#pending);
          this.#pending = 0;
          this.#wait(now, "to send the request body", false);
        }
        const { done, value } = await reader.read();
        if (!this.#answered) {
          this.#wait(Date.now(), "for the response", !done);
          this.#pending = done ? 0 : value.byteLength;
        }
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
      this.end();
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
        if (signal.aborted) onAbort();
        else signal.addEventListener("abort", onAbort, { once: true });
      },
      pull: async (controller) => {
        if (ended) return;
        const request = controller.byobRequest;
        this.#wait(Date.now(), "for the response body", true);
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
        if (ended) return;
        this.#progress(Date.now(), done ? 0 : value?.byteLength ?? 0);
        if (ended) return; // too slow: the abort errored the stream
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
