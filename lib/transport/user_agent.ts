/**
 * The user-agent layer.
 *
 * @module
 */

import type { Transport } from "./transport.ts";

/** The `User-Agent` the client sends unless told otherwise. */
export const DEFAULT_USER_AGENT = "docker-registry-client-deno/0.1.0";

/**
 * Sets `User-Agent` on every request that has none.
 *
 * @param inner The next layer.
 * @param userAgent The value to send.
 * @returns A transport that adds the header.
 *
 * @example
 * ```ts
 * import { withUserAgent } from "jsr:@scope/docker-registry-client";
 *
 * const transport = withUserAgent((request) => fetch(request), "my-tool/1.0");
 * ```
 */
export function withUserAgent(
  inner: Transport,
  userAgent: string = DEFAULT_USER_AGENT,
): Transport {
  return (request) => {
    if (!request.headers.has("user-agent")) {
      request.headers.set("user-agent", userAgent);
    }
    return inner(request);
  };
}
