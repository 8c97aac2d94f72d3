/**
 * Blob endpoints of the fake registry: `GET`/`HEAD` with `Range` support,
 * redirects to the second origin, and `DELETE`.
 *
 * @module
 */

import { STATUS_CODE } from "@std/http/status";
import type { Context } from "./_fake_context.ts";
import { droppingStream, flipByte, takeFault } from "./_fake_faults.ts";
import { empty, ociError } from "./_fake_http.ts";
import { DIGEST_RE } from "./_fake_store.ts";

/** `GET`/`HEAD /v2/<name>/blobs/<digest>`. */
export function getBlob(ctx: Context): Response {
  const { name, ref: digest, state } = ctx;
  if (!DIGEST_RE.test(digest)) {
    return ociError(
      STATUS_CODE.BadRequest,
      "DIGEST_INVALID",
      "invalid digest",
      { digest },
    );
  }
  const bytes = state.store.blob(name, digest);
  if (bytes === undefined) {
    return ociError(
      STATUS_CODE.NotFound,
      "BLOB_UNKNOWN",
      "blob unknown to registry",
      {
        digest,
      },
    );
  }
  if (state.faults.redirectBlobs && ctx.method === "GET") {
    return empty(STATUS_CODE.TemporaryRedirect, {
      location: state.secondOriginUrl + ctx.pathAndQuery,
    });
  }
  return serveBlob(ctx, bytes, digest);
}

/**
 * Answers with a blob's bytes (or the range asked for), applying the
 * `flipByte` and `dropAfterBytes` faults. Shared with the second origin.
 */
export function serveBlob(
  ctx: Context,
  bytes: Uint8Array,
  digest: string,
): Response {
  const size = bytes.byteLength;
  const headers: Record<string, string> = {
    "content-type": "application/octet-stream",
    "docker-content-digest": digest,
    "accept-ranges": "bytes",
  };
  const range = parseRange(ctx.req.headers.get("range"), size);
  if (range === "unsatisfiable") {
    return empty(STATUS_CODE.RangeNotSatisfiable, {
      ...headers,
      "content-range": `bytes */${size}`,
    });
  }
  let status: number = STATUS_CODE.OK;
  let [start, end] = [0, size - 1];
  if (range !== undefined) {
    [start, end] = range;
    status = STATUS_CODE.PartialContent;
    headers["content-range"] = `bytes ${start}-${end}/${size}`;
  }
  headers["content-length"] = String(end - start + 1);
  if (ctx.method === "HEAD") return new Response(null, { status, headers });

  const { faults } = ctx.state;
  let body = bytes.subarray(start, end + 1);
  const flip = takeFault(faults, "flipByte", ctx.method, ctx.pathAndQuery);
  if (flip !== undefined) body = flipByte(body, flip.offset, start);
  const drop = takeFault(
    faults,
    "dropAfterBytes",
    ctx.method,
    ctx.pathAndQuery,
  );
  if (drop !== undefined) {
    return new Response(droppingStream(body, drop.bytes), { status, headers });
  }
  return new Response(body.slice(), { status, headers });
}

/** `DELETE /v2/<name>/blobs/<digest>`. */
export function deleteBlob(ctx: Context): Response {
  const { name, ref: digest } = ctx;
  if (!ctx.state.store.deleteBlob(name, digest)) {
    return ociError(
      STATUS_CODE.NotFound,
      "BLOB_UNKNOWN",
      "blob unknown to registry",
      {
        digest,
      },
    );
  }
  return empty(STATUS_CODE.Accepted, { "docker-content-digest": digest });
}

/**
 * `bytes=N-`, `bytes=N-M` or the suffix `bytes=-N` (the last N bytes) as an
 * inclusive `[start, end]`, as RFC 9110 section 14.1.2 reads them;
 * `undefined` for no header or a form the fake ignores (several ranges),
 * which is answered with the whole blob.
 */
function parseRange(
  header: string | null,
  size: number,
): [number, number] | "unsatisfiable" | undefined {
  const match = header === null
    ? null
    : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (match === null || (match[1] === "" && match[2] === "")) return undefined;
  if (match[1] === "") {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return [Math.max(0, size - suffix), size - 1];
  }
  const start = Number(match[1]);
  const end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || end < start) return "unsatisfiable";
  return [start, end];
}
