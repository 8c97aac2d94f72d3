/**
 * Blob upload endpoints of the fake registry: `POST` (session, single
 * request, cross-repository mount), `PATCH` chunks, closing `PUT`, status
 * `GET` and `DELETE`, as the distribution spec's "Pushing a blob in chunks"
 * describes them.
 *
 * Every `Location` carries an opaque `_state` query (a secret of the
 * session and the offset the answer was given at) that changes as the
 * upload grows; a request without it, or with one the session never issued,
 * is refused, as clients must use the `Location` exactly as returned. Any
 * `Location` the session issued stays valid for a status `GET` and a
 * `DELETE`; a chunk sent to an outdated one (a repeated chunk, typically)
 * is out of order and answered 416 with the current `Range`, like a chunk
 * whose `Content-Range` does not start where the upload stands.
 *
 * @module
 */

import { concat } from "@std/bytes/concat";
import { STATUS_CODE } from "@std/http/status";
import type { FakeUpload } from "./_fake_types.ts";
import type { Context } from "./_fake_context.ts";
import { takeFault } from "./_fake_faults.ts";
import {
  discardBody,
  empty,
  ociError,
  randomHex,
  readBody,
} from "./_fake_http.ts";
import { digestOf, digestProblem, supportsAlgorithm } from "./_fake_store.ts";

const CONTENT_RANGE_RE = /^(\d+)-(\d+)$/;
/** `_state` is `<session secret>_<offset>`. */
const STATE_RE = /^([0-9a-f]+)_(\d+)$/;

/** An upload session found from a request's URL. */
interface Session {
  upload: FakeUpload;
  /** The offset the request's `Location` was issued at. */
  issuedAt: number;
}

/** `POST /v2/<name>/blobs/uploads/[?digest=|?mount=&from=]`. */
export async function startUpload(ctx: Context): Promise<Response> {
  const { name, state, url } = ctx;
  const mount = url.searchParams.get("mount");
  const from = url.searchParams.get("from");
  const digest = url.searchParams.get("digest");
  const algorithm = url.searchParams.get("digest-algorithm");
  if (algorithm !== null && !supportsAlgorithm(algorithm)) {
    await discardBody(ctx.req);
    return ociError(
      STATUS_CODE.BadRequest,
      "DIGEST_INVALID",
      `unsupported digest algorithm "${algorithm}"`,
      { algorithm },
    );
  }
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
  const headers = sessionHeaders(ctx, uuid, upload);
  const min = state.faults.chunkMinLength ?? state.options.chunkMinLength;
  if (min !== undefined) headers["oci-chunk-min-length"] = String(min);
  return empty(STATUS_CODE.Accepted, headers);
}

/**
 * `GET <location>`, with any `Location` the session issued: where the
 * upload stands (`Range`) and the `Location` to go on with.
 */
export function uploadStatus(ctx: Context): Response {
  const session = findSession(ctx);
  if (session instanceof Response) return session;
  const headers = sessionHeaders(ctx, ctx.ref, session.upload);
  return new Response(null, { status: STATUS_CODE.NoContent, headers });
}

/**
 * `PATCH <location>`: one chunk, in order. With `Content-Range` it must
 * start where the upload stands; without, it is a streamed chunk appended
 * at the end, which must be sent to the latest `Location`.
 */
export async function patchUpload(ctx: Context): Promise<Response> {
  const session = findSession(ctx);
  if (session instanceof Response) return session;
  const { upload } = session;
  const range = checkContentRange(ctx, session, true);
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
  return empty(status, sessionHeaders(ctx, ctx.ref, upload));
}

/** `PUT <location>?digest=`: the optional last chunk, then the blob. */
export async function finishUpload(ctx: Context): Promise<Response> {
  const session = findSession(ctx);
  if (session instanceof Response) return session;
  const { upload } = session;
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
  // Without a chunk, the PUT only closes the session: any Location will do.
  const hasChunk = ctx.req.headers.has("content-range") ||
    Number(ctx.req.headers.get("content-length") ?? "1") > 0;
  const range = checkContentRange(ctx, session, hasChunk);
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
  const session = findSession(ctx);
  if (session instanceof Response) return session;
  ctx.state.store.uploads.delete(ctx.ref);
  return new Response(null, { status: STATUS_CODE.NoContent });
}

/**
 * The session named by the path, with the offset its `_state` was issued
 * at; 404 for an unknown session, 400 for a missing `_state` or one of
 * another session.
 */
function findSession(ctx: Context): Session | Response {
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
  const state = STATE_RE.exec(ctx.url.searchParams.get("_state") ?? "");
  const issued = STATE_RE.exec(upload.state);
  if (state === null || issued === null || state[1] !== issued[1]) {
    return ociError(
      STATUS_CODE.BadRequest,
      "BLOB_UPLOAD_INVALID",
      "missing or unknown _state: use a Location this upload returned",
    );
  }
  return { upload, issuedAt: Number(state[2]) };
}

/**
 * The chunk length a `Content-Range: start-end` announces (`undefined`
 * without the header), or the 400/416 answer when it is malformed or out
 * of order. A chunk without `Content-Range` is out of order when
 * `isChunk` and its `Location` was issued at another offset than the
 * upload's length.
 */
function checkContentRange(
  ctx: Context,
  { upload, issuedAt }: Session,
  isChunk: boolean,
): number | undefined | Response {
  const header = ctx.req.headers.get("content-range");
  if (header === null) {
    return isChunk && issuedAt !== upload.length
      ? rangeNotSatisfiable(ctx, upload)
      : undefined;
  }
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

/** 416 with where the upload stands and the `Location` to go on with. */
function rangeNotSatisfiable(ctx: Context, upload: FakeUpload): Response {
  return ociError(
    STATUS_CODE.RangeNotSatisfiable,
    "BLOB_UPLOAD_INVALID",
    `chunk out of order: the upload has ${upload.length} bytes`,
    { range: `0-${Math.max(0, upload.length - 1)}` },
    sessionHeaders(ctx, ctx.ref, upload),
  );
}

/**
 * `Location`, `Range`, `Docker-Upload-UUID` of a session. The `Location`
 * carries the `_state` for the upload's current length (a new session gets
 * its secret here), which {@linkcode FakeUpload.state} keeps.
 */
function sessionHeaders(
  ctx: Context,
  uuid: string,
  upload: FakeUpload,
): Record<string, string> {
  const secret = STATE_RE.exec(upload.state)?.[1] ?? randomHex(8);
  upload.state = `${secret}_${upload.length}`;
  return {
    location: ctx.state.faults.location ??
      `/v2/${ctx.name}/blobs/uploads/${uuid}?_state=${upload.state}`,
    range: `0-${Math.max(0, upload.length - 1)}`,
    "docker-upload-uuid": uuid,
  };
}

function blobCreated(name: string, digest: string): Response {
  return empty(STATUS_CODE.Created, {
    location: `/v2/${name}/blobs/${digest}`,
    "docker-content-digest": digest,
  });
}
