/**
 * Manifest endpoints of the fake registry: `GET`/`HEAD` (with Docker Hub
 * style rate-limit headers), `PUT` (digest, media type and referenced blobs
 * checked; `OCI-Subject` answered) and `DELETE`.
 *
 * @module
 */

import { STATUS_CODE } from "@std/http/status";
import { parseMediaType } from "@std/media-types/parse-media-type";
import { MEDIA_TYPE } from "../ref/media_types.ts";
import type { Context } from "./_fake_context.ts";
import { flipByte, takeFault } from "./_fake_faults.ts";
import { nestedManifest } from "./_fake_hostile.ts";
import { empty, ociError, readBody } from "./_fake_http.ts";
import {
  digestOf,
  digestProblem,
  parseManifest,
  referencedDigests,
  TAG_RE,
} from "./_fake_store.ts";

/** Manifests larger than this are refused with 413. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** `GET`/`HEAD /v2/<name>/manifests/<reference>`. */
export function getManifest(ctx: Context): Response {
  const { name, ref, state } = ctx;
  const found = nestedManifest(ctx) ?? state.store.resolveManifest(name, ref);
  if (found === undefined) {
    return state.store.repositories.has(name)
      ? ociError(STATUS_CODE.NotFound, "MANIFEST_UNKNOWN", "manifest unknown", {
        ref,
      })
      : ociError(
        STATUS_CODE.NotFound,
        "NAME_UNKNOWN",
        "repository name not known",
        { name },
      );
  }
  const rateHeaders = takeRateLimit(ctx);
  if (rateHeaders === undefined) {
    return ociError(
      STATUS_CODE.TooManyRequests,
      "TOOMANYREQUESTS",
      "You have reached your pull rate limit.",
      undefined,
      rateLimitHeaders(ctx),
    );
  }
  const { bytes, mediaType } = found.manifest;
  const headers = {
    ...rateHeaders,
    "content-type": contentTypeFor(ctx, mediaType),
    "docker-content-digest": found.digest,
    "content-length": String(bytes.byteLength),
  };
  if (ctx.method === "HEAD") return new Response(null, { headers });
  const flip = takeFault(state.faults, "flipByte", "GET", ctx.pathAndQuery);
  const body = flip === undefined
    ? bytes.slice()
    : flipByte(bytes, flip.offset);
  return new Response(body, { headers });
}

/** `PUT /v2/<name>/manifests/<reference>`. */
export async function putManifest(ctx: Context): Promise<Response> {
  const { name, ref, state, req } = ctx;
  const isDigest = ref.includes(":");
  if (!isDigest && !TAG_RE.test(ref)) {
    return ociError(STATUS_CODE.BadRequest, "MANIFEST_INVALID", "invalid tag", {
      ref,
    });
  }
  if (isDigest && digestProblem(ref) !== undefined) {
    return ociError(
      STATUS_CODE.BadRequest,
      "DIGEST_INVALID",
      digestProblem(ref)!,
      { ref },
    );
  }
  const bytes = await readBody(req, MAX_MANIFEST_BYTES);
  if (bytes === undefined) {
    return ociError(
      STATUS_CODE.ContentTooLarge,
      "SIZE_INVALID",
      "manifest larger than 4 MiB",
    );
  }
  const fields = parseManifest(bytes);
  if (fields === undefined) {
    return ociError(
      STATUS_CODE.BadRequest,
      "MANIFEST_INVALID",
      "manifest is not a JSON object",
    );
  }
  // distribution parses the header as Go's mime.ParseMediaType does.
  const header = req.headers.get("content-type");
  let contentType: string | undefined;
  try {
    contentType = header === null ? undefined : parseMediaType(header)[0];
  } catch {
    return ociError(
      STATUS_CODE.BadRequest,
      "MANIFEST_INVALID",
      "invalid Content-Type",
      { contentType: header },
    );
  }
  const bodyType = typeof fields.mediaType === "string"
    ? fields.mediaType
    : undefined;
  if (contentType && bodyType && contentType !== bodyType) {
    return ociError(
      STATUS_CODE.BadRequest,
      "MANIFEST_INVALID",
      `Content-Type "${contentType}" differs from mediaType "${bodyType}"`,
    );
  }
  const mediaType = contentType || bodyType;
  if (!mediaType) {
    return ociError(
      STATUS_CODE.BadRequest,
      "MANIFEST_INVALID",
      "no Content-Type nor mediaType",
    );
  }
  if (isDigest && digestOf(bytes, ref.split(":")[0]) !== ref) {
    return ociError(
      STATUS_CODE.BadRequest,
      "DIGEST_INVALID",
      "manifest digest mismatch",
      {
        ref,
      },
    );
  }
  const missing = missingReferences(ctx, fields);
  if (missing.length > 0) {
    return ociError(
      STATUS_CODE.BadRequest,
      "MANIFEST_BLOB_UNKNOWN",
      "manifest references unknown content",
      { digests: missing },
    );
  }
  const digest = state.store.putManifest(name, ref, bytes, mediaType);
  const headers: Record<string, string> = {
    location: `/v2/${name}/manifests/${digest}`,
    "docker-content-digest": digest,
  };
  const subject = fields.subject?.digest;
  if (typeof subject === "string" && state.options.answerOciSubject) {
    headers["oci-subject"] = subject;
  }
  return empty(STATUS_CODE.Created, headers);
}

/** `DELETE /v2/<name>/manifests/<reference>`. */
export function deleteManifest(ctx: Context): Response {
  if (!ctx.state.store.deleteManifest(ctx.name, ctx.ref)) {
    return ociError(
      STATUS_CODE.NotFound,
      "MANIFEST_UNKNOWN",
      "manifest unknown",
      {
        ref: ctx.ref,
      },
    );
  }
  return empty(STATUS_CODE.Accepted);
}

/** Blobs and child manifests a pushed manifest names but the repo lacks. */
function missingReferences(
  ctx: Context,
  fields: Parameters<typeof referencedDigests>[0],
): string[] {
  const repo = ctx.state.store.repositories.get(ctx.name);
  const { blobs, manifests } = referencedDigests(fields);
  return [
    ...blobs.filter((d) => !repo?.blobs.has(d)),
    ...manifests.filter((d) => !repo?.manifests.has(d)),
  ];
}

/** The `Content-Type` to answer, after the media-type faults. */
function contentTypeFor(ctx: Context, mediaType: string): string {
  const { faults } = ctx.state;
  if (faults.contentType !== undefined) return faults.contentType;
  if (!faults.manifestMediaTypeMismatch) return mediaType;
  return mediaType === MEDIA_TYPE.OCI_MANIFEST
    ? MEDIA_TYPE.DOCKER_MANIFEST
    : MEDIA_TYPE.OCI_MANIFEST;
}

/**
 * Spends one pull of the rate limit on `GET` (`HEAD` is free) and returns
 * the headers to send, or `undefined` when the budget is spent.
 */
function takeRateLimit(ctx: Context): Record<string, string> | undefined {
  const limit = ctx.state.rateLimit;
  if (limit === undefined) return {};
  if (ctx.method === "GET") {
    if (limit.remaining <= 0) return undefined;
    limit.remaining--;
  }
  return rateLimitHeaders(ctx);
}

function rateLimitHeaders(ctx: Context): Record<string, string> {
  const limit = ctx.state.rateLimit;
  if (limit === undefined) return {};
  const window = limit.windowSeconds ?? 21600;
  return {
    "ratelimit-limit": `${limit.limit};w=${window}`,
    "ratelimit-remaining": `${Math.max(0, limit.remaining)};w=${window}`,
  };
}
