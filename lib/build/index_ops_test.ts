// createIndex(), addToIndex(), removeFromIndex(): entries carry the
// platform their config declares, the media type follows the children
// (Docker list only when every child is a Docker manifest), entries are
// replaced by platform, removed by digest or platform (with the
// attestations describing them), images from other stores are copied in,
// and the index's annotations are set and removed.

import { assertEquals, assertRejects } from "@std/assert";
import { MemoryStore } from "../content/memory_store.ts";
import type { ImageIndex } from "../ref/media_types.ts";
import { MEDIA_TYPE } from "../ref/media_types.ts";
import { validate } from "./validate.ts";
import { addToIndex, createIndex, removeFromIndex } from "./index_ops.ts";
import { CountingStore, seedImage, seedIndex } from "./testdata/seed.ts";

const AMD64 = { os: "linux", architecture: "amd64" };
const ARM64 = { os: "linux", architecture: "arm64", variant: "v8" };
const S390X = { os: "linux", architecture: "s390x" };

async function indexAt(store: MemoryStore, ref: string): Promise<ImageIndex> {
  return (await store.fetchManifest(ref)).manifest as ImageIndex;
}

Deno.test("createIndex() lists each image with the platform its config declares", async () => {
  const store = new MemoryStore();
  const amd = await seedImage(store, { tag: "amd", platform: AMD64 });
  const arm = await seedImage(store, { tag: "arm", platform: ARM64 });
  const result = await createIndex(store, {
    images: [
      { store, reference: "amd" },
      { store, reference: "arm" },
      { store, reference: "amd" },
    ],
    tag: "multi",
    annotations: { "org.opencontainers.image.version": "1" },
  });
  const index = await indexAt(store, "multi");
  assertEquals(index.mediaType, MEDIA_TYPE.OCI_INDEX);
  assertEquals(result.descriptor.mediaType, MEDIA_TYPE.OCI_INDEX);
  assertEquals(index.annotations, { "org.opencontainers.image.version": "1" });
  assertEquals(index.manifests, [
    { ...amd.descriptor, platform: AMD64 },
    { ...arm.descriptor, platform: ARM64 },
  ]);
  assertEquals(result.manifests, index.manifests);
});

Deno.test("createIndex() writes a Docker manifest list when every image is a Docker manifest", async () => {
  const store = new MemoryStore();
  await seedImage(store, { tag: "amd", platform: AMD64, docker: true });
  await seedImage(store, { tag: "arm", platform: ARM64, docker: true });
  await seedImage(store, { tag: "oci", platform: S390X });
  const docker = await createIndex(store, {
    images: [{ store, reference: "amd" }, { store, reference: "arm" }],
    tag: "d",
  });
  assertEquals(docker.descriptor.mediaType, MEDIA_TYPE.DOCKER_MANIFEST_LIST);
  assertEquals(
    (await indexAt(store, "d")).mediaType,
    MEDIA_TYPE.DOCKER_MANIFEST_LIST,
  );
  const mixed = await createIndex(store, {
    images: [{ store, reference: "amd" }, { store, reference: "oci" }],
    tag: "m",
  });
  assertEquals(mixed.descriptor.mediaType, MEDIA_TYPE.OCI_INDEX);
  const forced = await createIndex(store, {
    images: [{ store, reference: "amd" }],
    tag: "f",
    mediaType: MEDIA_TYPE.OCI_INDEX,
  });
  assertEquals(forced.descriptor.mediaType, MEDIA_TYPE.OCI_INDEX);
  // Adding a Docker image to a Docker list keeps it one.
  const added = await addToIndex(store, {
    reference: "d",
    images: [{ store, reference: "amd" }],
  });
  assertEquals(added.descriptor.mediaType, MEDIA_TYPE.DOCKER_MANIFEST_LIST);
});

Deno.test("createIndex() copies images from other stores into the destination", async () => {
  const a = new MemoryStore();
  const b = new MemoryStore();
  await seedImage(a, { tag: "1", platform: AMD64 });
  await seedIndex(b, { tag: "1", platforms: [ARM64, S390X] });
  const dst = new CountingStore(new MemoryStore({ reference: "multi" }));
  const result = await createIndex(dst, {
    images: [
      { store: a, reference: "1" },
      { store: b, reference: "1", platform: "linux/arm64" },
    ],
  });
  assertEquals(result.tag, "multi");
  assertEquals(result.manifests.map((d) => d.platform), [AMD64, ARM64]);
  const report = await validate(dst, { reference: "multi" });
  assertEquals(report.ok, true, JSON.stringify(report.problems));
  assertEquals(report.manifests, 3);
  // Each image's config and layer, and its manifest, then the index.
  assertEquals(dst.copied().length, 7);
});

Deno.test("addToIndex() replaces the entry of the same platform and its attestation; annotates", async () => {
  const store = new MemoryStore();
  const seeded = await seedIndex(store, {
    tag: "1",
    platforms: [AMD64, ARM64],
    attestation: true,
  });
  const newer = await seedImage(store, {
    tag: "amd2",
    platform: AMD64,
    files: { "new.txt": "new" },
  });
  await seedImage(store, { tag: "s390x", platform: S390X });
  const result = await addToIndex(store, {
    reference: "1",
    images: [{ store, reference: "amd2" }, { store, reference: "s390x" }],
    annotations: { a: "b" },
  });
  assertEquals(result.tag, "1");
  const index = await indexAt(store, "1");
  assertEquals(index.manifests.map((d) => d.digest), [
    newer.descriptor.digest,
    seeded.images[1].descriptor.digest,
    (await store.resolve("s390x")).digest,
  ]);
  assertEquals(index.annotations, { a: "b" });
  const removed = await addToIndex(store, {
    reference: "1",
    annotations: { a: null },
  });
  assertEquals((await indexAt(store, "1")).annotations, undefined);
  assertEquals(removed.manifests.length, 3);
});

Deno.test("removeFromIndex() removes by digest or platform, with attestations", async () => {
  const store = new MemoryStore();
  const seeded = await seedIndex(store, {
    tag: "1",
    platforms: [AMD64, ARM64, S390X],
    attestation: true,
  });
  await removeFromIndex(store, {
    reference: "1",
    tag: "2",
    platforms: ["linux/amd64"],
  });
  assertEquals(
    (await indexAt(store, "2")).manifests.map((d) => d.digest),
    [seeded.images[1].descriptor.digest, seeded.images[2].descriptor.digest],
  );
  await removeFromIndex(store, {
    reference: "2",
    digests: [seeded.images[2].descriptor.digest],
  });
  assertEquals(
    (await indexAt(store, "2")).manifests.map((d) => d.platform),
    [ARM64],
  );
  // The original is untouched; the removed manifests stay in the store.
  assertEquals((await indexAt(store, "1")).manifests.length, 4);
  await store.fetchManifest(seeded.images[0].descriptor);
  await assertRejects(
    () =>
      removeFromIndex(store, { reference: "2", platforms: ["windows/amd64"] }),
    TypeError,
    "the index has linux/arm64/v8",
  );
  await assertRejects(
    () =>
      removeFromIndex(store, {
        reference: "2",
        digests: [seeded.images[0].descriptor.digest],
      }),
    TypeError,
    "does not list it",
  );
});

Deno.test("index operations refuse an image manifest as the index, and no images", async () => {
  const store = new MemoryStore();
  await seedImage(store, { tag: "img" });
  await assertRejects(
    () => addToIndex(store, { reference: "img", annotations: { a: "b" } }),
    Error,
    "is an image manifest, not an index",
  );
  await assertRejects(
    () => createIndex(store, { images: [], tag: "x" }),
    TypeError,
    "no images",
  );
});
