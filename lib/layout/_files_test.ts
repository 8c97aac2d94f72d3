// A file read as a verified stream: read ahead in large reads, handed out
// as fresh chunks to a default reader (fetch) and copied into a BYOB
// reader's buffers, a window of the file (an archive member), and the
// digest and size checked at the end.

import { assert, assertEquals, assertRejects } from "@std/assert";
import { concat } from "@std/bytes/concat";
import { digestOf } from "../ref/digest.ts";
import { DigestMismatchError, SizeMismatchError } from "../errors.ts";
import {
  FILE_CHUNK,
  openRead,
  READ_AHEAD,
  verifiedFileStream,
} from "./_files.ts";
import type { ReadHandle } from "./_read_handle.ts";

/** Bytes that differ at every offset within a few MiB. */
function pattern(size: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 7 + (i >>> 11)) & 0xff;
  return bytes;
}

/** A file holding `bytes`, opened; the reads it was asked for are counted. */
async function withFile(
  bytes: Uint8Array,
  fn: (file: ReadHandle & { reads: number[]; closed: boolean }) => Promise<
    void
  >,
): Promise<void> {
  const path = await Deno.makeTempFile({ prefix: "files-test-" });
  try {
    await Deno.writeFile(path, bytes);
    const inner = await openRead(path);
    const file = {
      reads: [] as number[],
      closed: false,
      read(
        buffer: Uint8Array,
        offset: number,
        length: number,
        position?: number | null,
      ) {
        file.reads.push(length);
        return inner.read(buffer, offset, length, position);
      },
      stat: () => inner.stat(),
      close() {
        file.closed = true;
        return inner.close();
      },
    };
    await fn(file);
  } finally {
    await Deno.remove(path);
  }
}

Deno.test("verifiedFileStream() reads the file in large reads and gives a default reader fresh chunks of at most FILE_CHUNK bytes", async () => {
  const bytes = pattern(3 * READ_AHEAD + 12_345);
  await withFile(bytes, async (file) => {
    const stream = verifiedFileStream(file, {
      digest: digestOf(bytes),
      size: bytes.byteLength,
      attempted: "read a blob",
    });
    const chunks: Uint8Array[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    // Every chunk kept as it came: none was overwritten by a later read.
    assertEquals(concat(chunks), bytes);
    assert(chunks.every((c) => c.byteLength <= FILE_CHUNK));
    assertEquals(new Set(chunks.map((c) => c.buffer)).size, chunks.length);
    // Four reads of READ_AHEAD bytes (the last one short) and the one at
    // the end: not one read per chunk.
    assertEquals(file.reads.slice(0, 4), Array(4).fill(READ_AHEAD));
    assert(file.reads.length <= 5, `${file.reads.length} reads`);
    assert(file.closed);
  });
});

Deno.test("verifiedFileStream() fills a BYOB reader's buffers, small or large, with the bytes in order", async () => {
  const bytes = pattern(2 * READ_AHEAD + 999);
  await withFile(bytes, async (file) => {
    const reader = verifiedFileStream(file, {
      digest: digestOf(bytes),
      attempted: "read a blob",
    }).getReader({ mode: "byob" });
    const got: Uint8Array[] = [];
    // Small, then large (read straight into it), then odd sizes.
    const sizes = [1000, READ_AHEAD * 2, 4096, 77_777];
    for (let i = 0;; i++) {
      const { done, value } = await reader.read(
        new Uint8Array(sizes[i % sizes.length]),
      );
      if (done) break;
      got.push(value.slice());
    }
    assertEquals(concat(got), bytes);
    assert(file.closed);
  });
});

Deno.test("verifiedFileStream() reads only the window asked for", async () => {
  const bytes = pattern(READ_AHEAD + 5000);
  const start = 512;
  const length = READ_AHEAD + 1000;
  const window = bytes.subarray(start, start + length);
  await withFile(bytes, async (file) => {
    const stream = verifiedFileStream(file, {
      digest: digestOf(window),
      size: length,
      attempted: "read an archive member",
      start,
      length,
    });
    assertEquals(
      new Uint8Array(await new Response(stream).arrayBuffer()),
      window,
    );
  });
});

Deno.test("verifiedFileStream() fails with a typed error when the file is not the content asked for, and closes it", async () => {
  const bytes = pattern(READ_AHEAD + 10);
  await withFile(bytes, async (file) => {
    const stream = verifiedFileStream(file, {
      digest: digestOf(new Uint8Array(1)),
      attempted: "read a blob",
    });
    await assertRejects(
      () => new Response(stream).arrayBuffer(),
      DigestMismatchError,
    );
    assert(file.closed);
  });
  await withFile(bytes, async (file) => {
    const stream = verifiedFileStream(file, {
      digest: digestOf(bytes),
      size: 100,
      attempted: "read a blob",
    });
    await assertRejects(
      () => new Response(stream).arrayBuffer(),
      SizeMismatchError,
    );
    assert(file.closed);
  });
});

Deno.test("verifiedFileStream() closes the file when its reader cancels", async () => {
  const bytes = pattern(2 * READ_AHEAD);
  await withFile(bytes, async (file) => {
    const reader = verifiedFileStream(file, {
      digest: digestOf(bytes),
      attempted: "read a blob",
    }).getReader();
    await reader.read();
    await reader.cancel();
    assert(file.closed);
  });
});
