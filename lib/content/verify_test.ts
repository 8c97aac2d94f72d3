import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { DigestMismatchError, SizeMismatchError } from "../errors.ts";
import { digestOf } from "../ref/digest.ts";
import {
  ContentVerifier,
  isVerified,
  markVerified,
  verifyingStream,
} from "./verify.ts";

const bytes = new TextEncoder().encode("hello world");
const digest = digestOf(bytes);

Deno.test("ContentVerifier accepts matching content and returns its digest", () => {
  const v = new ContentVerifier({ digest, size: 11 });
  v.update(bytes.subarray(0, 5));
  v.update(bytes.subarray(5));
  assertEquals(v.bytes, 11);
  assertEquals(v.finish(), digest);
  assert(v.finished);
});

Deno.test("ContentVerifier refuses one byte too many at once", () => {
  const v = new ContentVerifier({ digest, size: 10, attempted: "read x" });
  const err = assertThrows(() => v.update(bytes), SizeMismatchError);
  assertEquals(err.message.startsWith("Cannot read x"), true);
});

Deno.test("ContentVerifier refuses too few bytes and another digest at the end", () => {
  const short = new ContentVerifier({ digest, size: 11 });
  short.update(bytes.subarray(0, 3));
  assertThrows(() => short.finish(), SizeMismatchError);
  const other = new ContentVerifier({ digest });
  other.update(new TextEncoder().encode("hello there"));
  assertThrows(() => other.finish(), DigestMismatchError);
});

Deno.test("verifyingStream passes good content through, by default and BYOB readers", async () => {
  const s = verifyingStream(new Blob([bytes]).stream(), { digest, size: 11 });
  assert(isVerified(s, digest));
  assertEquals(new Uint8Array(await new Response(s).arrayBuffer()), bytes);
  const b = verifyingStream(
    ReadableStream.from([bytes.slice(0, 4), bytes.slice(4)]),
    { digest },
  );
  const reader = b.getReader({ mode: "byob" });
  let got = new Uint8Array(0);
  for (;;) {
    const { done, value } = await reader.read(new Uint8Array(3));
    if (done) break;
    got = new Uint8Array([...got, ...value]);
  }
  assertEquals(got, bytes);
});

Deno.test("verifyingStream errors instead of ending on a mismatch, and cancels its source", async () => {
  let cancelled = false;
  const source = new ReadableStream<Uint8Array>({
    pull(c) {
      c.enqueue(new TextEncoder().encode("hello there"));
      c.close();
    },
    cancel() {
      cancelled = true;
    },
  });
  const s = verifyingStream(source, { digest });
  await assertRejects(() => new Response(s).arrayBuffer(), DigestMismatchError);
  const big = verifyingStream(
    new ReadableStream({
      pull(c) {
        c.enqueue(new Uint8Array(100));
      },
      cancel() {
        cancelled = true;
      },
    }),
    { digest, size: 11 },
  );
  await assertRejects(() => new Response(big).arrayBuffer(), SizeMismatchError);
  assert(cancelled);
});

Deno.test("isVerified() is true only for the digest a stream was marked with", () => {
  const s = markVerified(new Blob([bytes]).stream(), digest);
  assert(isVerified(s, digest));
  assert(!isVerified(s, digestOf("other")));
  assert(!isVerified(new Blob([bytes]).stream(), digest));
});
