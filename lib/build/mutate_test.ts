// mutate(): each change lands in the config or manifest, nothing else moves
// (layers are neither re-pushed nor read), indexes are rewritten per
// platform, and bad changes are refused before anything is written.

import {
  assert,
  assertEquals,
  assertNotEquals,
  assertRejects,
} from "@std/assert";
import { MemoryStore } from "../content/memory_store.ts";
import type { ImageIndex, ImageManifest } from "../ref/media_types.ts";
import { MEDIA_TYPE } from "../ref/media_types.ts";
import { mutate } from "./mutate.ts";
import type { ImageConfig } from "./types.ts";
import {
  CountingStore,
  readJson,
  seedImage,
  seedIndex,
} from "./testdata/seed.ts";

Deno.test("mutate() sets and removes every config field, keeping the layers", async () => {
  const store = new MemoryStore();
  const base = await seedImage(store, {
    tag: "1",
    files: { "a.txt": "a", "b.txt": "b" },
    container: {
      Env: ["PATH=/bin", "DEBUG=1", "KEEP=x"],
      Labels: { old: "1", keep: "k" },
      Cmd: ["/bin/sh"],
      ExposedPorts: { "22/tcp": {} },
      User: "root",
    },
  });
  const result = await mutate(store, store, {
    reference: "1",
    tag: "2",
    labels: { new: "n", old: null },
    env: { DEBUG: null, MODE: "prod", PATH: "/usr/bin:/bin" },
    entrypoint: ["/app", "serve"],
    cmd: null,
    workingDir: "/srv",
    user: null,
    exposedPorts: { "8080": true, "53/udp": true, "22/tcp": false },
    volumes: { "/data": true },
    stopSignal: "SIGINT",
    created: 1700000000,
    annotations: { "org.example.note": "hi" },
  });
  assertEquals(result.tag, "2");
  assertEquals((await store.resolve("2")).digest, result.descriptor.digest);
  const manifest = (await store.fetchManifest("2")).manifest as ImageManifest;
  assertEquals(manifest.layers, base.layers);
  assertEquals(manifest.annotations, { "org.example.note": "hi" });
  const config = await readJson<ImageConfig>(store, manifest.config);
  assertEquals(config.config, {
    Env: ["PATH=/usr/bin:/bin", "KEEP=x", "MODE=prod"],
    Labels: { keep: "k", new: "n" },
    ExposedPorts: { "8080/tcp": {}, "53/udp": {} },
    Entrypoint: ["/app", "serve"],
    WorkingDir: "/srv",
    StopSignal: "SIGINT",
    Volumes: { "/data": {} },
  });
  assertEquals(config.created, "2023-11-14T22:13:20Z");
  assertEquals(config.rootfs, base.configJson.rootfs);
  assertEquals(config.history, base.configJson.history);
  // The source tag still names the original.
  assertEquals((await store.resolve("1")).digest, base.descriptor.digest);
});

Deno.test("mutate() pushes a new config and manifest only: no layer is pushed or read", async () => {
  const src = new MemoryStore({ reference: "1" });
  const base = await seedImage(src, { tag: "1", files: { a: "a", b: "b" } });
  const store = new CountingStore(src);
  const result = await mutate(store, store, { labels: { x: "y" } });
  const copied = store.copied();
  assertEquals(copied.length, 2, `pushed ${copied}`);
  assertEquals(copied[1], result.descriptor.digest);
  assertEquals(copied[0], result.images[0].config.digest);
  for (const layer of base.layers) {
    assert(!store.fetches.includes(layer.digest), "a layer was read");
    assert(!copied.includes(layer.digest));
  }
  assertEquals(store.pushedBlobs, []);
  // The destination's reference (1) is the default tag.
  assertEquals((await src.resolve("1")).digest, result.descriptor.digest);
});

Deno.test("mutate() into another store copies the layers it lacks, once", async () => {
  const src = new MemoryStore({ reference: "1" });
  const base = await seedImage(src, { tag: "1", files: { a: "a", b: "b" } });
  const dst = new CountingStore(new MemoryStore({ reference: "v2" }));
  await dst.push(
    base.layers[0],
    await new Response(await src.fetch(base.layers[0])).bytes(),
  );
  dst.pushes.length = 0;
  const result = await mutate(src, dst, { user: "nobody" });
  assertEquals(result.tag, "v2");
  assertEquals(
    dst.pushes.filter((p) => p.digest === base.layers[0].digest),
    [{ digest: base.layers[0].digest, action: "exists" }],
  );
  assert(dst.copied().includes(base.layers[1].digest));
  const m = (await dst.fetchManifest("v2")).manifest as ImageManifest;
  assertEquals(
    (await readJson<ImageConfig>(dst, m.config)).config?.User,
    "nobody",
  );
});

Deno.test("mutate() with only manifest annotations keeps the config's bytes", async () => {
  const store = new MemoryStore();
  const base = await seedImage(store, { tag: "1" });
  const result = await mutate(store, store, {
    reference: "1",
    tag: "2",
    annotations: { a: "b" },
  });
  assertEquals(result.images[0].config, base.config);
  assertNotEquals(result.descriptor.digest, base.descriptor.digest);
  const nothing = await mutate(store, store, { reference: "1", tag: "3" });
  assertEquals(nothing.descriptor.digest, base.descriptor.digest);
});

Deno.test("mutate() sets the platform of one image", async () => {
  const store = new MemoryStore();
  await seedImage(store, { tag: "1" });
  const result = await mutate(store, store, {
    reference: "1",
    tag: "arm",
    setPlatform: "linux/arm64/v8",
  });
  assertEquals(result.images[0].platform, "linux/arm64/v8");
  const m = (await store.fetchManifest("arm")).manifest as ImageManifest;
  const config = await readJson<ImageConfig>(store, m.config);
  assertEquals([config.os, config.architecture, config.variant], [
    "linux",
    "arm64",
    "v8",
  ]);
});

Deno.test("mutate() of an index changes every platform and rebuilds the index", async () => {
  const store = new MemoryStore();
  const seeded = await seedIndex(store, {
    tag: "1",
    platforms: [
      { os: "linux", architecture: "amd64" },
      { os: "linux", architecture: "arm64", variant: "v8" },
    ],
    attestation: true,
  });
  const result = await mutate(store, store, {
    reference: "1",
    tag: "2",
    labels: { team: "core" },
    indexAnnotations: { "org.opencontainers.image.version": "2" },
  });
  const index = (await store.fetchManifest("2")).manifest as ImageIndex;
  assertEquals(index.mediaType, MEDIA_TYPE.OCI_INDEX);
  assertEquals(index.annotations, { "org.opencontainers.image.version": "2" });
  // The attestation described the old amd64 image: dropped.
  assertEquals(index.manifests.length, 2);
  assertEquals(
    index.manifests.map((d) => d.platform),
    [
      { os: "linux", architecture: "amd64" },
      { os: "linux", architecture: "arm64", variant: "v8" },
    ],
  );
  assertEquals(result.images.map((i) => i.platform), [
    "linux/amd64",
    "linux/arm64/v8",
  ]);
  for (const [i, entry] of index.manifests.entries()) {
    assertNotEquals(entry.digest, seeded.images[i].descriptor.digest);
    const m = (await store.fetchManifest(entry)).manifest as ImageManifest;
    assertEquals(m.layers, seeded.images[i].layers);
    const config = await readJson<ImageConfig>(store, m.config);
    assertEquals(config.config?.Labels, { team: "core" });
  }
});

Deno.test("mutate() with a platform from an index writes that image alone", async () => {
  const store = new MemoryStore();
  const seeded = await seedIndex(store, {
    tag: "1",
    platforms: [
      { os: "linux", architecture: "amd64" },
      { os: "linux", architecture: "arm64", variant: "v8" },
    ],
  });
  const result = await mutate(store, store, {
    reference: "1",
    tag: "arm",
    platform: "linux/arm64",
    env: { A: "1" },
  });
  const m = (await store.fetchManifest("arm")).manifest as ImageManifest;
  assertEquals(m.layers, seeded.images[1].layers);
  assertEquals(result.images[0].platform, "linux/arm64/v8");
});

Deno.test("mutate() refuses bad changes before writing anything", async (t) => {
  const store = new MemoryStore();
  await seedIndex(store, {
    tag: "idx",
    platforms: [
      { os: "linux", architecture: "amd64" },
      { os: "linux", architecture: "arm64" },
    ],
  });
  await seedImage(store, { tag: "img" });
  const tags = async () => (await store.listTags()).sort();
  const before = await tags();
  await t.step("the platform of every image of an index", async () => {
    await assertRejects(
      () =>
        mutate(store, store, {
          reference: "idx",
          tag: "x",
          setPlatform: "linux/s390x",
        }),
      TypeError,
      "choose one image",
    );
  });
  await t.step("index annotations on an image", async () => {
    await assertRejects(
      () =>
        mutate(store, store, {
          reference: "img",
          tag: "x",
          indexAnnotations: { a: "b" },
        }),
      TypeError,
      "not an index",
    );
  });
  await t.step("a malformed port, env name, time", async () => {
    await assertRejects(
      () =>
        mutate(store, store, {
          reference: "img",
          tag: "x",
          exposedPorts: { "http": true },
        }),
      TypeError,
      'Invalid port "http"',
    );
    await assertRejects(
      () =>
        mutate(store, store, {
          reference: "img",
          tag: "x",
          env: { "A=B": "c" },
        }),
      TypeError,
      "environment variable name",
    );
    await assertRejects(
      () =>
        mutate(store, store, {
          reference: "img",
          tag: "x",
          created: "yesterday",
        }),
      TypeError,
      'Invalid time "yesterday"',
    );
  });
  assertEquals(await tags(), before);
});

Deno.test("mutate() keeps Docker media types", async () => {
  const store = new MemoryStore();
  const base = await seedImage(store, { tag: "1", docker: true });
  const result = await mutate(store, store, {
    reference: "1",
    tag: "2",
    labels: { a: "b" },
  });
  assertEquals(result.descriptor.mediaType, MEDIA_TYPE.DOCKER_MANIFEST);
  assertEquals(result.images[0].config.mediaType, MEDIA_TYPE.DOCKER_CONFIG);
  const m = (await store.fetchManifest("2")).manifest as ImageManifest;
  assertEquals(m.mediaType, MEDIA_TYPE.DOCKER_MANIFEST);
  assertEquals(m.layers, base.layers);
});
