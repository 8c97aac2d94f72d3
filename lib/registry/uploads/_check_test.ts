import { assertEquals, assertThrows } from "@std/assert";
import { digestOf } from "../../ref/digest.ts";
import { DigestMismatchError, SizeMismatchError } from "../../errors.ts";
import { UploadCheck } from "./_check.ts";

const encoder = new TextEncoder();
const HELLO = encoder.encode("hello world");
const DIGEST = digestOf(HELLO);

/** Feeds `chunks` through a check; returns what `finish` gives. */
function run(check: UploadCheck, chunks: Uint8Array[]): string | undefined {
  let end = 0;
  for (const chunk of chunks) {
    end += chunk.byteLength;
    check.update(chunk, end);
  }
  return check.finish(end);
}

const halves = [HELLO.subarray(0, 5), HELLO.subarray(5)];

Deno.test("UploadCheck verifies a digest given (with the size) through ContentVerifier", async (t) => {
  await t.step("a match returns the digest", () => {
    const check = new UploadCheck({
      verify: DIGEST,
      expectedSize: 11,
      attempted: "push blob",
    });
    assertEquals(run(check, halves), DIGEST);
  });
  await t.step("another digest", () => {
    const other = digestOf("other");
    const check = new UploadCheck({ verify: other, attempted: "push blob" });
    assertThrows(
      () => run(check, halves),
      DigestMismatchError,
      `Cannot push blob: digest mismatch, expected ${other} but got ${DIGEST}`,
    );
  });
  await t.step("too many bytes fail at once", () => {
    const check = new UploadCheck({
      verify: DIGEST,
      expectedSize: 6,
      attempted: "push blob",
    });
    check.update(halves[0], 5);
    assertThrows(
      () => check.update(halves[1], 11),
      SizeMismatchError,
      "expected 6 bytes but got 11",
    );
  });
});

Deno.test("UploadCheck computes a digest not known, checking the size given", async (t) => {
  await t.step("the digest computed", () => {
    const check = new UploadCheck({ hash: "sha512", attempted: "push blob" });
    assertEquals(run(check, halves), digestOf(HELLO, "sha512"));
  });
  await t.step("too few bytes fail at the end", () => {
    const check = new UploadCheck({
      hash: "sha256",
      expectedSize: 12,
      attempted: "push blob",
    });
    assertThrows(
      () => run(check, halves),
      SizeMismatchError,
      "expected 12 bytes but got 11",
    );
  });
  await t.step("too many bytes fail at once", () => {
    const check = new UploadCheck({ expectedSize: 4, attempted: "push blob" });
    assertThrows(
      () => check.update(halves[0], 5),
      SizeMismatchError,
      "expected 4 bytes but got 5",
    );
  });
  await t.step("neither digest nor hash: the size only", () => {
    const check = new UploadCheck({ expectedSize: 11, attempted: "push blob" });
    assertEquals(run(check, halves), undefined);
  });
});
