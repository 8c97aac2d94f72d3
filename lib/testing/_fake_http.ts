/**
 * Response helpers of the fake registry: OCI error bodies, JSON answers,
 * bounded request bodies and abortable sleeps.
 *
 * @module
 */

import { delay } from "@std/async/delay";
import { concat } from "@std/bytes/concat";
import { encodeHex } from "@std/encoding/hex";
import { STATUS_CODE } from "@std/http/status";

/** The header every `/v2/` answer carries. */
export const API_VERSION_HEADERS: Readonly<Record<string, string>> = {
  "docker-distribution-api-version": "registry/2.0",
};

/** HTTP status → the OCI error code a status fault answers with. */
const CODE_FOR_STATUS: Readonly<Record<number, string>> = {
  [STATUS_CODE.BadRequest]: "UNSUPPORTED",
  [STATUS_CODE.Unauthorized]: "UNAUTHORIZED",
  [STATUS_CODE.Forbidden]: "DENIED",
  [STATUS_CODE.NotFound]: "NAME_UNKNOWN",
  [STATUS_CODE.MethodNotAllowed]: "UNSUPPORTED",
  [STATUS_CODE.ContentTooLarge]: "SIZE_INVALID",
  [STATUS_CODE.RangeNotSatisfiable]: "BLOB_UPLOAD_INVALID",
  [STATUS_CODE.TooManyRequests]: "TOOMANYREQUESTS",
};

/** The OCI error code that best describes an HTTP status. */
export function codeForStatus(status: number): string {
  return CODE_FOR_STATUS[status] ?? "UNKNOWN";
}

/** A JSON answer. */
export function json(
  body: unknown,
  status: number = STATUS_CODE.OK,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** An answer without a body (`Content-Length: 0` unless told otherwise). */
export function empty(
  status: number,
  headers: Record<string, string> = {},
): Response {
  return new Response(null, {
    status,
    headers: { "content-length": "0", ...headers },
  });
}

/** An OCI error answer: `{"errors":[{"code","message","detail"}]}`. */
export function ociError(
  status: number,
  code: string,
  message: string,
  detail?: unknown,
  headers: Record<string, string> = {},
): Response {
  const error: Record<string, unknown> = { code, message };
  if (detail !== undefined) error.detail = detail;
  return json({ errors: [error] }, status, {
    ...API_VERSION_HEADERS,
    ...headers,
  });
}

/** A Go-router style plain 404, for paths the registry does not serve. */
export function notFound(): Response {
  return new Response("404 page not found\n", {
    status: STATUS_CODE.NotFound,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

/**
 * Reads a whole request body, or `undefined` when it is longer than `limit`
 * bytes (the rest is cancelled).
 */
export async function readBody(
  req: Request,
  limit: number,
): Promise<Uint8Array | undefined> {
  if (req.body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of req.body) {
    length += chunk.byteLength;
    if (length > limit) return undefined; // leaving the loop cancels the body
    chunks.push(chunk);
  }
  return concat(chunks);
}

/** Cancels a request body nobody will read. */
export async function discardBody(req: Request): Promise<void> {
  if (req.body !== null && !req.bodyUsed) {
    await req.body.cancel().catch(() => {});
  }
}

/** Waits `ms` milliseconds, or less when `signal` aborts (never rejects). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return delay(ms, { signal }).catch(() => {});
}

/** A random lower-case hex string of `bytes` random bytes. */
export function randomHex(bytes: number): string {
  return encodeHex(crypto.getRandomValues(new Uint8Array(bytes)));
}
