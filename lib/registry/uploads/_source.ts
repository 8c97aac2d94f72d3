// Private: what a blob upload reads. A `BlobSource` (bytes, a `Blob`, a file
// by path or URL, a function that opens a stream, a stream) becomes
// `Content`, which can be opened again from an offset (except a stream),
// hashed before the upload, and turned into request bodies.

import { type FileHandle, open, stat } from "node:fs/promises";
import type { BlobSource } from "../options.ts";
import {
  type DigestAlgorithm,
  DigestHasher,
  digestOf,
} from "../../ref/digest.ts";

/**
 * Bodies up to this size are sent from memory, replayable after a 401 (the
 * transport keeps copies of those); bigger ones are streamed without copies.
 */
const REPLAYABLE_BODY_MAX = 1024 * 1024;
/** In-memory blobs up to this size try a single-request `POST ?digest=`. */
export const SINGLE_POST_MAX = 64 * 1024;
/** Pieces of a large in-memory body handed to fetch. */
const STREAM_PIECE = 1024 * 1024;
/** The buffer a file is hashed through. */
const HASH_BUFFER_SIZE = 1024 * 1024;

/** The content, normalised: what can be read again from an offset, and a stream. */
export type Content =
  | { kind: "bytes"; bytes: Uint8Array; size: number }
  | { kind: "blob"; blob: Blob; size: number }
  | { kind: "file"; path: string | URL; size: number }
  | {
    kind: "open";
    open: () => Promise<ReadableStream<Uint8Array>>;
    size?: number;
  }
  | { kind: "stream"; stream: ReadableStream<Uint8Array>; size?: undefined };

export async function toContent(source: BlobSource): Promise<Content> {
  if (source instanceof Uint8Array) {
    return { kind: "bytes", bytes: source, size: source.byteLength };
  }
  if (source instanceof ReadableStream) {
    return { kind: "stream", stream: source };
  }
  if (typeof source === "function") return { kind: "open", open: source };
  if (source instanceof Blob) {
    if (source.size <= SINGLE_POST_MAX) {
      const bytes = new Uint8Array(await source.arrayBuffer());
      return { kind: "bytes", bytes, size: bytes.byteLength };
    }
    return { kind: "blob", blob: source, size: source.size };
  }
  if (typeof source === "string" || source instanceof URL) {
    const info = await stat(source);
    if (!info.isFile()) {
      throw new TypeError(`Cannot upload "${String(source)}": not a file`);
    }
    return { kind: "file", path: source, size: info.size };
  }
  throw new TypeError(
    "A blob source must be a ReadableStream, a function that opens one, a Uint8Array, a Blob, a file path or a file URL",
  );
}

/** A stream of the content from `offset` on; a file is closed at its end or on cancel. */
export async function openAt(
  content: Content,
  offset: number,
): Promise<ReadableStream<Uint8Array>> {
  switch (content.kind) {
    case "bytes":
      return bytesStream(content.bytes.subarray(offset));
    case "blob":
      return content.blob.slice(offset).stream();
    case "file":
      return fileStream(await open(content.path, "r"), offset);
    case "open": {
      const stream = await content.open();
      return offset > 0 ? skipBytes(stream, offset) : stream;
    }
    case "stream":
      if (offset !== 0) throw new RangeError("a stream cannot be re-read");
      return content.stream;
  }
}

/** The stream without its first `count` bytes (read and dropped). */
function skipBytes(
  stream: ReadableStream<Uint8Array>,
  count: number,
): ReadableStream<Uint8Array> {
  const reader = stream.getReader();
  let left = count;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return controller.close();
        if (left >= value.byteLength) {
          left -= value.byteLength;
          continue;
        }
        controller.enqueue(left > 0 ? value.subarray(left) : value);
        left = 0;
        return;
      }
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
}

/**
 * An open file as a byte stream from `position` on; the file is closed at
 * its end, on error and on cancel.
 */
function fileStream(
  file: FileHandle,
  position: number,
): ReadableStream<Uint8Array> {
  let closed = false;
  const close = async () => {
    if (!closed) {
      closed = true;
      await file.close().catch(() => {});
    }
  };
  return new ReadableStream({
    type: "bytes",
    autoAllocateChunkSize: STREAM_PIECE,
    async pull(controller) {
      try {
        const request = controller.byobRequest!;
        const view = request.view!;
        const { bytesRead } = await file.read(
          new Uint8Array(view.buffer, view.byteOffset, view.byteLength),
          0,
          view.byteLength,
          position,
        );
        if (bytesRead === 0) {
          await close();
          controller.close();
          request.respond(0);
          return;
        }
        position += bytesRead;
        request.respond(bytesRead);
      } catch (err) {
        await close();
        throw err;
      }
    },
    cancel: close,
  });
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
export async function hashContent(
  content: Content,
  algorithm: DigestAlgorithm,
  signal: AbortSignal | undefined,
): Promise<string> {
  if (content.kind === "bytes") return digestOf(content.bytes, algorithm);
  const hasher = new DigestHasher(algorithm);
  if (content.kind === "file") {
    const file = await open(content.path, "r");
    try {
      const buffer = new Uint8Array(HASH_BUFFER_SIZE);
      for (;;) {
        signal?.throwIfAborted();
        const { bytesRead } = await file.read(buffer, 0, buffer.byteLength);
        if (bytesRead === 0) break;
        hasher.update(buffer.subarray(0, bytesRead));
      }
    } finally {
      await file.close();
    }
    return hasher.digest();
  }
  await readEach(
    await openAt(content, 0),
    signal,
    (chunk) => hasher.update(chunk),
  );
  return hasher.digest();
}

/** Reads a stream to its end, chunk by chunk; cancels it on failure. */
async function readEach(
  stream: ReadableStream<Uint8Array>,
  signal: AbortSignal | undefined,
  onChunk: (chunk: Uint8Array) => void,
): Promise<void> {
  const reader = stream.getReader();
  try {
    for (;;) {
      signal?.throwIfAborted();
      const { done, value } = await reader.read();
      if (done) return;
      onChunk(value);
    }
  } catch (err) {
    await reader.cancel(err).catch(() => {});
    throw err;
  } finally {
    reader.releaseLock();
  }
}

/** The size of a stream, read through to its end (nothing is kept). */
export async function countStream(
  stream: ReadableStream<Uint8Array>,
  signal: AbortSignal | undefined,
): Promise<number> {
  let size = 0;
  await readEach(stream, signal, (chunk) => size += chunk.byteLength);
  return size;
}

/** A body for fetch: small bytes as they are (replayable), big ones streamed. */
export function bodyOf(
  bytes: Uint8Array,
): Uint8Array | ReadableStream<Uint8Array> {
  return bytes.byteLength <= REPLAYABLE_BODY_MAX ? bytes : bytesStream(bytes);
}

/** Releases a stream source that will not be read (or failed). */
export async function cancelStream(
  content: Content,
  reason?: unknown,
): Promise<void> {
  if (content.kind !== "stream") return;
  try {
    await content.stream.cancel(reason);
  } catch {
    // Locked (being read) or already closed: nothing to release.
  }
}
