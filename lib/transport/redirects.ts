/**
 * The redirect layer: the client follows redirects itself, so that it can
 * bound their number, refuse an https → http downgrade, and never carry
 * `Authorization` or cookies to another origin (blob redirects usually point
 * at object storage, which rejects a forwarded `Authorization`).
 *
 * @module
 */

import { InvalidResponseError, UnsafeRequestError } from "../errors.ts";
import { redactUrl } from "../http/_redact.ts";
import type { Transport } from "./transport.ts";
import { carryMarks, isReplayable, markReplayable } from "./_replay.ts";

/** Options of {@linkcode withRedirects}. */
export interface RedirectOptions {
  /**
   * How many redirects one request may follow.
   * @default {10}
   */
  maxRedirects?: number;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Headers that never cross to another origin. */
const ORIGIN_BOUND_HEADERS = ["authorization", "cookie", "proxy-authorization"];

/**
 * Follows redirects in the client, bounded in number. Headers that carry
 * credentials are dropped when a redirect leaves the origin; an https → http
 * redirect is refused. `303` turns the request into a body-less `GET`; other
 * redirects of a request with a body are followed only when the body can be
 * sent again.
 *
 * @param inner The next layer; it is called with `redirect: "manual"`.
 * @param options The bound on redirects.
 * @returns A transport that follows redirects.
 * @throws {UnsafeRequestError} On a downgrade or too many redirects.
 * @throws {InvalidResponseError} On a redirect with a missing or garbage `Location`.
 *
 * @example
 * ```ts
 * import { withRedirects } from "jsr:@scope/docker-registry-client";
 *
 * const transport = withRedirects((request) => fetch(request), { maxRedirects: 5 });
 * const res = await transport(new Request("http://127.0.0.1:5000/v2/"));
 * await res.body?.cancel();
 * ```
 */
export function withRedirects(
  inner: Transport,
  options: RedirectOptions = {},
): Transport {
  const maxRedirects = options.maxRedirects ?? 10;
  return async (request) => {
    const canReplay = isReplayable(request);
    const replayBody = request.body !== null && canReplay
      ? new Uint8Array(await request.clone().arrayBuffer())
      : undefined;
    let current = carryMarks(
      request,
      new Request(request, { redirect: "manual" }),
    );
    if (canReplay) markReplayable(current);
    for (let hops = 0;; hops++) {
      const res = await inner(current);
      if (!REDIRECT_STATUSES.has(res.status)) return res;
      const location = res.headers.get("location");
      await res.body?.cancel();
      const from = new URL(current.url);
      if (location === null) {
        throw new InvalidResponseError(
          `follow redirect from ${redactUrl(from.href)}`,
          `${res.status} without a Location header`,
        );
      }
      let to: URL;
      try {
        to = new URL(location, from);
      } catch {
        throw new InvalidResponseError(
          `follow redirect from ${redactUrl(from.href)}`,
          "the Location header is not a URL",
        );
      }
      if (to.protocol !== "http:" && to.protocol !== "https:") {
        throw new UnsafeRequestError(
          `follow redirect from ${redactUrl(from.href)}`,
          `refusing a redirect to a ${to.protocol} URL`,
        );
      }
      if (from.protocol === "https:" && to.protocol === "http:") {
        throw new UnsafeRequestError(
          `follow redirect from ${redactUrl(from.href)}`,
          `https → http downgrade to ${redactUrl(to.href)} refused`,
        );
      }
      if (hops + 1 > maxRedirects) {
        throw new UnsafeRequestError(
          `follow redirects from ${redactUrl(request.url)}`,
          `more than ${maxRedirects} redirects`,
        );
      }
      const headers = new Headers(current.headers);
      if (to.origin !== from.origin) {
        for (const name of ORIGIN_BOUND_HEADERS) headers.delete(name);
      }
      let method = current.method;
      let body: BodyInit | null = null;
      if (res.status === 303 && method !== "HEAD") method = "GET";
      if (method !== "GET" && method !== "HEAD") {
        if (replayBody === undefined && request.body !== null) {
          throw new UnsafeRequestError(
            `follow redirect from ${redactUrl(from.href)}`,
            "the request body is a stream and cannot be sent again",
          );
        }
        body = replayBody ?? null;
      } else {
        headers.delete("content-type");
        headers.delete("content-length");
      }
      current = markReplayable(carryMarks(
        request,
        new Request(to, {
          method,
          headers,
          body,
          redirect: "manual",
          signal: request.signal,
        }),
      ));
    }
  };
}
