// Private: sending content into an open upload session. One piece at a time
// (`PATCH` or the closing `PUT ?digest=`), re-synced with the registry after
// a dropped connection or a 416/5xx; monolithic (one streaming `PUT`),
// streamed (`PATCH` of a stream of unknown digest, hashed on the way) and
// chunked (`PATCH`es with `Content-Range`) uploads built on it.

import { delay } from "@std/async/delay";
import type { DigestAlgorithm } from "../../ref/digest.ts";
import {
  AuthenticationError,
  ConnectionError,
  HttpError,
  InvalidResponseError,
  NotFoundError,
} from "../../errors.ts";
import { markTransfer } from "../../transport/_replay.ts";
import { type CallOptions, isAbort, type RepoHttp } from "../_repo_http.ts";
import { statBlob } from "../_blob_head.ts";
import type { BlobUploadResult } from "../options.ts";
import { UploadCheck } from "./_check.ts";
import { openChunker } from "./_chunks.ts";
import { Meter } from "./_meter.ts";
import {
  cancelSession,
  checkConfirmed,
  locationOf,
  OCTET_STREAM,
  type Session,
  uploadStatus,
  withDigest,
} from "./_session.ts";
import { bodyOf, type Content, openAt } from "./_source.ts";

/** How many times one upload re-syncs with the registry after a failure. */
const MAX_RESYNCS = 5;

/** Statuses after which an upload re-syncs instead of failing. */
const RESYNC_STATUSES = new Set([408, 416, 500, 502, 503, 504]);

/** Whether an upload request failure is worth a re-sync. */
function resyncable(err: unknown): boolean {
  if (isAbort(err)) return false;
  if (err instanceof ConnectionError) return true;
  return err instanceof HttpError && RESYNC_STATUSES.has(err.status);
}

/** What one transfer step sends: `[start, end)` of the blob. */
interface Piece {
  method: "PATCH" | "PUT";
  /** Offset of the first byte of the piece in the blob. */
  start: number;
  /** Offset just past its last byte (`undefined`: unknown, a stream). */
  end: number | undefined;
  /** The body from blob offset `from` on; `null` for an empty body. */
  body: (
    from: number,
  ) => Promise<Uint8Array | ReadableStream<Uint8Array> | null>;
  /** Whether the body can be produced again from another offset. */
  resumable: boolean;
  /** `digest=` of the closing `PUT`. */
  digest?: string;
  /** Send `Content-Range` on the first attempt too. */
  range: boolean;
  /** Errors raised by the body stream itself, reported instead of fetch's. */
  meter?: Meter;
  /** Aborted after a failed attempt: releases the body's source. */
  stop?: AbortController;
  /** Whether a 401 was answered already (the token was renewed then). */
  reauthorized?: boolean;
}

/** Shared state of one upload. */
export interface Transfer {
  http: RepoHttp;
  session: Session;
  call: CallOptions | undefined;
  attempted: string;
  resyncs: number;
  onProgress?: (sent: number) => void;
}

/**
 * Sends one piece to the session, re-syncing with `GET <location>` after a
 * dropped connection or a 416/5xx and sending the rest from the registry's
 * offset. A 401 (a token that expired or was revoked mid-upload: the auth
 * layer has renewed it meanwhile) is re-synced the same way, once per
 * piece; a second one, or one on a body that cannot be read again, is the
 * `AuthenticationError`. Returns the final response (already drained).
 */
async function sendPiece(t: Transfer, piece: Piece): Promise<Response | null> {
  let from = piece.start;
  let first = true;
  let ambiguousZero = false;
  for (;;) {
    if (
      !first && piece.method === "PATCH" && piece.end !== undefined &&
      from >= piece.end
    ) {
      return null; // the registry has the whole chunk already
    }
    const body = await piece.body(from);
    const headers: Record<string, string> = { "content-type": OCTET_STREAM };
    const length = piece.end === undefined ? undefined : piece.end - from;
    if ((piece.range || !first) && length !== undefined && length > 0) {
      headers["content-range"] = `${from}-${piece.end! - 1}`;
    }
    if (body === null) headers["content-length"] = "0";
    const url = piece.method === "PUT"
      ? withDigest(t.session.location, piece.digest!)
      : t.session.location;
    const ok = piece.method === "PUT" ? [200, 201, 204] : [201, 202, 204];
    const attempted = piece.method === "PUT"
      ? `${t.attempted} (closing PUT)`
      : `${t.attempted} (PATCH ${from}-${piece.end ?? ""})`;
    let res: Response;
    try {
      res = await t.http.send(
        attempted,
        markTransfer(
          t.http.request(piece.method, url, t.call, {
            headers,
            body: body as BodyInit | null,
          }),
        ),
        ok,
      );
    } catch (err) {
      piece.stop?.abort(err);
      if (piece.meter?.error !== undefined) throw piece.meter.error;
      if (err instanceof AuthenticationError) {
        if (!piece.resumable || piece.reauthorized) throw err;
        piece.reauthorized = true;
      } else if (
        !piece.resumable || !resyncable(err) || t.resyncs >= MAX_RESYNCS
      ) {
        throw err;
      } else {
        t.resyncs++;
        await delay(Math.min(2000, 100 * 2 ** (t.resyncs - 1)), {
          signal: t.http.signal(t.call),
        });
      }
      let status;
      try {
        status = await uploadStatus(
          t.http,
          t.session.location,
          t.call,
          t.attempted,
        );
      } catch (statusErr) {
        if (statusErr instanceof NotFoundError && piece.method === "PUT") {
          // The session is gone: the closing PUT may have gone through.
          const there = await statBlob(t.http, piece.digest!, t.call, {
            missing: "undefined",
          }).catch(() => undefined);
          if (there !== undefined) return null;
        }
        throw err;
      }
      t.session.location = status.location;
      let offset = status.offset;
      // "0-0" means 0 or 1 byte (registries clamp the end at 0): try 0,
      // then 1 when that was refused, in turn.
      if (status.end === 0 && piece.start === 0) {
        offset = ambiguousZero ? 1 : 0;
        ambiguousZero = !ambiguousZero;
      }
      if (
        offset < piece.start ||
        (piece.end !== undefined && offset > piece.end)
      ) {
        throw new InvalidResponseError(
          t.attempted,
          `after a failure the registry holds ${offset} bytes, outside the piece ${piece.start}-${piece.end} being resent`,
          { cause: err },
        );
      }
      from = offset;
      first = false;
      t.onProgress?.(from);
      continue;
    }
    await res.body?.cancel();
    if (piece.method === "PATCH") {
      t.session.location = locationOf(res, url, attempted, t.session.location);
    }
    return res;
  }
}

/** Monolithic: one `PUT ?digest=` with the whole body, streamed. */
export async function putWhole(
  t: Transfer,
  content: Content,
  digest: string,
  options: { expectedSize?: number; verify: boolean },
): Promise<number> {
  let meter: Meter | undefined;
  const size = content.size;
  const piece: Piece = {
    method: "PUT",
    start: 0,
    end: size,
    digest,
    range: false,
    resumable: content.kind !== "stream",
    body: async (from) => {
      if (content.kind === "bytes" && from === 0) {
        return content.bytes.byteLength === 0 ? null : bodyOf(content.bytes);
      }
      if (size === 0) return null;
      const stream = await openAt(content, from);
      piece.stop = new AbortController();
      meter = new Meter({
        start: from,
        onProgress: t.onProgress,
        attempted: t.attempted,
        expectedSize: options.expectedSize,
        ...(options.verify && from === 0 ? { expectedDigest: digest } : {}),
      });
      piece.meter = meter;
      return meter.through(stream, piece.stop.signal);
    },
  };
  const res = await sendPiece(t, piece);
  if (res) checkConfirmed(res, digest, t.attempted);
  const sent = size ?? meter?.sent ?? 0;
  t.onProgress?.(sent);
  return sent;
}

/** Streamed: one `PATCH` with the stream (hashed on the way), then `PUT ?digest=`. */
async function patchStream(
  t: Transfer,
  content: Content & { kind: "stream" },
  algorithm: DigestAlgorithm,
  expectedSize: number | undefined,
): Promise<{ digest: string; size: number }> {
  const meter = new Meter({
    start: 0,
    hash: algorithm,
    expectedSize,
    onProgress: t.onProgress,
    attempted: t.attempted,
  });
  const stop = new AbortController();
  await sendPiece(t, {
    method: "PATCH",
    start: 0,
    end: undefined,
    range: false,
    resumable: false,
    meter,
    stop,
    body: () => Promise.resolve(meter.through(content.stream, stop.signal)),
  });
  const digest = meter.digest;
  if (digest === undefined) {
    // The registry answered the PATCH before the stream had ended.
    throw new InvalidResponseError(
      t.attempted,
      `the registry answered the PATCH after ${meter.sent} bytes, before the stream ended`,
    );
  }
  const res = await sendPiece(t, {
    method: "PUT",
    start: meter.sent,
    end: meter.sent,
    digest,
    range: false,
    resumable: true,
    body: () => Promise.resolve(null),
  });
  if (res) checkConfirmed(res, digest, t.attempted);
  return { digest, size: meter.sent };
}

/**
 * The length of the chunks of an upload: the size asked for (already capped
 * by the caller at the largest chunk the registry takes, see `chunkSizeFor`),
 * raised to the session's `OCI-Chunk-Min-Length` when that is larger. The
 * minimum is what the registry itself demands of this upload, so it wins
 * over a cap from the quirks table, but only up to that minimum: chunks are
 * never raised beyond what the registry asks for.
 */
function chunkLength(requested: number, session: Session): number {
  const min = session.minChunk ?? 0;
  return requested >= min ? requested : min;
}

/**
 * Chunked: `PATCH`es of {@linkcode chunkLength} bytes, the last chunk in the
 * closing `PUT`. The chunks are hashed on the way when the digest is not
 * known, or when `verify` asks for it to be checked; a digest computed
 * before the upload is not computed again.
 */
async function putChunked(
  t: Transfer,
  content: Content,
  chunkSize: number,
  o: {
    digest?: string;
    verify: boolean;
    algorithm: DigestAlgorithm;
    expectedSize?: number;
  },
): Promise<{ digest: string; size: number }> {
  const { digest } = o;
  // Checked on the way: verified when asked, hashed when not known yet.
  const check = new UploadCheck({
    verify: o.verify ? digest : undefined,
    hash: digest === undefined ? o.algorithm : undefined,
    expectedSize: o.expectedSize,
    attempted: t.attempted,
  });
  const chunker = await openChunker(
    content,
    chunkLength(chunkSize, t.session),
  );
  let offset = 0;
  let failure: unknown;
  try {
    for (;;) {
      const { chunk, last } = await chunker.next();
      const end = offset + chunk.byteLength;
      check.update(chunk, end);
      const start = offset;
      const body = (from: number) =>
        Promise.resolve(
          from >= end ? null : bodyOf(chunk.subarray(from - start)),
        );
      if (!last) {
        await sendPiece(t, {
          method: "PATCH",
          start,
          end,
          range: true,
          resumable: true,
          body,
        });
        offset = end;
        t.onProgress?.(offset);
        continue;
      }
      const actual = check.finish(end) ?? digest!;
      const res = await sendPiece(t, {
        method: "PUT",
        start,
        end,
        digest: actual,
        range: true,
        resumable: true,
        body,
      });
      if (res) checkConfirmed(res, actual, t.attempted);
      t.onProgress?.(end);
      return { digest: actual, size: end };
    }
  } catch (err) {
    failure = err;
    throw err;
  } finally {
    await chunker.close(failure);
  }
}

/** Uploads content into an open session; cancels the session on failure. */
export async function uploadInto(
  http: RepoHttp,
  session: Session,
  content: Content,
  o: {
    digest?: string;
    algorithm: DigestAlgorithm;
    verify: boolean;
    expectedSize?: number;
    chunkSize?: number;
    call: CallOptions | undefined;
    attempted: string;
    onProgress?: (sent: number) => void;
  },
): Promise<BlobUploadResult> {
  const t: Transfer = {
    http,
    session,
    call: o.call,
    attempted: o.attempted,
    resyncs: 0,
    onProgress: o.onProgress,
  };
  try {
    if (o.chunkSize !== undefined) {
      return await putChunked(t, content, o.chunkSize, o);
    }
    if (o.digest === undefined && content.kind === "stream") {
      return await patchStream(t, content, o.algorithm, o.expectedSize);
    }
    const size = await putWhole(t, content, o.digest!, {
      expectedSize: o.expectedSize,
      verify: o.verify,
    });
    return { digest: o.digest!, size };
  } catch (err) {
    await cancelSession(http, t.session.location);
    throw err;
  }
}
