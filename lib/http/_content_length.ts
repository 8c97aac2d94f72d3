// Private: the one reader of byte counts in headers — `Content-Length`, and
// the other lengths registries send (`OCI-Chunk-Min-Length`). Digits only:
// a sign, a fraction, an exponent, a list (`5, 5`) or more than a safe
// integer is not a length, and reads as `undefined`.

/** At most 15 digits: always a safe integer. */
const LENGTH_RE = /^\d{1,15}$/;

/**
 * A byte count from a header value: digits only (blanks around them
 * allowed); `undefined` when absent or anything else.
 */
export function parseLength(
  value: string | null | undefined,
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  return LENGTH_RE.test(text) ? Number(text) : undefined;
}

/** `Content-Length` as a number; `undefined` when absent or not a length. */
export function contentLength(headers: Headers): number | undefined {
  return parseLength(headers.get("content-length"));
}
