// Private: a file opened for reading, the few calls the stores make of it
// (`read` at a position, `stat`, `close`), on Deno's own files when the code
// runs in Deno and on `node:fs` elsewhere. Deno's `node:fs` reads go through
// a slower path: with four blobs read at once (a push of an image from a
// layout) they cost twice the CPU of `Deno.FsFile.read`. A regular file is
// read with `readSync`: its bytes come from the page cache in tens of
// microseconds, where each `read` hops to a worker thread and back (with
// four blobs pushed at once, 6% of the CPU). Anything else (a FIFO, a
// device) is read asynchronously, so that a read that waits cannot stop the
// event loop, its timeouts and Ctrl-C.

import { type FileHandle, open } from "node:fs/promises";

/** What a read handle's `stat` tells. */
export interface ReadHandleInfo {
  /** The size in bytes. */
  size: number;
  /** The inode and device (to tell a file swapped under a path). */
  ino: number | null;
  dev: number | null;
  /** Whether it is a regular file. */
  isFile(): boolean;
}

/** A file opened for reading. */
export interface ReadHandle {
  /**
   * Reads up to `length` bytes at `position` into `buffer` from `offset`;
   * `bytesRead` is 0 at the end.
   */
  read(
    buffer: Uint8Array,
    offset: number,
    length: number,
    position?: number | null,
  ): Promise<{ bytesRead: number }>;
  /** The file's size, identity and type. */
  stat(): Promise<ReadHandleInfo>;
  /** Closes it; later calls do nothing. */
  close(): Promise<void>;
}

/** Deno's file, positioned lazily (a seek only when a read asks elsewhere). */
class DenoReadHandle implements ReadHandle {
  readonly #file: Deno.FsFile;
  #at = 0;
  #closed = false;
  /** Whether it is a regular file (read synchronously); known at the first read. */
  #regular?: boolean;

  constructor(file: Deno.FsFile) {
    this.#file = file;
  }

  async read(
    buffer: Uint8Array,
    offset: number,
    length: number,
    position?: number | null,
  ): Promise<{ bytesRead: number }> {
    if (position !== undefined && position !== null && position !== this.#at) {
      await this.#file.seek(position, Deno.SeekMode.Start);
      this.#at = position;
    }
    this.#regular ??= (await this.#file.stat()).isFile;
    const into = buffer.subarray(offset, offset + length);
    const n = this.#regular
      ? this.#file.readSync(into)
      : await this.#file.read(into);
    if (n === null) return { bytesRead: 0 };
    this.#at += n;
    return { bytesRead: n };
  }

  async stat(): Promise<ReadHandleInfo> {
    const info = await this.#file.stat();
    return {
      size: info.size,
      ino: info.ino,
      dev: info.dev,
      isFile: () => info.isFile,
    };
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      try {
        this.#file.close();
      } catch { /* already closed */ }
    }
    return Promise.resolve();
  }
}

/**
 * Opens a file for reading (links followed: callers that must not follow
 * one check with `lstat` before and compare identities after).
 *
 * @param path The file.
 * @param flags For `node:fs`: open flags (`O_RDONLY | O_NOFOLLOW`).
 * @returns The handle.
 * @throws The file-system error (`ENOENT`, `ELOOP` …; Deno's errors carry the
 * same `code`).
 */
export async function openReadHandle(
  path: string,
  flags?: number,
): Promise<ReadHandle> {
  if (typeof Deno !== "undefined" && typeof Deno.open === "function") {
    return new DenoReadHandle(await Deno.open(path, { read: true }));
  }
  return await open(path, flags ?? "r");
}

/** Writes all of `chunk` to a `node:fs` file. */
export async function writeAll(
  file: FileHandle,
  chunk: Uint8Array,
): Promise<void> {
  let off = 0;
  while (off < chunk.byteLength) {
    const { bytesWritten } = await file.write(
      chunk,
      off,
      chunk.byteLength - off,
    );
    off += bytesWritten;
  }
}

/** A file created for writing. */
export interface WriteHandle {
  /** Writes all of `chunk`. */
  writeAll(chunk: Uint8Array): Promise<void>;
  /** Closes it; later calls do nothing. */
  close(): Promise<void>;
}

/**
 * Creates a new file for writing (it must not exist: `wx`), on Deno's own
 * files in Deno (its `node:fs` writes go through a slower path), on
 * `node:fs` elsewhere. Errors carry the usual `code` (`EEXIST`, `ENOSPC` …).
 */
export async function createWriteHandle(
  path: string,
  mode = 0o644,
): Promise<WriteHandle> {
  if (typeof Deno !== "undefined" && typeof Deno.open === "function") {
    const file = await Deno.open(path, { write: true, createNew: true, mode });
    let closed = false;
    return {
      async writeAll(chunk) {
        let off = 0;
        while (off < chunk.byteLength) {
          off += await file.write(chunk.subarray(off));
        }
      },
      close() {
        if (!closed) {
          closed = true;
          try {
            file.close();
          } catch { /* already closed */ }
        }
        return Promise.resolve();
      },
    };
  }
  const file = await open(path, "wx", mode);
  let closed = false;
  return {
    writeAll: (chunk) => writeAll(file, chunk),
    async close() {
      if (!closed) {
        closed = true;
        await file.close();
      }
    },
  };
}
