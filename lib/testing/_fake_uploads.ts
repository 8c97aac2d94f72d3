/**
 * Blob upload endpoints of the fake registry: `POST` (session, single
 * request, cross-repository mount), `PATCH` chunks, closing `PUT`, status
 * `GET` and `DELETE`.
 *
 * Every `Location` carries an opaque `_state` query that changes with each
 * answer; requests must bring back the latest one, as clients must use the
 * `Location` exactly as returned.
 *
 * @module
 */

import { concat } from "@std/bytes/concat";
import { STATUS_CODE } from "@std/http/status";
import type { FakeUpload } from "./fake_registry.ts";
import type { Context } from "./_fake_context.ts";
import { takeFault } from "./_fake_faults.ts";
import {
  discardBody,
  empty,
  ociError,
  randomHex,
  readBody,
} from "./_fake_http.ts";
import { digestOf, digestProblem } from "./_fake_store.ts";

const CONTENT_RANGE_RE = /^(\d+)-(\d+)$/;

/** `POST /v2/<name>/blobs/uploads/[?digest=|?mount=&from=]`. */
export async function startUpload(ctx: Context): Promise<Response> {
  const { name, state, url } = ctx;
  const mount = url.searchParams.get("mount");
  const from = url.searchParams.get("from");
  const digest = url.searchParams.get("digest");
  if (mount !== null && from !== null) {
    const bytes = state.store.blob(from, mount);
    if (bytes !== undefined) {
      await discardBody(ctx.req);
      state.store.putBlob(name, bytes, mount);
      return blobCreated(name, mount);
    }
  }
  if (digest !== null && !state.faults.refuseSingleRequestUpload) {
    const problem = digestProblem(digest);
    if (problem !== undefined) {
      await discardBody(ctx.req);
      return ociError(STATUS_CODE.BadRequest, "DIGEST_INVALID", problem, {
        digest,
      });
    }
    const bytes = (await readBody(ctx.req, Infinity))!;
    if (digestOf(bytes, digest.split(":")[0]) !== digest) {
      return ociError(
        STATUS_CODE.BadRequest,
        "DIGEST_INVALID",
        "digest does not match body",
        {
          digest,
        },
      );
    }
    state.store.putBlob(name, bytes, digest);
    return blobCreated(name, digest);
  }
  await discardBody(ctx.req);
  const uuid = crypto.randomUUID();
  const upload: FakeUpload = {
    repo: name,
    chunks: [],
    length: 0,
    state: "",
    lastChunkLength: undefined,
  };
  state.store.uploads.set(uuid, upload);
  const headers = sessionHeaders(ctx, uuid, upload, true);
  const min = state.faults.chunkMinLength ?? state.options.chunkMinLength;
  if (min !== undefined) headers["oci-chunk-min-length"] = String(min);
  return empty(STATUS_CODE.Accepted, headers);
}

/** `GET <location>`: where the upload stands. */
export function uploadStatus(ctx: Context): Response {
  const upload = findUpload(ctx);
  if (upload instanceof Response) return upload;
  const headers = sessionHeaders(ctx, ctx.ref, upload, true);
  delete headers["content-length"];
  return new Response(null, { status: STATUS_CODE.NoContent, headers });
}

/** `PATCH <location>`: one chunk, in order. */
export async function patchUpload(ctx: Context): Promise<Response> {
  const upload = findUpload(ctx);
  if (upload instanceof Response) return upload;
  const range = checkContentRange(ctx, upload);
  if (range instanceof Response) return range;
  const tooSmall = checkMinLength(ctx, upload);
  if (tooSmall !== undefined) return tooSmall;

  const declared = Number(ctx.req.headers.get("content-length") ?? NaN);
  // A chunk known to fit under the cut does not spend the fault.
  const pending = ctx.state.faults.dropUploadAfterBytes;
  const drop = pending !== undefined && !(declared <= pending.bytes)
    ? takeFault(
      ctx.state.faults,
      "dropUploadAfterBytes",
      ctx.method,
      ctx.pathAndQuery,
    )
    : undefined;
  if (drop !== undefined) {
    await acceptPrefixThenKill(ctx, upload, drop.bytes);
    return empty(STATUS_CODE.Accepted);
  }
  const body = (await readBody(ctx.req, Infinity))!;
  if (range !== undefined && range !== body.byteLength) {
    return rangeNotSatisfiable(ctx, upload);
  }
  append(upload, body);
  const status = ctx.state.faults.patchReturns201
    ? STATUS_CODE.Created
    : STATUS_CODE.Accepted;
  return empty(status, sessionHeaders(ctx, ctx.ref, upload, true));
}

/** `PUT <location>?digest=`: the optional last chunk, then the blob. */
export async function finishUpload(ctx: Context): Promise<Response> {
  const upload = findUpload(ctx);
  if (upload instanceof Response) return upload;
  const digest = ctx.url.searchParams.get("digest") ?? "";
  const problem = digest === ""
    ? "the digest query parameter is required"
    : digestProblem(digest);
  if (problem !== undefined) {
    await discardBody(ctx.req);
    return ociError(STATUS_CODE.BadRequest, "DIGEST_INVALID", problem, {
      digest,
    });
  }
  const range = checkContentRange(ctx, upload);
  if (range instanceof Response) return range;
  const body = (await readBody(ctx.req, Infinity))!;
  if (body.byteLength > 0) {
    const tooSmall = checkMinLength(ctx, upload);
    if (tooSmall !== undefined) return tooSmall;
    append(upload, body);
  }
  ctx.state.store.uploads.delete(ctx.ref);
  const bytes = concat(upload.chunks);
  if (digestOf(bytes, digest.split(":")[0]) !== digest) {
    return ociError(
      STATUS_CODE.BadRequest,
      "DIGEST_INVALID",
      "digest does not match upload",
      {
        digest,
      },
    );
  }
  ctx.state.store.putBlob(ctx.name, bytes, digest);
  return blobCreated(ctx.name, digest);
}

/** `DELETE <location>`: cancel the upload. */
export function cancelUpload(ctx: Context): Response {
  const upload = findUpload(ctx);
  if (upload instanceof Response) return upload;
  ctx.state.store.uploads.delete(ctx.ref);
  return new Response(null, { status: STATUS_CODE.NoContent });
}

/** The session named by the path, checked against its latest `_state`. */
function findUpload(ctx: Context): FakeUpload | Response {
  const upload = ctx.state.store.uploads.get(ctx.ref);
  if (upload === undefined || upload.repo !== ctx.name) {
    return ociError(
      STATUS_CODE.NotFound,
      "BLOB_UPLOAD_UNKNOWN",
      "blob upload unknown",
      {
        uuid: ctx.ref,
      },
    );
  }
  if (ctx.url.searchParams.get("_state") !== upload.state) {
    return ociError(
      STATUS_CODE.BadRequest,
      "BLOB_UPLOAD_INVALID",
      "missing or stale _state: use the Location of the latest answer",
    );
  }
  return upload;
}

/**
 * The chunk length a `Content-Range: start-end` announces (`undefined`
 * without the header), or the 400/416 answer when it is malformed or out
 * of order.
 */
function checkContentRange(
  ctx: Context,
  upload: FakeUpload,
): number | undefined | Response {
  const header = ctx.req.headers.get("content-range");
  if (header === null) return undefined;
  const match = CONTENT_RANGE_RE.exec(header);
  if (match === null || Number(match[2]) < Number(match[1])) {
    return ociError(
      STATUS_CODE.BadRequest,
      "BLOB_UPLOAD_INVALID",
      "Content-Range must be a-b",
    );
  }
  if (Number(match[1]) !== upload.length) {
    return rangeNotSatisfiable(ctx, upload);
  }
  return Number(match[2]) - Number(match[1]) + 1;
}

/** Refuses a new chunk when the previous one was under the minimum. */
function checkMinLength(
  ctx: Context,
  upload: FakeUpload,
): Response | undefined {
  const min = ctx.state.faults.chunkMinLength ??
    ctx.state.options.chunkMinLength;
  const last = upload.lastChunkLength;
  if (min === undefined || last === undefined || last >= min) return undefined;
  return ociError(
    STATUS_CODE.BadRequest,
    "BLOB_UPLOAD_INVALID",
    `a chunk of ${last} bytes was followed by another: OCI-Chunk-Min-Length is ${min}`,
  );
}

/** Reads the chunk until `keep` bytes arrived, keeps them, cuts the line. */
async function acceptPrefixThenKill(
  ctx: Context,
  upload: FakeUpload,
  keep: number,
): Promise<void> {
  const kept: Uint8Array[] = [];
  let length = 0;
  if (ctx.req.body !== null) {
    for await (const chunk of ctx.req.body) {
      kept.push(chunk.subarray(0, keep - length));
      length += kept[kept.length - 1].byteLength;
      if (length >= keep) break;
    }
  }
  append(upload, concat(kept));
  ctx.kill();
}

function append(upload: FakeUpload, chunk: Uint8Array): void {
  upload.chunks.push(chunk);
  upload.length += chunk.byteLength;
  upload.lastChunkLength = chunk.byteLength;
}

function rangeNotSatisfiable(ctx: Context, upload: FakeUpload): Response {
  return ociError(
    STATUS_CODE.RangeNotSatisfiable,
    "BLOB_UPLOAD_INVALID",
    `chunk out of order: the upload has ${upload.length} bytes`,
    undefined,
    sessionHeaders(ctx, ctx.ref, upload, false),
  );
}

/**
 * `Location`, `Range`, `Docker-Upload-UUID` of a session; `rotate` issues a
 * new `_state` that the next request must bring back.
 */
function sessionHeaders(
  ctx: Context,
  uuid: string,
  upload: FakeUpload,
  rotate: boolean,
): Record<string, string> {
  if (rotate) upload.state = randomHex(8);
  return {
    location: ctx.state.faults.location ??
      `/v2/${ctx.name}/blobs/uploads/${uuid}?_state=${upload.state}`,
    range: `0-${Math.max(0, upload.length - 1)}`,
    "docker-upload-uuid": uuid,
    "content-length": "0",
  };
}

function blobCreated(name: string, digest: string): Response {
  return empty(STATUS_CODE.Created, {
    location: `/v2/${name}/blobs/${digest}`,
    "docker-content-digest": digest,
  });
}
