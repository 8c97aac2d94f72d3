import {
  assert,
  assertEquals,
  assertFalse,
  assertRejects,
  assertStringIncludes,
} from "@std/assert";
import { digestOf } from "../ref/digest.ts";
import {
  ContentNotFoundError,
  DigestMismatchError,
  isNotFound,
  StoreError,
} from "../errors.ts";
import { MEDIA_TYPE } from "../ref/media_types.ts";
import { isVerified } from "../content/verify.ts";
import { OciLayout } from "../layout/oci_layout.ts";
import { OciArchive } from "./oci_archive.ts";
import {
  copyInto,
  graphDigests,
  hostile,
  hostileBytes,
  makeImage,
  makeIndex,
  minimalLayout,
  namesIn,
  paxRecords,
  rawTar,
  skopeo,
  withTempDir,
} from "./testdata/fixtures.ts";

const dec = new TextDecoder();

Deno.test("OciArchive: an image pushed into it is what skopeo reads", async () => {
  await withTempDir(async (dir) => {
    const layout = await OciLayout.open(`${dir}/src`, { create: true });
    const img = await makeImage(layout, "1", {
      layers: [{ size: 3000 }, { size: 70_000, gzip: true }],
    });
    const archive = await OciArchive.open(`${dir}/app.tar`, { create: true });
    await copyInto(layout, archive, "1", "1");
    // Nothing is at the destination before close().
    assertFalse(await namesIn(dir).then((n) => n.includes("app.tar")));
    await archive.close();
    assertEquals(await namesIn(dir), ["app.tar", "src"]);

    const raw = await skopeo(
      "inspect",
      "--raw",
      `oci-archive:${dir}/app.tar:1`,
    );
    assertEquals(digestOf(raw), img.descriptor.digest);
    // skopeo copies it out with every digest kept, layers byte for byte.
    await skopeo(
      "copy",
      "--preserve-digests",
      `oci-archive:${dir}/app.tar:1`,
      `oci:${dir}/out:1`,
    );
    const out = await OciLayout.open(`${dir}/out`);
    assertEquals((await out.resolve("1")).digest, img.descriptor.digest);
    for (const layer of img.layers) {
      assertEquals(
        await Deno.readFile(out.blobPath(layer.digest)),
        await Deno.readFile(layout.blobPath(layer.digest)),
      );
    }
  });
});

Deno.test("OciArchive reads what skopeo writes, every blob verified", async () => {
  await withTempDir(async (dir) => {
    const layout = await OciLayout.open(`${dir}/src`, { create: true });
    await makeImage(layout, "1", { layers: [{ size: 2000 }, { size: 9000 }] });
    await skopeo("copy", `oci:${dir}/src:1`, `oci-archive:${dir}/s.tar:1`);
    const want = digestOf(
      await skopeo("inspect", "--raw", `oci-archive:${dir}/s.tar:1`),
    );

    const archive = await OciArchive.open(`${dir}/s.tar`, { reference: "1" });
    assertEquals(await archive.listTags(), ["1"]);
    const root = await archive.resolve();
    assertEquals(root.digest, want);
    const { manifest, bytes } = await archive.fetchManifest("1");
    assertEquals(digestOf(bytes), want);
    assert("layers" in manifest);
    for (const d of [manifest.config, ...manifest.layers]) {
      assert(await archive.exists(d));
      const stream = await archive.fetch(d);
      assert(isVerified(stream, d.digest));
      const got = await new Response(stream).bytes();
      assertEquals(digestOf(got), d.digest);
    }
    // Reading extracted nothing and staged nothing.
    await archive.close();
    assertEquals(await namesIn(dir), ["s.tar", "src"]);
  });
});

Deno.test("OciArchive keeps a two-platform index and every digest", async () => {
  await withTempDir(async (dir) => {
    const layout = await OciLayout.open(`${dir}/src`, { create: true });
    const { descriptor } = await makeIndex(layout, "multi");
    const want = await graphDigests(layout, "multi");
    assertEquals(want.length, 1 + 2 + 2 + 3);

    const archive = await OciArchive.open(`${dir}/m.tar`, { create: true });
    await copyInto(layout, archive, "multi", "multi");
    await archive.close();

    const again = await OciArchive.open(`${dir}/m.tar`);
    assertEquals((await again.resolve("multi")).digest, descriptor.digest);
    assertEquals(await graphDigests(again, "multi"), want);
    const raw = await skopeo(
      "inspect",
      "--raw",
      `oci-archive:${dir}/m.tar:multi`,
    );
    assertEquals(digestOf(raw), descriptor.digest);
    await skopeo(
      "copy",
      "--all",
      "--preserve-digests",
      `oci-archive:${dir}/m.tar:multi`,
      `oci:${dir}/out:multi`,
    );
    assertEquals(
      await graphDigests(await OciLayout.open(`${dir}/out`), "multi"),
      want,
    );
  });
});

Deno.test("OciArchive keeps existing tags; a pushed tag replaces one of its name", async () => {
  await withTempDir(async (dir) => {
    const layout = await OciLayout.open(`${dir}/src`, { create: true });
    const a = await makeImage(layout, "a");
    const b = await makeImage(layout, "b");
    const c = await makeImage(layout, "c");
    await skopeo("copy", `oci:${dir}/src:a`, `oci-archive:${dir}/t.tar:keep`);
    const keep = await (await OciArchive.open(`${dir}/t.tar`)).resolve("keep");

    const first = await OciArchive.open(`${dir}/t.tar`, { create: true });
    await copyInto(layout, first, "b", "one");
    // Reads see what is staged before close().
    assertEquals((await first.resolve("one")).digest, b.descriptor.digest);
    await first.close();

    const second = await OciArchive.open(`${dir}/t.tar`, { create: true });
    assertEquals(await second.listTags(), ["keep", "one"]);
    await copyInto(layout, second, "c", "one");
    await copyInto(layout, second, "a", "two");
    await second.close();

    const after = await OciArchive.open(`${dir}/t.tar`);
    assertEquals(await after.listTags(), ["keep", "one", "two"]);
    assertEquals((await after.resolve("keep")).digest, keep.digest);
    assertEquals((await after.resolve("one")).digest, c.descriptor.digest);
    assertEquals((await after.resolve("two")).digest, a.descriptor.digest);
    await graphDigests(after, "keep");
    for (const [tag, img] of [["one", c], ["two", a]] as const) {
      const raw = await skopeo(
        "inspect",
        "--raw",
        `oci-archive:${dir}/t.tar:${tag}`,
      );
      assertEquals(digestOf(raw), img.descriptor.digest);
    }
    // b is still in the archive (as in a layout, nothing is collected).
    assert(await after.exists(b.descriptor));
    assertEquals(await namesIn(dir), ["src", "t.tar"]);
  });
});

Deno.test("OciArchive: tag, delete, referrers, pushBlob and digests as references", async () => {
  await withTempDir(async (dir) => {
    const layout = await OciLayout.open(`${dir}/src`, { create: true });
    const img = await makeImage(layout, "1");
    const archive = await OciArchive.open(`${dir}/x.tar`, { create: true });
    await copyInto(layout, archive, "1", "1");
    await archive.tag(img.descriptor, "latest");
    await assertRejects(
      () => archive.tag({ ...img.descriptor, digest: digestOf("nope") }, "x"),
      ContentNotFoundError,
    );
    // A referrer (an artifact whose subject is the image) is listed untagged.
    const empty = new TextEncoder().encode("{}");
    const emptyD = {
      mediaType: MEDIA_TYPE.OCI_EMPTY,
      digest: digestOf(empty),
      size: 2,
    };
    assertEquals(await archive.push(emptyD, empty), "copied");
    assertEquals(await archive.push(emptyD, empty), "exists");
    const sig = new TextEncoder().encode(JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPE.OCI_MANIFEST,
      artifactType: "application/example.sig",
      config: emptyD,
      layers: [emptyD],
      subject: img.descriptor,
    }));
    const sigD = {
      mediaType: MEDIA_TYPE.OCI_MANIFEST,
      digest: digestOf(sig),
      size: sig.byteLength,
    };
    await archive.push(sigD, sig);
    const blob = await archive.pushBlob(
      ReadableStream.from([new TextEncoder().encode("built")]),
      { mediaType: "text/plain" },
    );
    assertEquals(blob.digest, digestOf("built"));
    await archive.close();
    await archive.close(); // again: nothing

    const again = await OciArchive.open(`${dir}/x.tar`);
    assertEquals(await again.listTags(), ["1", "latest"]);
    const refs = await again.referrers(img.descriptor.digest);
    assertEquals(refs.map((r) => [r.digest, r.artifactType]), [
      [sigD.digest, "application/example.sig"],
    ]);
    assertEquals(
      await again.referrers(img.descriptor.digest, { artifactType: "x" }),
      [],
    );
    assertEquals(
      (await again.resolve(img.descriptor.digest)).digest,
      img.descriptor.digest,
    );
    assert(await again.exists(blob));
    await assertRejects(() => again.resolve("nope"), ContentNotFoundError);
    await assertRejects(
      () => again.resolve(),
      StoreError,
      "name one (tags: 1, latest)",
    );

    // Deleting a tag and a manifest, then closing, rewrites the archive.
    const edit = await OciArchive.open(`${dir}/x.tar`);
    await edit.delete("latest");
    await edit.delete(sigD);
    assertFalse(await edit.exists(sigD));
    await edit.close();
    const last = await OciArchive.open(`${dir}/x.tar`);
    assertEquals(await last.listTags(), ["1"]);
    assertEquals(await last.referrers(img.descriptor.digest), []);
    assertFalse(await last.exists(sigD));
    await graphDigests(last, "1");
    await skopeo("inspect", "--raw", `oci-archive:${dir}/x.tar:1`);
  });
});

Deno.test("OciArchive: a failed write leaves no archive and no staging directory", async (t) => {
  await withTempDir(async (dir) => {
    const layout = await OciLayout.open(`${dir}/src`, { create: true });
    const img = await makeImage(layout, "1");
    const layer = img.layers[0];

    await t.step("a digest mismatch, then discard()", async () => {
      const archive = await OciArchive.open(`${dir}/a.tar`, { create: true });
      await archive.push(layer, await layout.fetch(layer));
      assert((await namesIn(dir)).some((n) => n.startsWith(".a.tar.staging")));
      await assertRejects(
        () =>
          archive.push(
            { ...img.layers[1], digest: digestOf("other") },
            ReadableStream.from([new Uint8Array(img.layers[1].size)]),
          ),
        DigestMismatchError,
      );
      await archive.discard();
      assertEquals(await namesIn(dir), ["src"]);
      await assertRejects(
        () => archive.push(layer, new Uint8Array()),
        StoreError,
        "closed",
      );
    });

    await t.step("close() aborted", async () => {
      const archive = await OciArchive.open(`${dir}/b.tar`, { create: true });
      await copyInto(layout, archive, "1", "1");
      const controller = new AbortController();
      controller.abort(new Error("stop"));
      await assertRejects(
        () => archive.close({ signal: controller.signal }),
        Error,
        "stop",
      );
      assertEquals(await namesIn(dir), ["src"]);
    });

    await t.step("close() aborted midway", async () => {
      const big = await makeImage(layout, "big", {
        layers: [{ size: 8 << 20 }, { size: 8 << 20 }],
      });
      const archive = await OciArchive.open(`${dir}/c.tar`, { create: true });
      await copyInto(layout, archive, "big", "big");
      const controller = new AbortController();
      const closing = archive.close({ signal: controller.signal });
      setTimeout(() => controller.abort(new Error("midway")), 5);
      await assertRejects(() => closing, Error, "midway");
      assertEquals(await namesIn(dir), ["src"]);
      assert(big.layers.length === 2);
    });

    await t.step(
      "the old archive's content is corrupt: it stays as it was",
      async () => {
        await skopeo("copy", `oci:${dir}/src:1`, `oci-archive:${dir}/d.tar:1`);
        // Flip a byte inside a layer's content (found by its name).
        const bytes = await Deno.readFile(`${dir}/d.tar`);
        const before = await OciArchive.open(`${dir}/d.tar`);
        const m = (await before.fetchManifest("1")).manifest;
        assert("layers" in m);
        const name = new TextEncoder().encode(
          `blobs/sha256/${m.layers[0].digest.slice(7)}`,
        );
        const at = indexOf(bytes, name) + 512 + 10;
        bytes[at] ^= 0xff;
        await Deno.writeFile(`${dir}/d.tar`, bytes);

        const archive = await OciArchive.open(`${dir}/d.tar`);
        await archive.tag(await archive.resolve("1"), "2");
        await assertRejects(() => archive.close(), DigestMismatchError);
        assertEquals(await Deno.readFile(`${dir}/d.tar`), bytes);
        assertEquals(await namesIn(dir), ["d.tar", "src"]);
        // Reading the corrupt layer fails too.
        const reader = await OciArchive.open(`${dir}/d.tar`);
        await assertRejects(
          () => reader.fetch(m.layers[0]).then((s) => new Response(s).bytes()),
          DigestMismatchError,
        );
      },
    );
  });
});

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i <= haystack.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (haystack[i + j] !== needle[j]) continue outer;
    }
    return i;
  }
  return -1;
}

Deno.test("OciArchive refuses hostile and malformed archives with a StoreError", async (t) => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/in`);
    for (const vector of hostile) {
      await t.step(vector.name, async () => {
        const path = `${dir}/in/archive.tar`;
        await Deno.writeFile(path, hostileBytes(vector));
        for (const create of [false, true]) {
          const err = await assertRejects(
            () => OciArchive.open(path, { create }),
            StoreError,
          );
          assertStringIncludes(err.message, vector.message);
          assertFalse(isNotFound(err));
        }
        assertEquals(await namesIn(dir), ["in"]);
        assertEquals(await namesIn(`${dir}/in`), ["archive.tar"]);
      });
    }
  });
});

Deno.test("OciArchive reads PAX and GNU long names and ./ prefixes", async () => {
  await withTempDir(async (dir) => {
    const { entries, digest } = minimalLayout("content");
    const [layoutFile, index, blob] = entries;
    const bytes = rawTar([
      { name: "./", type: "5" },
      { ...layoutFile, name: "./oci-layout" },
      {
        name: "PaxHeaders/0",
        type: "x",
        content: paxRecords({ path: "index.json" }),
      },
      { ...index, name: "something-else" },
      { name: "././@LongLink", type: "L", content: blob.name + "\0" },
      { ...blob, name: "truncated-name" },
      { name: "global", type: "g", content: paxRecords({ comment: "hi" }) },
    ]);
    await Deno.writeFile(`${dir}/p.tar`, bytes);
    const archive = await OciArchive.open(`${dir}/p.tar`);
    const d = { mediaType: "text/plain", digest, size: 7 };
    assert(await archive.exists(d));
    assertEquals(
      dec.decode(await new Response(await archive.fetch(d)).bytes()),
      "content",
    );
    await assertRejects(() => archive.resolve(), ContentNotFoundError, "empty");
  });
});

Deno.test("OciArchive.open() without create: missing file, or not an OCI archive", async () => {
  await withTempDir(async (dir) => {
    const err = await assertRejects(
      () => OciArchive.open(`${dir}/none.tar`),
      StoreError,
    );
    assert(isNotFound(err));
    await Deno.writeFile(
      `${dir}/d.tar`,
      rawTar([{ name: "manifest.json", content: "[]" }]),
    );
    await assertRejects(
      () => OciArchive.open(`${dir}/d.tar`, { create: true }),
      StoreError,
      "no oci-layout",
    );
    await Deno.writeFile(
      `${dir}/v.tar`,
      rawTar([{
        name: "oci-layout",
        content: '{"imageLayoutVersion":"2.0.0"}',
      }]),
    );
    await assertRejects(
      () => OciArchive.open(`${dir}/v.tar`),
      StoreError,
      "2.0.0",
    );
    // A new archive that is never written to is never created.
    const archive = await OciArchive.open(`${dir}/new.tar`, { create: true });
    assertEquals(await archive.listTags(), []);
    await archive.close();
    assertEquals(await namesIn(dir), ["d.tar", "v.tar"]);
  });
});
