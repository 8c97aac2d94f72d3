/**
 * The shape every transport layer shares: fetch's own, Go's RoundTripper idea.
 *
 * @module
 */

/**
 * Sends one request and resolves with its response, like `fetch`.
 *
 * @example A transport that logs what it sends
 * ```ts
 * import type { Transport } from "jsr:@scope/docker-registry-client";
 *
 * function withLog(inner: Transport): Transport {
 *   return (request) => {
 *     console.log(request.method, request.url);
 *     return inner(request);
 *   };
 * }
 * const transport = withLog((request) => fetch(request));
 * ```
 */
export type Transport = (request: Request) => Promise<Response>;
