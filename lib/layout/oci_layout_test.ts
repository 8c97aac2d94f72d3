import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertStringIncludes,
} from "@std/assert";
import { digestOf } from "../ref/digest.ts";
import {
  DigestMismatchError,
  InvalidDigestError,
  isNotFound,
  SizeMismatchError,
} from "../errors.ts";
import { MEDIA_TYPE } from "../ref/media_types.ts";
import {
  OciLayout,
  OciLayoutError,
  REF_NAME_ANNOTATION,
  type WrittenLayoutBlob,
} from "./oci_layout.ts";
import { hashedBytes } from "../../test_support/hashed_bytes.ts";

const enc = new TextEncoder();

async function withTempDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "oci-layout-test-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function streamOf(...chunks: string[]): ReadableStream<Uint8Array> {
  return ReadableStream.from(chunks.map((c) => enc.encode(c)));
}

Deno.test("OciLayout.open() creates a layout in a missing directory", async () => {
  await withTempDir(async (root) => {
    const dir = `${root}/new/layout`;
    await OciLayout.open(dir, { create: true });
    assertEquals(
      JSON.parse(await Deno.readTextFile(`${dir}/oci-layout`)),
      { imageLayoutVersion: "1.0.0" },
    );
    assertEquals(JSON.parse(await Deno.readTextFile(`${dir}/index.json`)), {
      schemaVersion: 2,
      mediaType: MEDIA_TYPE.OCI_INDEX,
      manifests: [],
    });
    assert((await Deno.stat(`${dir}/blobs/sha256`)).isDirectory);
    // Opening again (with or without create) keeps it.
    await OciLayout.open(dir);
    await OciLayout.open(dir, { create: true });
  });
});

Deno.test("OciLayout.open() refuses what is not a layout", async (t) => {
  await withTempDir(async (root) => {
    await t.step("a missing directory without create", async () => {
      const err = await assertRejects(
        () => OciLayout.open(`${root}/missing`),
        OciLayoutError,
      );
      assertEquals(
        err.message,
        `Cannot open OCI layout "${root}/missing": no oci-layout file`,
      );
    });
    await t.step("a directory holding other files", async () => {
      await Deno.mkdir(`${root}/busy`);
      await Deno.writeTextFile(`${root}/busy/notes.txt`, "hi");
      const err = await assertRejects(
        () => OciLayout.open(`${root}/busy`, { create: true }),
        OciLayoutError,
      );
      assertStringIncludes(err.message, `holds "notes.txt"`);
    });
    await t.step("an unknown major version", async () => {
      await Deno.mkdir(`${root}/v2`);
      await Deno.writeTextFile(
        `${root}/v2/oci-layout`,
        '{"imageLayoutVersion":"2.0.0"}',
      );
      const err = await assertRejects(
        () => OciLayout.open(`${root}/v2`),
        OciLayoutError,
      );
      assert(err.message.endsWith('unsupported imageLayoutVersion "2.0.0"'));
    });
  });
});

Deno.test("OciLayout.writeBlob() renames a verified blob into place", async () => {
  await withTempDir(async (dir) => {
    const layout = await OciLayout.open(dir, { create: true });
    const digest = digestOf("hello world");
    const written = await layout.writeBlob(streamOf("hello ", "world"), {
      digest,
      size: 11,
    });
    assertEquals(written, {
      digest,
      size: 11,
      path: `${dir}/blobs/sha256/${digest.slice(7)}`,
      existed: false,
    });
    assertEquals(await Deno.readTextFile(written.path), "hello world");
    assertEquals(await layout.hasBlob(digest), true);
    assertEquals(await layout.hasBlob(digest, 12), false);
    // Already there: the stream is cancelled, nothing is written.
    let cancelled = false;
    const again = await layout.writeBlob(
      new ReadableStream({
        cancel() {
          cancelled = true;
        },
      }),
      { digest, size: 11 },
    );
    assertEquals(again.existed, true);
    assertEquals(cancelled, true);
    // Bytes without a digest: the digest is computed.
    const bytes = await layout.writeBlob(enc.encode("{}"));
    assertEquals(bytes.digest, digestOf("{}"));
  });
});

Deno.test("OciLayout.writeBlob() leaves nothing behind on a mismatch", async (t) => {
  await withTempDir(async (dir) => {
    const layout = await OciLayout.open(dir, { create: true });
    const listing = () =>
      [...Deno.readDirSync(dir)].map((e) => e.name).sort().join(",");
    const before = listing();
    await t.step("wrong digest", async () => {
      await assertRejects(
        () =>
          layout.writeBlob(streamOf("hello"), { digest: digestOf("other") }),
        DigestMismatchError,
      );
    });
    await t.step("wrong size", async () => {
      await assertRejects(
        () =>
          layout.writeBlob(streamOf("hello"), {
            digest: digestOf("hello"),
            size: 4,
          }),
        SizeMismatchError,
      );
    });
    assertEquals(listing(), before);
    assertEquals([...Deno.readDirSync(`${dir}/blobs/sha256`)], []);
  });
});

Deno.test("OciLayout.writeBlob() cancels a stream source when its arguments are refused", async (t) => {
  await withTempDir(async (dir) => {
    const layout = await OciLayout.open(dir, { create: true });
    const cases = [
      ["a malformed digest", { digest: "sha256:nope" }, InvalidDigestError],
      ["an aborted signal", { signal: AbortSignal.abort() }, DOMException],
    ] as const;
    for (const [name, options, errorClass] of cases) {
      await t.step(name, async () => {
        let cancelled: unknown;
        const source = new ReadableStream<Uint8Array>({
          pull: (controller) => controller.enqueue(enc.encode("x")),
          cancel: (reason) => {
            cancelled = reason;
          },
        });
        await assertRejects<Error>(
          () => layout.writeBlob(source, options),
          errorClass,
        );
        assert(cancelled instanceof errorClass);
        assertEquals(source.locked, false);
      });
    }
  });
});

Deno.test("OciLayout.writeBlob() hashes bytes without a digest once", async () => {
  await withTempDir(async (dir) => {
    const layout = await OciLayout.open(dir, { create: true });
    const bytes = new Uint8Array(100_000).fill(7);
    let written: WrittenLayoutBlob | undefined;
    const hashed = await hashedBytes(async () => {
      written = await layout.writeBlob(bytes);
    });
    assertEquals(hashed, bytes.byteLength);
    assertEquals(written?.digest, digestOf(bytes));
    assertEquals(await Deno.readFile(written!.path), bytes);
    const err = await assertRejects(
      () => layout.writeBlob(enc.encode("{}"), { size: 3 }),
      SizeMismatchError,
    );
    assertMatch(err.message, new RegExp(digestOf("{}")));
  });
});

Deno.test("OciLayout.readBlob() verifies the content while it streams", async () => {
  await withTempDir(async (dir) => {
    const layout = await OciLayout.open(dir, { create: true });
    const { digest } = await layout.writeBlob(enc.encode("content"));
    const ok = await layout.readBlob(digest, { size: 7 });
    assertEquals(await new Response(ok).text(), "content");
    // Corrupt the file on disk: the reader sees an error, not the end.
    await Deno.writeTextFile(layout.blobPath(digest), "CONTENT");
    const bad = await layout.readBlob(digest, { size: 7 });
    await assertRejects(() => new Response(bad).text(), DigestMismatchError);
    await assertRejects(
      () => layout.readBlob(digest, { size: 8 }),
      SizeMismatchError,
    );
    const missing = await assertRejects(
      () => layout.readBlob(digestOf("missing")),
      OciLayoutError,
    );
    assertEquals(missing.code, "NOT_FOUND");
    assert(isNotFound(missing));
  });
});

Deno.test("OciLayout.setTag() and resolve() keep one entry per tag", async (t) => {
  await withTempDir(async (dir) => {
    const layout = await OciLayout.open(dir, { create: true });
    const a = await layout.writeBlob(enc.encode('{"schemaVersion":2,"a":1}'));
    const b = await layout.writeBlob(enc.encode('{"schemaVersion":2,"b":1}'));
    const desc = (w: { digest: string; size: number }) => ({
      mediaType: MEDIA_TYPE.OCI_MANIFEST,
      digest: w.digest,
      size: w.size,
    });
    await t.step("without a tag, the only entry", async () => {
      await layout.setTag("v1", desc(a));
      assertEquals((await layout.resolve()).digest, a.digest);
    });
    await t.step("a tag moves to the new manifest", async () => {
      await Promise.all([
        layout.setTag("v2", desc(a)),
        layout.setTag("v1", desc(b)),
      ]);
      assertEquals((await layout.listTags()).sort(), ["v1", "v2"]);
      assertEquals((await layout.resolve("v1")).digest, b.digest);
      assertEquals((await layout.resolve("v2")).digest, a.digest);
      assertEquals(
        (await layout.resolve("v1")).annotations?.[REF_NAME_ANNOTATION],
        "v1",
      );
    });
    await t.step("untagged entries are kept once", async () => {
      await layout.setTag(undefined, desc(b));
      await layout.setTag(undefined, desc(b));
      const index = await layout.readIndex();
      assertEquals(index.manifests.length, 3);
      assertEquals((await layout.resolve(b.digest)).digest, b.digest);
    });
    await t.step("errors name the tags there are", async () => {
      const err = await assertRejects(
        () => layout.resolve("nope"),
        OciLayoutError,
      );
      assertEquals(
        err.message,
        `Cannot find "nope" in OCI layout "${dir}": no such tag (tags: v2, v1)`,
      );
      const noName = await assertRejects(
        () => layout.resolve(),
        OciLayoutError,
      );
      assert(
        noName.message.endsWith("it holds 3 entries: name one (tags: v2, v1)"),
      );
    });
  });
});
