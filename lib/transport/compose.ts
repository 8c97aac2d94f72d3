/**
 * Where the transport layers are put together, in one place:
 * auth → user agent → redirects → retry → timeout → fetch.
 *
 * @module
 */

import { type RetryOptions, withRetry } from "./retry.ts";
import { withRedirects } from "./redirects.ts";
import { type TimeoutOptions, withTimeout } from "./timeout.ts";
import type { Transport } from "./transport.ts";
import { DEFAULT_USER_AGENT, withUserAgent } from "./user_agent.ts";

/**
 * Options of {@linkcode composeTransport}; the bounds on each request are
 * those of {@linkcode TimeoutOptions}.
 */
export interface TransportOptions extends TimeoutOptions {
  /** The fetch to send requests with. @default {globalThis.fetch} */
  fetch?: Transport;
  /** The `User-Agent` header. @default {DEFAULT_USER_AGENT} */
  userAgent?: string;
  /** Retry attempts and delays. */
  retry?: RetryOptions;
  /** How many redirects one request may follow. @default {10} */
  maxRedirects?: number;
}

/**
 * Builds the transport below the auth layer: user agent, redirects, retry,
 * the bounds on each attempt (inactivity, deadline, minimum speed: see
 * {@linkcode withTimeout}), then fetch. The auth layer ({@linkcode RegistryAuth}) wraps the result and
 * also sends its token requests through it.
 *
 * @param options The fetch and the options of each layer.
 * @returns The composed transport.
 *
 * @example
 * ```ts
 * import { composeTransport } from "jsr:@scope/docker-registry-client";
 *
 * const transport = composeTransport({
 *   userAgent: "my-tool/1.0",
 *   retry: { maxAttempts: 2 },
 *   requestTimeoutMs: 30_000,
 * });
 * const res = await transport(new Request("http://127.0.0.1:5000/v2/"));
 * await res.body?.cancel();
 * ```
 */
export function composeTransport(options: TransportOptions = {}): Transport {
  const base: Transport = options.fetch ?? ((request) => fetch(request));
  const timed = withTimeout(base, {
    requestTimeoutMs: options.requestTimeoutMs,
    requestDeadlineMs: options.requestDeadlineMs,
    minSpeed: options.minSpeed,
    minSpeedWindowMs: options.minSpeedWindowMs,
  });
  return withUserAgent(
    withRedirects(withRetry(timed, options.retry), {
      maxRedirects: options.maxRedirects,
    }),
    options.userAgent ?? DEFAULT_USER_AGENT,
  );
}
