/**
 * Blob uploads: monolithic (`POST` then one streaming `PUT ?digest=`),
 * chunked (`PATCH` with `Content-Range`, re-synced with `GET <location>`
 * after a failure), streamed (`PATCH` of a stream of unknown digest, hashed
 * on the way), cross-repository mounts and blob deletes.
 *
 * The public entry points are the methods of `RegistryClientV2`
 * (`blobUpload`, `mountBlob`, `deleteBlob`); this module holds the types they
 * take and return, and the request logic behind them.
 *
 * Memory stays bounded whatever the blob's size: files are streamed from
 * disk, chunks are held one at a time, and only small in-memory bodies are
 * buffered for replay.
 *
 * @module
 */

import {
  type CallOptions,
  isAbort,
  refSuffix,
  type RepoHttp,
} from "./_repo_http.ts";
import {
  type DigestAlgorithm,
  DigestHasher,
  digestOf,
  DigestVerifier,
  parseDigest,
} from "./digest.ts";
import {
  ConnectionError,
  DigestMismatchError,
  HttpError,
  InvalidReferenceError,
  InvalidResponseError,
  NotFoundError,
  SizeMismatchError,
} from "./errors.ts";

export type { CallOptions };

/**
 * What {@linkcode RegistryClientV2.blobUpload} accepts: a stream, bytes, a
 * `Blob` (or `File`), or a file given by path or `file:` URL (streamed from
 * disk, never read whole into memory). A string is always a file path, never
 * the content itself.
 *
 * @example
 * ```ts
 * import type { BlobSource } from "jsr:@scope/docker-registry-client";
 *
 * const sources: BlobSource[] = [
 *   new TextEncoder().encode("{}"),
 *   "/tmp/layer.tar.gz",
 *   new URL("file:///tmp/layer.tar.gz"),
 *   new Blob(["hello"]),
 * ];
 * ```
 */
export type BlobSource =
  | ReadableStream<Uint8Array>
  | Uint8Array
  | Blob
  | string
  | URL;

/**
 * Options of {@linkcode RegistryClientV2.blobUpload}.
 *
 * @example Chunked upload of a file with a progress report
 * ```ts
 * import { createClient } from "jsr:@scope/docker-registry-client";
 *
 * const client = createClient({ repo: "http://127.0.0.1:5000/foo" });
 * await client.blobUpload("/tmp/layer.tar.gz", {
 *   chunkSize: 8 * 1024 * 1024,
 *   onProgress: (sent) => console.log(sent),
 * });
 * ```
 */
export interface BlobUploadOptions extends CallOptions {
  /**
   * The blob's digest, when known. Without it the digest is computed: files,
   * `Blob`s and bytes are hashed before the upload (so that an existing blob
   * is skipped), streams while they upload.
   */
  digest?: string;
  /** The blob's size in bytes, when known; checked against the content. */
  size?: number;
  /**
   * Upload in chunks of this many bytes (`PATCH` with `Content-Range`),
   * raised to the registry's `OCI-Chunk-Min-Length` when that is larger.
   * Without it the blob goes in one streaming `PUT`.
   */
  chunkSize?: number;
  /**
   * Upload even when the registry already has the blob (no `HEAD` first).
   * @default {false}
   */
  force?: boolean;
  /** Called with the number of bytes sent so far, as the upload progresses. */
  onProgress?: (bytesSent: number) => void;
  /**
   * Try a cross-repository mount from this repository (same registry) first;
   * when the registry opens an ordinary upload instead, the content is
   * uploaded into it.
   */
  mountFrom?: string;
}

/**
 * What {@linkcode RegistryClientV2.blobUpload} did.
 *
 * @example
 * ```ts
 * import type { BlobUploadResult } from "jsr:@scope/docker-registry-client";
 *
 * const result: BlobUploadResult = { digest: "sha256:" + "0".repeat(64), size: 0, skipped: true };
 * ```
 */
export interface BlobUploadResult {
  /** The blob's digest. */
  digest: string;
  /** Its size in bytes (from the registry when the upload was skipped). */
  size: number;
  /** `true` when the registry already had the blob and nothing was sent. */
  skipped?: boolean;
  /** `true` when the blob was mounted from `mountFrom`. */
  mounted?: boolean;
}

/**
 * What {@linkcode RegistryClientV2.mountBlob} did.
 *
 * @example
 * ```ts
 * import type { MountResult } from "jsr:@scope/docker-registry-client";
 *
 * const result: MountResult = { digest: "sha256:" + "0".repeat(64), mounted: true };
 * ```
 */
export interface MountResult {
  /** The blob's digest. */
  digest: string;
  /**
   * `true`: the registry mounted the blob (201). `false`: it opened an
   * ordinary upload instead (202), and the blob was copied through it.
   */
  mounted: boolean;
}

/**
 * Bodies up to this size are sent from memory, replayable after a 401 (the
 * transport keeps copies of those); bigger ones are streamed without copies.
 */
const REPLAYABLE_BODY_MAX = 1024 * 1024;
/** In-memory blobs up to this size try a single-request `POST ?digest=`. */
const SINGLE_POST_MAX = 64 * 1024;
/** Pieces of a large in-memory body handed to fetch. */
const STREAM_PIECE = 1024 * 1024;
/** The buffer a file is hashed through. */
const HASH_BUFFER_SIZE = 1024 * 1024;
/** How many times one upload re-syncs with the registry after a failure. */
const MAX_RESYNCS = 5;
/** The cancelling `DELETE` gives up after this long. */
const CANCEL_TIMEOUT_MS = 10_000;
/** Statuses after which an upload re-syncs instead of failing. */
const RESYNC_STATUSES = new Set([408, 416, 500, 502, 503, 504]);
/** Statuses of a refused single-request upload: fall back to a session. */
const SINGLE_POST_REFUSED = new Set([400, 405, 413, 415, 501]);
const OCTET_STREAM = "application/octet-stream";
const REPO_NAME_RE =
  /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;

// ------------------------------------------------------------------ content

/** The content, normalised: what can be read again from an offset, and a stream. */
type Content =
  | { kind: "bytes"; bytes: Uint8Array; size: number }
  | { kind: "blob"; blob: Blob; size: number }
  | { kind: "file"; path: string | URL; size: number }
  | { kind: "stream"; stream: ReadableStream<Uint8Array>; size?: undefined };

async function toContent(source: BlobSource): Promise<Content> {
  if (source instanceof Uint8Array) {
    return { kind: "bytes", bytes: source, size: source.byteLength };
  }
  if (source instanceof ReadableStream) {
    return { kind: "stream", stream: source };
  }
  if (source instanceof Blob) {
    if (source.size <= SINGLE_POST_MAX) {
      const bytes = new Uint8Array(await source.arrayBuffer());
      return { kind: "bytes", bytes, size: bytes.byteLength };
    }
    return { kind: "blob", blob: source, size: source.size };
  }
  if (typeof source === "string" || source instanceof URL) {
    const info = await Deno.stat(source);
    if (!info.isFile) {
      throw new TypeError(`Cannot upload "${String(source)}": not a file`);
    }
    return { kind: "file", path: source, size: info.size };
  }
  throw new TypeError(
    "A blob source must be a ReadableStream, Uint8Array, Blob, file path or file URL",
  );
}

/** A stream of the content from `offset` on; a file is closed at its end or on cancel. */
async function openAt(
  content: Content,
  offset: number,
): Promise<ReadableStream<Uint8Array>> {
  switch (content.kind) {
    case "bytes":
      return bytesStream(content.bytes.subarray(offset));
    case "blob":
      return content.blob.slice(offset).stream();
    case "file": {
      const file = await Deno.open(content.path, { read: true });
      try {
        if (offset > 0) await file.seek(offset, Deno.SeekMode.Start);
      } catch (err) {
        file.close();
        throw err;
      }
      return file.readable; // closes the file at its end and on cancel
    }
    case "stream":
      if (offset !== 0) throw new RangeError("a stream cannot be re-read");
      return content.stream;
  }
}

/** Bytes as a stream of subarrays (no copies), for bodies too big to buffer. */
function bytesStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.byteLength) {
        controller.close();
        return;
      }
      const end = Math.min(bytes.byteLength, offset + STREAM_PIECE);
      controller.enqueue(bytes.subarray(offset, end));
      offset = end;
    },
  }, { highWaterMark: 0 });
}

/** The digest of re-readable content; a file is read through one small buffer. */
async function hashContent(
  content: Content,
  algorithm: DigestAlgorithm,
  signal: AbortSignal | undefined,
): Promise<string> {
  if (content.kind === "bytes") return digestOf(content.bytes, algorithm);
  const hasher = new DigestHasher(algorithm);
  if (content.kind === "file") {
    using file = await Deno.open(content.path, { read: true });
    const buffer = new Uint8Array(HASH_BUFFER_SIZE);
    for (;;) {
      signal?.throwIfAborted();
      const n = await file.read(buffer);
      if (n === null) break;
      hasher.update(buffer.subarray(0, n));
    }
    return hasher.digest();
  }
  const reader = (await openAt(content, 0)).getReader();
  try {
    for (;;) {
      signal?.throwIfAborted();
      const { done, value } = await reader.read();
      if (done) break;
      hasher.update(value);
    }
  } catch (err) {
    await reader.cancel().catch(() => {});
    throw err;
  } finally {
    reader.releaseLock();
  }
  return hasher.digest();
}

/** A body for fetch: small bytes as they are (replayable), big ones streamed. */
function bodyOf(bytes: Uint8Array): Uint8Array | ReadableStream<Uint8Array> {
  return bytes.byteLength <= REPLAYABLE_BODY_MAX ? bytes : bytesStream(bytes);
}

/**
 * Counts (and optionally hashes and size-checks) bytes as fetch pulls them.
 * The first error it raises is kept, so that the caller can report it rather
 * than the network error fetch turns it into.
 */
class Meter {
  readonly hasher?: DigestHasher;
  error?: unknown;
  #sent: number;
  readonly #expectedSize?: number;
  readonly #expectedDigest?: string;
  readonly #onProgress?: (sent: number) => void;
  readonly #attempted: string;

  constructor(options: {
    start: number;
    hash?: DigestAlgorithm;
    expectedSize?: number;
    expectedDigest?: string;
    onProgress?: (sent: number) => void;
    attempted: string;
  }) {
    this.#sent = options.start;
    if (options.hash) this.hasher = new DigestHasher(options.hash);
    this.#expectedSize = options.expectedSize;
    this.#expectedDigest = options.expectedDigest;
    this.#onProgress = options.onProgress;
    this.#attempted = options.attempted;
  }

  get sent(): number {
    return this.#sent;
  }

  /**
   * A pass-through stream that meters what goes through; aborting `stop`
   * cancels the source (closing a file, releasing a response body).
   */
  through(
    stream: ReadableStream<Uint8Array>,
    stop: AbortSignal,
  ): ReadableStream<Uint8Array> {
    const fail = (err: unknown): never => {
      this.error ??= err;
      throw err;
    };
    return stream.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform: (chunk, controller) => {
          this.#sent += chunk.byteLength;
          if (
            this.#expectedSize !== undefined && this.#sent > this.#expectedSize
          ) {
            fail(
              new SizeMismatchError(
                this.#attempted,
                this.#expectedSize,
                this.#sent,
              ),
            );
          }
          this.hasher?.update(chunk);
          controller.enqueue(chunk);
          this.#onProgress?.(this.#sent);
        },
        flush: () => {
          if (
            this.#expectedSize !== undefined && this.#sent < this.#expectedSize
          ) {
            fail(
              new SizeMismatchError(
                this.#attempted,
                this.#expectedSize,
                this.#sent,
              ),
            );
          }
          if (this.hasher && this.#expectedDigest !== undefined) {
            const actual = this.hasher.digest();
            if (actual !== this.#expectedDigest) {
              fail(
                new DigestMismatchError(
                  this.#attempted,
                  this.#expectedDigest,
                  actual,
                ),
              );
            }
          }
        },
      }),
      { signal: stop },
    );
  }
}

// ----------------------------------------------------------------- sessions

/** An open upload session. */
interface Session {
  /** Where the next request goes: the latest `Location`, absolute. */
  location: string;
  /** `OCI-Chunk-Min-Length`, when the registry announced it. */
  minChunk?: number;
}

/** How a session was opened (or made unnecessary). */
type Opened =
  | { done: "mounted" | "created" }
  | { done?: undefined; session: Session };

/** `Location`, resolved against the URL it answers; its query kept. */
function locationOf(
  res: Response,
  requestUrl: string,
  attempted: string,
  fallback?: string,
): string {
  const header = res.headers.get("location");
  if (header === null || header.trim() === "") {
    if (fallback !== undefined) return fallback;
    throw new InvalidResponseError(
      attempted,
      `${res.status} without a Location header`,
    );
  }
  try {
    return new URL(header.trim(), requestUrl).href;
  } catch (cause) {
    throw new InvalidResponseError(
      attempted,
      "the Location header is not a URL",
      { cause },
    );
  }
}

/** The location with `digest=` appended, the rest of its query untouched. */
function withDigest(location: string, digest: string): string {
  const hash = location.indexOf("#");
  const base = hash >= 0 ? location.slice(0, hash) : location;
  const sep = !base.includes("?")
    ? "?"
    : base.endsWith("?") || base.endsWith("&")
    ? ""
    : "&";
  return `${base}${sep}digest=${encodeURIComponent(digest)}`;
}

function sessionFrom(
  res: Response,
  requestUrl: string,
  attempted: string,
): Session {
  const location = locationOf(res, requestUrl, attempted);
  const min = Number(res.headers.get("oci-chunk-min-length") ?? NaN);
  return {
    location,
    ...(Number.isSafeInteger(min) && min > 0 ? { minChunk: min } : {}),
  };
}

/** `POST /v2/<name>/blobs/uploads/`: a new session. */
async function startSession(
  http: RepoHttp,
  call: CallOptions | undefined,
  attempted: string,
): Promise<Session> {
  const url = http.url("blobs/uploads/");
  const res = await http.send(
    attempted,
    http.request("POST", url, call, { headers: { "content-length": "0" } }),
    [202],
  );
  await res.body?.cancel();
  return sessionFrom(res, url, attempted);
}

/**
 * `POST ?digest=` with a small body: 201 means done; 202 means the registry
 * opened a session instead (and dropped the body); a refusal falls back to
 * an ordinary `POST`.
 */
async function singlePost(
  http: RepoHttp,
  bytes: Uint8Array,
  digest: string,
  call: CallOptions | undefined,
  attempted: string,
): Promise<Opened> {
  const url = `${http.url("blobs/uploads/")}?digest=${
    encodeURIComponent(digest)
  }`;
  let res: Response;
  try {
    res = await http.send(
      attempted,
      http.request("POST", url, call, {
        headers: { "content-type": OCTET_STREAM },
        body: bytes as Uint8Array<ArrayBuffer>,
      }),
      [201, 202],
    );
  } catch (err) {
    if (err instanceof HttpError && SINGLE_POST_REFUSED.has(err.status)) {
      return { session: await startSession(http, call, attempted) };
    }
    throw err;
  }
  await res.body?.cancel();
  if (res.status === 201) {
    checkConfirmed(res, digest, attempted);
    return { done: "created" };
  }
  return { session: sessionFrom(res, url, attempted) };
}

/** `POST ?mount=&from=`: 201 mounted; 202 an ordinary session. */
async function mountSession(
  http: RepoHttp,
  digest: string,
  fromRepo: string,
  call: CallOptions | undefined,
  attempted: string,
): Promise<Opened> {
  const url = `${http.url("blobs/uploads/")}?mount=${
    encodeURIComponent(digest)
  }&from=${encodeURIComponent(fromRepo)}`;
  const res = await http.send(
    attempted,
    http.request("POST", url, call, { headers: { "content-length": "0" } }),
    [201, 202],
  );
  await res.body?.cancel();
  if (res.status === 201) return { done: "mounted" };
  return { session: sessionFrom(res, url, attempted) };
}

/** Where the upload stands: `GET <location>` (204, `Range: 0-N`). */
async function uploadStatus(
  http: RepoHttp,
  location: string,
  call: CallOptions | undefined,
  attempted: string,
): Promise<{ offset: number; end: number | undefined; location: string }> {
  const res = await http.send(
    `${attempted} (upload status)`,
    http.request("GET", location, call),
    [200, 204],
  );
  await res.body?.cancel();
  const range = res.headers.get("range");
  let end: number | undefined;
  if (range !== null) {
    const m = /^(?:bytes=)?(\d+)-(\d+)$/.exec(range.trim());
    if (m === null || Number(m[1]) !== 0) {
      throw new InvalidResponseError(
        `${attempted} (upload status)`,
        `the Range header "${range.slice(0, 64)}" is not 0-N`,
      );
    }
    end = Number(m[2]);
  }
  return {
    offset: end === undefined ? 0 : end + 1,
    end,
    location: locationOf(res, location, attempted, location),
  };
}

/** `DELETE <location>`, best effort: never throws. */
async function cancelSession(
  http: RepoHttp,
  location: string,
): Promise<void> {
  try {
    const res = await http.send(
      "cancel blob upload",
      http.request("DELETE", location, {
        signal: AbortSignal.timeout(CANCEL_TIMEOUT_MS),
      }),
      [200, 202, 204, 404],
    );
    await res.body?.cancel();
  } catch {
    // Best effort: the registry purges abandoned uploads anyway.
  }
}

/** Whether an upload request failure is worth a re-sync. */
function resyncable(err: unknown): boolean {
  if (isAbort(err)) return false;
  if (err instanceof ConnectionError) return true;
  return err instanceof HttpError && RESYNC_STATUSES.has(err.status);
}

/** Checks `Docker-Content-Digest` of a created blob against ours. */
function checkConfirmed(
  res: Response,
  digest: string,
  attempted: string,
): void {
  const confirmed = res.headers.get("docker-content-digest");
  if (confirmed === null || confirmed === digest) return;
  let valid = true;
  try {
    parseDigest(confirmed);
  } catch {
    valid = false; // garbage is ignored, as on the read side
  }
  if (valid && confirmed.split(":")[0] === digest.split(":")[0]) {
    throw new DigestMismatchError(
      `${attempted}: the registry confirmed another digest`,
      digest,
      confirmed,
    );
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

// ---------------------------------------------------------------- transfers

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
}

/** Shared state of one upload. */
interface Transfer {
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
 * offset. Returns the final response (already drained).
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
        t.http.request(piece.method, url, t.call, {
          headers,
          body: body as BodyInit | null,
        }),
        ok,
      );
    } catch (err) {
      piece.stop?.abort(err);
      if (piece.meter?.error !== undefined) throw piece.meter.error;
      if (!piece.resumable || !resyncable(err) || t.resyncs >= MAX_RESYNCS) {
        throw err;
      }
      t.resyncs++;
      await sleep(
        Math.min(2000, 100 * 2 ** (t.resyncs - 1)),
        t.http.signal(t.call),
      );
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
          const size = await blobSize(t.http, piece.digest!, t.call)
            .catch(() => undefined);
          if (size !== undefined) return null;
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

/**
 * Reads content in chunks of one size, telling which chunk is the last.
 * Chunks are views of one reused buffer (bytes: views of the bytes, no
 * copies): a chunk is valid until the next call.
 */
interface ChunkReader {
  next(): Promise<{ chunk: Uint8Array; last: boolean }>;
  close(reason?: unknown): Promise<void>;
}

async function chunkReader(
  content: Content,
  size: number,
): Promise<ChunkReader> {
  switch (content.kind) {
    case "bytes": {
      let offset = 0;
      return {
        next() {
          const chunk = content.bytes.subarray(offset, offset + size);
          offset += chunk.byteLength;
          return Promise.resolve({
            chunk,
            last: offset >= content.bytes.byteLength,
          });
        },
        close: () => Promise.resolve(),
      };
    }
    case "file": {
      const file = await Deno.open(content.path, { read: true });
      const buffer = new Uint8Array(size);
      let position = 0;
      let closed = false;
      return {
        async next() {
          let filled = 0;
          while (filled < size) {
            const n = await file.read(buffer.subarray(filled));
            if (n === null) break;
            filled += n;
          }
          position += filled;
          return {
            chunk: buffer.subarray(0, filled),
            last: filled < size || position >= content.size,
          };
        },
        close() {
          if (!closed) file.close();
          closed = true;
          return Promise.resolve();
        },
      };
    }
    default:
      return new StreamChunker(await openAt(content, 0), size);
  }
}

/** A stream read in chunks, copied into one reused buffer, one piece read ahead. */
class StreamChunker implements ChunkReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #buffer: Uint8Array;
  #pending: Uint8Array | undefined;
  #done = false;

  constructor(stream: ReadableStream<Uint8Array>, size: number) {
    this.#reader = stream.getReader();
    this.#buffer = new Uint8Array(size);
  }

  async next(): Promise<{ chunk: Uint8Array; last: boolean }> {
    const size = this.#buffer.byteLength;
    let filled = 0;
    while (filled < size) {
      const piece = this.#pending ?? await this.#read();
      this.#pending = undefined;
      if (piece === undefined) break;
      const n = Math.min(size - filled, piece.byteLength);
      this.#buffer.set(piece.subarray(0, n), filled);
      filled += n;
      if (n < piece.byteLength) this.#pending = piece.subarray(n);
    }
    if (this.#pending === undefined) this.#pending = await this.#read();
    return {
      chunk: this.#buffer.subarray(0, filled),
      last: this.#pending === undefined,
    };
  }

  async close(reason?: unknown): Promise<void> {
    if (!this.#done) await this.#reader.cancel(reason).catch(() => {});
    this.#reader.releaseLock();
  }

  async #read(): Promise<Uint8Array | undefined> {
    while (!this.#done) {
      const { done, value } = await this.#reader.read();
      if (done) this.#done = true;
      else if (value.byteLength > 0) return value;
    }
    return undefined;
  }
}

/** Monolithic: one `PUT ?digest=` with the whole body, streamed. */
async function putWhole(
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
        ...(options.verify && from === 0
          ? { hash: parseDigest(digest).algorithm, expectedDigest: digest }
          : {}),
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
  const digest = meter.hasher!.digest();
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

/** Chunked: `PATCH`es of `chunkSize` bytes, the last chunk in the closing `PUT`. */
async function putChunked(
  t: Transfer,
  content: Content,
  chunkSize: number,
  digest: string | undefined,
  algorithm: DigestAlgorithm,
  expectedSize: number | undefined,
): Promise<{ digest: string; size: number }> {
  const size = Math.max(chunkSize, t.session.minChunk ?? 0);
  const hasher = new DigestHasher(algorithm);
  const chunker = await chunkReader(content, size);
  let offset = 0;
  try {
    for (;;) {
      const { chunk, last } = await chunker.next();
      const end = offset + chunk.byteLength;
      if (expectedSize !== undefined && end > expectedSize) {
        throw new SizeMismatchError(t.attempted, expectedSize, end);
      }
      hasher.update(chunk);
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
      if (expectedSize !== undefined && end !== expectedSize) {
        throw new SizeMismatchError(t.attempted, expectedSize, end);
      }
      const actual = hasher.digest();
      if (digest !== undefined && actual !== digest) {
        throw new DigestMismatchError(t.attempted, digest, actual);
      }
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
    await chunker.close(err);
    throw err;
  } finally {
    await chunker.close();
  }
}

// ------------------------------------------------------------- entry points

/** `HEAD` a blob: its size when the registry has it, else `undefined`. */
async function blobSize(
  http: RepoHttp,
  digest: string,
  call: CallOptions | undefined,
  attempted = `head blob "${http.name}@${digest}"`,
): Promise<number | undefined> {
  const res = await http.send(
    attempted,
    http.request("HEAD", http.url(`blobs/${digest}`), call),
    [200, 404],
  );
  await res.body?.cancel();
  if (res.status === 404) return undefined;
  const length = Number(res.headers.get("content-length") ?? NaN);
  return Number.isSafeInteger(length) ? length : NaN;
}

function checkRepoName(name: string): void {
  if (name.length > 255 || !REPO_NAME_RE.test(name)) {
    throw new InvalidReferenceError(
      "repository name",
      name,
      "must be path components of [a-z0-9] joined by ., _, __ or -",
    );
  }
}

function checkSize(value: number | undefined, what: string): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
    throw new RangeError(
      `${what} must be a non-negative integer, got ${value}`,
    );
  }
}

/**
 * Uploads a blob into the repository of `http`: skips it when the registry
 * has it, tries a mount when asked, then sends it monolithic, streamed or
 * chunked. The session is cancelled (`DELETE <location>`) on any failure.
 *
 * @internal Plumbing of `RegistryClientV2.blobUpload`.
 * @param http The repository's request plumbing.
 * @param source The content.
 * @param options Digest, size, chunking, mount source, progress, cancellation.
 * @returns The digest and size, and whether the upload was skipped or mounted.
 * @throws {DigestMismatchError} When the content does not match `digest`.
 * @throws {SizeMismatchError} When the content does not match `size`.
 */
export async function uploadBlob(
  http: RepoHttp,
  source: BlobSource,
  options: BlobUploadOptions = {},
): Promise<BlobUploadResult> {
  checkSize(options.size, "BlobUploadOptions.size");
  if (
    options.chunkSize !== undefined &&
    !(Number.isSafeInteger(options.chunkSize) && options.chunkSize > 0)
  ) {
    throw new RangeError(
      `BlobUploadOptions.chunkSize must be a positive integer, got ${options.chunkSize}`,
    );
  }
  if (options.mountFrom !== undefined) checkRepoName(options.mountFrom);
  const given = options.digest === undefined
    ? undefined
    : parseDigest(options.digest).digest;
  const algorithm = given === undefined
    ? "sha256"
    : parseDigest(given).algorithm;
  const call: CallOptions = { signal: options.signal };
  const content = await toContent(source);
  const attempted = `push blob${given ? ` ${given}` : ""} to "${http.name}"`;
  try {
    if (
      options.size !== undefined && content.size !== undefined &&
      options.size !== content.size
    ) {
      throw new SizeMismatchError(attempted, options.size, content.size);
    }
    if (given !== undefined && content.kind === "bytes") {
      const actual = digestOf(content.bytes, algorithm);
      if (actual !== given) {
        throw new DigestMismatchError(attempted, given, actual);
      }
    }
    const digest = given ??
      (content.kind === "stream"
        ? undefined
        : await hashContent(content, algorithm, http.signal(call)));
    const size = content.size ?? options.size;

    let opened: Opened | undefined;
    if (digest !== undefined && options.mountFrom !== undefined) {
      opened = await mountSession(
        http,
        digest,
        options.mountFrom,
        call,
        `mount blob ${digest} from "${options.mountFrom}" into "${http.name}"`,
      );
      if (opened.done) {
        await cancelStream(content);
        return {
          digest,
          size: size ?? await blobSize(http, digest, call) ?? 0,
          mounted: true,
        };
      }
    } else if (digest !== undefined && !options.force) {
      const existing = await blobSize(
        http,
        digest,
        call,
        `push blob ${digest} to "${http.name}" (existence check)`,
      );
      if (existing !== undefined) {
        await cancelStream(content);
        return { digest, size: size ?? existing, skipped: true };
      }
    }
    if (opened === undefined) {
      opened = content.kind === "bytes" && digest !== undefined &&
          options.chunkSize === undefined && content.size <= SINGLE_POST_MAX &&
          content.size > 0
        ? await singlePost(http, content.bytes, digest, call, attempted)
        : { session: await startSession(http, call, attempted) };
    }
    if (opened.done) {
      options.onProgress?.(content.size ?? 0);
      return { digest: digest!, size: content.size ?? 0 };
    }
    return await uploadInto(http, opened.session, content, {
      digest,
      algorithm,
      verify: given !== undefined,
      expectedSize: options.size,
      chunkSize: options.chunkSize,
      call,
      attempted,
      onProgress: options.onProgress,
    });
  } catch (err) {
    await cancelStream(content, err);
    throw err;
  }
}

/** Uploads content into an open session; cancels the session on failure. */
async function uploadInto(
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
      return await putChunked(
        t,
        content,
        o.chunkSize,
        o.digest,
        o.algorithm,
        o.expectedSize,
      );
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

async function cancelStream(content: Content, reason?: unknown): Promise<void> {
  if (content.kind !== "stream") return;
  try {
    await content.stream.cancel(reason);
  } catch {
    // Locked (being read) or already closed: nothing to release.
  }
}

/**
 * Mounts a blob from another repository of the same registry. When the
 * registry opens an ordinary upload instead (202), the blob is read from
 * `fromRepo` (verified against its digest) and streamed into that upload.
 *
 * @internal Plumbing of `RegistryClientV2.mountBlob`.
 * @param http The target repository's request plumbing.
 * @param digest The blob's digest.
 * @param fromRepo The source repository (its name on the same registry).
 * @param call Cancellation.
 * @returns The digest and whether the registry mounted it.
 * @throws {NotFoundError} When the source repository lacks the blob.
 */
export async function mountBlob(
  http: RepoHttp,
  digest: string,
  fromRepo: string,
  call: CallOptions = {},
): Promise<MountResult> {
  parseDigest(digest);
  checkRepoName(fromRepo);
  const attempted =
    `mount blob ${digest} from "${fromRepo}" into "${http.name}"`;
  const opened = await mountSession(http, digest, fromRepo, call, attempted);
  if (opened.done) return { digest, mounted: true };
  const t: Transfer = {
    http,
    session: opened.session,
    call,
    attempted: `${attempted} (copy through an upload)`,
    resyncs: 0,
  };
  try {
    const source = `get blob "${fromRepo}@${digest}"`;
    const res = await http.send(
      source,
      http.request(
        "GET",
        `${http.baseUrl}/v2/${fromRepo}/blobs/${digest}`,
        call,
      ),
      [200],
    );
    const length = Number(res.headers.get("content-length") ?? NaN);
    const size = Number.isSafeInteger(length) ? length : undefined;
    const verified = (res.body ?? new Response(new Uint8Array(0)).body!)
      .pipeThrough(
        new DigestVerifier({ digest, size, attempted: `verify ${source}` }),
      );
    await putWhole(t, { kind: "stream", stream: verified }, digest, {
      verify: false,
    });
  } catch (err) {
    await cancelSession(http, t.session.location);
    throw err;
  }
  return { digest, mounted: false };
}

/**
 * Deletes a blob (`DELETE /v2/<name>/blobs/<digest>`).
 *
 * @internal Plumbing of `RegistryClientV2.deleteBlob`.
 * @param http The repository's request plumbing.
 * @param digest The blob's digest.
 * @param call Cancellation.
 * @returns When the registry has accepted the delete.
 * @throws {NotFoundError} When the blob is not there.
 */
export async function deleteBlob(
  http: RepoHttp,
  digest: string,
  call: CallOptions = {},
): Promise<void> {
  parseDigest(digest);
  const res = await http.send(
    `delete blob "${http.name}${refSuffix(digest)}"`,
    http.request("DELETE", http.url(`blobs/${digest}`), call),
    [200, 202, 204],
  );
  await res.body?.cancel();
}
