// Private: bounded reads of response bodies and OCI error bodies.

import { decodeBase64 } from "@std/encoding/base64";
import {
  ConnectionError,
  type HttpError,
  httpErrorFor,
  type OciErrorDetail,
  ResponseTooLargeError,
} from "../errors.ts";
import { redactError } from "./_redact.ts";
import { contentLength } from "./_content_length.ts";
import { parseRetryAfter } from "../transport/retry.ts";

/** Error bodies are read up to this many bytes. */
const MAX_ERROR_BODY = 64 * 1024;

/** Builds the error raised when a body is over its cap. */
export type TooLarge = (
  attempted: string,
  limit: number,
  size?: number,
) => ResponseTooLargeError;

const tooLargeDefault: TooLarge = (attempted, limit, size) =>
  new ResponseTooLargeError(attempted, limit, size);

/**
 * Reads a whole body, refusing (and cancelling) it as soon as it is longer
 * than `limit` bytes: an announced `Content-Length` over the cap is refused
 * before a byte is read. A body cut short (a dropped or stalled connection,
 * which fetch reports as a `TypeError`) is a `ConnectionError`; an abort
 * passes with its reason.
 */
export async function readBounded(
  res: Response,
  limit: number,
  attempted: string,
  tooLarge: TooLarge = tooLargeDefault,
): Promise<Uint8Array> {
  const announced = contentLength(res.headers);
  if (announced !== undefined && announced > limit) {
    await res.body?.cancel();
    throw tooLarge(attempted, limit, announced);
  }
  if (res.body === null) return new Uint8Array(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (err) {
        if (!(err instanceof TypeError)) throw err;
        throw new ConnectionError(`${attempted} (reading the body)`, {
          cause: redactError(err),
        });
      }
      const { done, value } = result;
      if (done) break;
      total += value.byteLength;
      if (total > limit) {
        await reader.cancel();
        throw tooLarge(attempted, limit);
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** Parses an OCI error body (`{"errors":[...]}`), tolerating anything else. */
export function parseOciErrors(bytes: Uint8Array): OciErrorDetail[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return [];
  }
  const list = (parsed as { errors?: unknown })?.errors;
  if (!Array.isArray(list)) return [];
  const out: OciErrorDetail[] = [];
  for (const e of list.slice(0, 32)) {
    if (typeof e !== "object" || e === null) continue;
    const { code, message, detail } = e as Record<string, unknown>;
    if (typeof code !== "string") continue;
    out.push({
      code: code.slice(0, 64),
      ...(typeof message === "string"
        ? { message: message.slice(0, 500) }
        : {}),
      ...(detail !== undefined ? { detail } : {}),
    });
  }
  return out;
}

/**
 * Turns a failed response into the fitting `HttpError`, reading at most a
 * bounded prefix of its body for the OCI error codes. `server` names who
 * answered when it is not the registry (the token server).
 */
export async function errorFromResponse(
  res: Response,
  attempted: string,
  method: string,
  url: string,
  secrets: readonly string[] = [],
  server?: string,
): Promise<HttpError> {
  let errors: OciErrorDetail[] = [];
  if (method !== "HEAD" && res.body !== null) {
    try {
      errors = scrub(
        parseOciErrors(await readBounded(res, MAX_ERROR_BODY, attempted)),
        secrets,
      );
    } catch {
      // An oversized or broken error body: the status says enough.
    }
  } else {
    await res.body?.cancel();
  }
  return httpErrorFor({
    attempted,
    method,
    url,
    status: res.status,
    errors,
    ...(server !== undefined ? { server } : {}),
    retryAfterMs: res.status === 429
      ? parseRetryAfter(res.headers.get("retry-after"))
      : undefined,
  });
}

/**
 * The secrets an `Authorization` value carries: the credentials after the
 * scheme and, for Basic, the decoded password. A hostile server could echo
 * them back in an error body.
 */
export function secretsOf(authorization: string | null): string[] {
  if (authorization === null) return [];
  const space = authorization.indexOf(" ");
  const credentials = authorization.slice(space + 1).trim();
  const secrets = [credentials];
  if (authorization.slice(0, space).toLowerCase() === "basic") {
    try {
      const decoded = new TextDecoder().decode(decodeBase64(credentials));
      secrets.push(decoded, decoded.slice(decoded.indexOf(":") + 1));
    } catch {
      // Not base64: the raw value is enough.
    }
  }
  return secrets.filter((s) => s.length >= 4);
}

/** Removes secrets from the registry's error messages and details. */
function scrub(
  errors: OciErrorDetail[],
  secrets: readonly string[],
): OciErrorDetail[] {
  if (secrets.length === 0) return errors;
  const clean = (text: string) =>
    secrets.reduce((t, secret) => t.split(secret).join("REDACTED"), text);
  return errors.map((e) => {
    const out: OciErrorDetail = { code: clean(e.code) };
    if (e.message !== undefined) out.message = clean(e.message);
    if (e.detail !== undefined) {
      const json = JSON.stringify(e.detail) ?? "";
      out.detail = secrets.some((secret) => json.includes(secret))
        ? "REDACTED"
        : e.detail;
    }
    return out;
  });
}
