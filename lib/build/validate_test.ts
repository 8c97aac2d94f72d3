// validate(): a whole image passes; a blob deleted, corrupted or truncated
// (in an OCI layout on disk, or in the real registry's storage) and a
// manifest missing from an index are each reported by digest, with the
// manifest that lists them; a config whose diff_ids do not match its layers
// is invalid.

import { assert, assertEquals } from "@std/assert";
import { join } from "@std/path/posix/join";
import { OciLayout } from "../layout/oci_layout.ts";
import { MemoryStore } from "../content/memory_store.ts";
import { copy } from "../content/copy.ts";
import { RegistryStore } from "../registry/store.ts";
import { MEDIA_TYPE } from "../ref/media_types.ts";
import { startRegistry } from "../../test_support/real_registry.ts";
import { validate, type ValidationReport } from "./validate.ts";
import { seedImage, seedIndex, sha256 } from "./testdata/seed.ts";

function kinds(report: ValidationReport): Record<string, string> {
  return Object.fromEntries(
    report.problems.map((p) => [p.descriptor.digest, p.kind]),
  );
}

function blobFile(dir: string, digest: string): string {
  return join(dir, "blobs", "sha256", digest.slice("sha256:".length));
}

async function flipByte(path: string, at: number): Promise<void> {
  const bytes = await Deno.readFile(path);
  bytes[at] ^= 0xff;
  await Deno.chmod(path, 0o644).catch(() => {});
  await Deno.writeFile(path, bytes);
}

Deno.test("validate() reports deleted, corrupted and truncated blobs of an OCI layout by digest", async () => {
  const dir = await Deno.makeTempDir({ prefix: "validate-layout-" });
  try {
    const layout = await OciLayout.open(dir, { create: true });
    const image = await seedImage(layout, {
      tag: "1",
      files: { a: "aaaa", b: "bbbb", c: "cccc" },
    });
    const whole = await validate(layout, { reference: "1" });
    assertEquals(whole.ok, true, JSON.stringify(whole.problems));
    assertEquals(whole.manifests, 1);
    assertEquals(whole.blobs, 4);
    assertEquals(whole.descriptor.digest, image.descriptor.digest);

    const [deleted, corrupted, truncated] = image.layers;
    await Deno.remove(blobFile(dir, deleted.digest));
    await flipByte(blobFile(dir, corrupted.digest), 20);
    const t = blobFile(dir, truncated.digest);
    await Deno.chmod(t, 0o644).catch(() => {});
    await Deno.truncate(t, truncated.size - 3);

    const report = await validate(
      await OciLayout.open(dir, { verifyExisting: false }),
      { reference: "1" },
    );
    assertEquals(report.ok, false);
    assertEquals(kinds(report), {
      [deleted.digest]: "missing",
      [corrupted.digest]: "digest-mismatch",
      [truncated.digest]: "size-mismatch",
    });
    for (const p of report.problems) {
      assertEquals(p.parent, image.descriptor.digest);
      assertEquals(p.role, "layer");
      assert(p.message.includes(p.descriptor.digest), p.message);
    }
    const corrupt = report.problems.find((p) => p.kind === "digest-mismatch")!;
    assertEquals(corrupt.expected, corrupted.digest);
    const short = report.problems.find((p) => p.kind === "size-mismatch")!;
    assertEquals([short.expected, short.actual], [
      truncated.size,
      truncated.size - 3,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("validate() walks an index: a missing platform manifest is reported, its siblings checked", async () => {
  const dir = await Deno.makeTempDir({ prefix: "validate-index-" });
  try {
    const layout = await OciLayout.open(dir, { create: true });
    const seeded = await seedIndex(layout, {
      tag: "1",
      platforms: [
        { os: "linux", architecture: "amd64" },
        { os: "linux", architecture: "arm64" },
      ],
    });
    assertEquals((await validate(layout)).ok, true);
    const gone = seeded.images[1].descriptor;
    await Deno.remove(blobFile(dir, gone.digest));
    const report = await validate(layout, { reference: "1" });
    assertEquals(report.problems.length, 1);
    assertEquals(report.problems[0].kind, "missing");
    assertEquals(report.problems[0].descriptor.digest, gone.digest);
    assertEquals(report.problems[0].role, "manifest");
    assertEquals(report.problems[0].parent, seeded.descriptor.digest);
    assertEquals(report.manifests, 3);
    assertEquals(report.blobs, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("validate() reports a config whose diff_ids do not match the layers", async () => {
  const store = new MemoryStore();
  const image = await seedImage(store, { files: { a: "a", b: "b" } });
  const config = new TextEncoder().encode(JSON.stringify({
    ...image.configJson,
    rootfs: { type: "layers", diff_ids: [] },
  }));
  const configD = {
    mediaType: MEDIA_TYPE.OCI_CONFIG,
    digest: sha256(config),
    size: config.byteLength,
  };
  await store.push(configD, config);
  const manifest = new TextEncoder().encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.OCI_MANIFEST,
    config: configD,
    layers: image.layers,
  }));
  await store.push(
    {
      mediaType: MEDIA_TYPE.OCI_MANIFEST,
      digest: sha256(manifest),
      size: manifest.byteLength,
    },
    manifest,
    { tag: "bad" },
  );
  const report = await validate(store, { reference: "bad" });
  assertEquals(report.problems.map((p) => [p.kind, p.descriptor.digest]), [
    ["invalid", configD.digest],
  ]);
  assertEquals([report.problems[0].expected, report.problems[0].actual], [
    2,
    0,
  ]);
});

Deno.test("validate() against the real registry: a blob deleted (DELETE) and one corrupted in its storage", async () => {
  await using reg = await startRegistry({ mode: "anonymous" });
  const mem = new MemoryStore();
  const image = await seedImage(mem, {
    tag: "1",
    files: { a: "a1", b: "b2", c: "c3" },
  });
  const store = new RegistryStore(`${reg.url}/validate/app:1`, {
    access: "push",
  });
  try {
    await copy(mem, store, { reference: "1" });
    const whole = await validate(store);
    assertEquals(whole.ok, true, JSON.stringify(whole.problems));

    const [deleted, corrupted] = image.layers;
    await store.delete(deleted);
    const hex = corrupted.digest.slice("sha256:".length);
    await flipByte(
      join(
        reg.dir,
        "data/docker/registry/v2/blobs/sha256",
        hex.slice(0, 2),
        hex,
        "data",
      ),
      12,
    );
    const report = await validate(store);
    assertEquals(kinds(report), {
      [deleted.digest]: "missing",
      [corrupted.digest]: "digest-mismatch",
    });
    assertEquals(report.ok, false);
    for (const p of report.problems) {
      assertEquals(p.parent, image.descriptor.digest);
    }
  } finally {
    await store.close();
  }
});
