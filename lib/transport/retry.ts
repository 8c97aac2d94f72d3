/**
 * The retry layer: repeats what is safe to repeat, with exponential backoff,
 * jitter, a cap, and `Retry-After`.
 *
 * @module
 */

import type { Transport } from "./transport.ts";
import { cloneForReplay, isReplayable } from "./_replay.ts";

/** Options of {@linkcode withRetry}. */
export interface RetryOptions {
  /**
   * How many times a request is sent at most, the first included.
   * @default {4}
   */
  maxAttempts?: number;
  /**
   * The backoff before the first retry, in milliseconds; it doubles each time.
   * @default {200}
   */
  initialDelayMs?: number;
  /**
   * The longest backoff between two attempts, in milliseconds.
   * @default {10000}
   */
  maxDelayMs?: number;
  /**
   * The longest `Retry-After` the layer waits, in milliseconds. A longer one
   * is not waited for: the response goes back at once (the client turns a 429
   * into a `TooManyRequestsError` that carries the wait).
   * @default {60000}
   */
  maxRetryAfterMs?: number;
  /**
   * The statuses that are retried.
   * @default {[408, 429, 500, 502, 503, 504]}
   */
  retryStatuses?: readonly number[];
}

/** The defaults of {@linkcode RetryOptions}. */
export const DEFAULT_RETRY: Readonly<Required<RetryOptions>> = Object.freeze({
  maxAttempts: 4,
  initialDelayMs: 200,
  maxDelayMs: 10_000,
  maxRetryAfterMs: 60_000,
  retryStatuses: Object.freeze([408, 429, 500, 502, 503, 504]),
});

/** Methods that may be sent again when their body (if any) is in memory. */
const REPEATABLE_METHODS = new Set(["GET", "HEAD", "PUT", "DELETE", "POST"]);

const HTTP_DATE_START = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? /;

/**
 * Parses `Retry-After`: delay-seconds or an HTTP date.
 *
 * @param value The header value.
 * @param now The current time, in milliseconds since the epoch.
 * @returns The wait in milliseconds, or `undefined` when the value is garbage.
 *
 * @example
 * ```ts
 * import { parseRetryAfter } from "jsr:@scope/docker-registry-client";
 *
 * console.log(parseRetryAfter("2")); // 2000
 * ```
 */
export function parseRetryAfter(
  value: string | null,
  now: number = Date.now(),
): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d{1,10}$/.test(trimmed)) return Number(trimmed) * 1000;
  // An HTTP date (IMF-fixdate, or the obsolete RFC 850 and asctime forms)
  // starts with a day name; anything else Date.parse might guess at is not one.
  if (trimmed.length > 64 || !HTTP_DATE_START.test(trimmed)) return undefined;
  // asctime carries no zone; HTTP dates are always GMT.
  const date = Date.parse(/GMT$/i.test(trimmed) ? trimmed : `${trimmed} GMT`);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * Retries requests that are safe to repeat — `GET` and `HEAD`, `PUT` and
 * `DELETE` whose body (if any) is in memory, and body-less `POST` (which opens
 * an upload session) — on network errors (a timed-out attempt included) and
 * on 408, 429, 500, 502, 503 and 504.
 *
 * The wait before retry `n` is a random time between half and all of
 * `min(maxDelayMs, initialDelayMs × 2^(n-1))` (exponential backoff with
 * jitter and a cap). A `Retry-After` (seconds or an HTTP date) replaces that
 * wait when it is at most `maxRetryAfterMs`; a longer one ends the retries at
 * once and the response goes back to the caller (the client raises a
 * `TooManyRequestsError` carrying the wait). After the last attempt the last
 * response (or network error) is what the caller gets.
 *
 * Never repeated: streaming bodies (the upload code resumes those itself),
 * `PATCH` (a chunk may have been partly taken: the upload code asks the
 * registry where the upload stands), a `POST` with a body. An aborted signal
 * stops everything, a wait included, with the signal's reason.
 *
 * @param inner The next layer.
 * @param options Attempts and delays; see {@linkcode DEFAULT_RETRY}.
 * @returns A transport that retries.
 *
 * @example
 * ```ts
 * import { withRetry } from "jsr:@scope/docker-registry-client";
 *
 * const transport = withRetry((request) => fetch(request), { maxAttempts: 3 });
 * ```
 */
export function withRetry(
  inner: Transport,
  options: RetryOptions = {},
): Transport {
  const opts = { ...DEFAULT_RETRY, ...options };
  const retryStatuses = new Set(opts.retryStatuses);
  return async (request) => {
    const repeatable = REPEATABLE_METHODS.has(request.method) &&
      isReplayable(request) &&
      !(request.method === "POST" && request.body !== null);
    if (!repeatable || opts.maxAttempts <= 1) return inner(request);
    let next = request;
    for (let attempt = 1;; attempt++) {
      const last = attempt >= opts.maxAttempts;
      const current = next;
      if (!last) next = cloneForReplay(current);
      let res: Response;
      try {
        res = await inner(current);
      } catch (err) {
        if (last || request.signal.aborted || !isNetworkError(err)) throw err;
        await wait(backoff(attempt, opts), request.signal);
        continue;
      }
      if (last || !retryStatuses.has(res.status)) return res;
      const retryAfter = parseRetryAfter(res.headers.get("retry-after"));
      if (retryAfter !== undefined && retryAfter > opts.maxRetryAfterMs) {
        return res;
      }
      await res.body?.cancel();
      await wait(retryAfter ?? backoff(attempt, opts), request.signal);
    }
  };
}

/**
 * Waits `ms` (rejecting when `signal` aborts) with `@std/async`'s `delay`,
 * loaded on the first retry: most runs never retry, and `dreg` (which loads
 * dynamic imports lazily) then starts without reading that package.
 */
async function wait(ms: number, signal: AbortSignal): Promise<void> {
  const { delay } = await import("@std/async/delay");
  await delay(ms, { signal });
}

function backoff(
  attempt: number,
  opts: Required<RetryOptions>,
): number {
  const ceiling = Math.min(
    opts.maxDelayMs,
    opts.initialDelayMs * 2 ** (attempt - 1),
  );
  return Math.round(ceiling / 2 + Math.random() * ceiling / 2);
}

/** Network failures fetch reports as `TypeError`; aborts are not retried. */
function isNetworkError(err: unknown): boolean {
  return err instanceof TypeError ||
    (err instanceof Error && err.name === "ConnectionError");
}
