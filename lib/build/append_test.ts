// append(): layers from paths land in the destination and in the config
// (diff_ids, history), from scratch or on a base (OCI or Docker), on one
// platform or every platform of an index; the same inputs give the same
// digest; the base's blobs are copied only where missing.

import { assert, assertEquals, assertRejects } from "@std/assert";
import { join } from "@std/path/posix/join";
import { MemoryStore } from "../content/memory_store.ts";
import type { ImageIndex, ImageManifest } from "../ref/media_types.ts";
import { MEDIA_TYPE } from "../ref/media_types.ts";
import { append } from "./append.ts";
import { pushLayer } from "./layer.ts";
import type { ImageConfig } from "./types.ts";
import {
  CountingStore,
  readJson,
  seedImage,
  seedIndex,
} from "./testdata/seed.ts";

async function withDir(
  files: Record<string, string>,
  f: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "append-test-" });
  try {
    for (const [name, content] of Object.entries(files)) {
      await Deno.mkdir(join(dir, name, ".."), { recursive: true });
      await Deno.writeTextFile(join(dir, name), content);
    }
    await f(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs `f` with SOURCE_DATE_EPOCH set to `value` (or unset), then restores it. */
async function withEpoch(
  value: string | undefined,
  f: () => Promise<void>,
): Promise<void> {
  const before = Deno.env.get("SOURCE_DATE_EPOCH");
  if (value === undefined) Deno.env.delete("SOURCE_DATE_EPOCH");
  else Deno.env.set("SOURCE_DATE_EPOCH", value);
  try {
    await f();
  } finally {
    if (before === undefined) Deno.env.delete("SOURCE_DATE_EPOCH");
    else Deno.env.set("SOURCE_DATE_EPOCH", before);
  }
}

async function imageOf(store: MemoryStore, ref: string) {
  const manifest = (await store.fetchManifest(ref)).manifest as ImageManifest;
  const config = await readJson<ImageConfig>(store, manifest.config);
  return { manifest, config };
}

Deno.test("append() from scratch: an OCI image of the layer, for the platform given", async () => {
  await withEpoch(
    undefined,
    () =>
      withDir({ "hello.txt": "hello" }, async (dir) => {
        const store = new MemoryStore();
        const result = await append(null, store, {
          layers: [dir],
          platform: "linux/arm64/v8",
          tag: "1",
        });
        const { manifest, config } = await imageOf(store, "1");
        assertEquals(manifest.mediaType, MEDIA_TYPE.OCI_MANIFEST);
        assertEquals(manifest.config.mediaType, MEDIA_TYPE.OCI_CONFIG);
        assertEquals(manifest.layers.length, 1);
        assertEquals(manifest.layers[0].mediaType, MEDIA_TYPE.OCI_LAYER_GZIP);
        assertEquals(
          [config.os, config.architecture, config.variant],
          ["linux", "arm64", "v8"],
        );
        assertEquals(config.rootfs.diff_ids.length, 1);
        assertEquals(config.history, [{ created_by: "dreg append" }]);
        assertEquals(config.created, undefined);
        assertEquals(result.images[0].platform, "linux/arm64/v8");
        assertEquals(
          result.descriptor.digest,
          (await store.resolve("1")).digest,
        );
      }),
  );
});

Deno.test("append() builds the same image twice from the same files (no time recorded)", async () => {
  await withEpoch(
    undefined,
    () =>
      withDir({ "a/b.txt": "b", "c.txt": "c" }, async (dir) => {
        const one = await append(null, new MemoryStore(), {
          layers: [dir],
          platform: "linux/amd64",
        });
        await Deno.utime(join(dir, "c.txt"), 12345, 12345);
        const two = await append(null, new MemoryStore(), {
          layers: [dir],
          platform: "linux/amd64",
        });
        assertEquals(one.descriptor.digest, two.descriptor.digest);
      }),
  );
});

Deno.test("append() records SOURCE_DATE_EPOCH, or the time given", async () => {
  await withEpoch("1700000000", () =>
    withDir({ "x": "x" }, async (dir) => {
      const store = new MemoryStore();
      await append(null, store, { layers: [dir], tag: "e" });
      const { config } = await imageOf(store, "e");
      assertEquals(config.created, "2023-11-14T22:13:20Z");
      assertEquals(config.history?.[0].created, "2023-11-14T22:13:20Z");
      await append(null, store, {
        layers: [dir],
        tag: "t",
        created: "2020-01-02T03:04:05.678Z",
        createdBy: "make site",
      });
      const given = await imageOf(store, "t");
      assertEquals(given.config.created, "2020-01-02T03:04:05Z");
      assertEquals(given.config.history, [{
        created: "2020-01-02T03:04:05Z",
        created_by: "make site",
      }]);
    }));
});

Deno.test("append() adds the layers on top of a base, in order", async () => {
  await withEpoch(
    undefined,
    () =>
      withDir({ "one/1.txt": "1", "two/2.txt": "2" }, async (dir) => {
        const store = new MemoryStore();
        const base = await seedImage(store, {
          tag: "base",
          files: { a: "a", b: "b" },
        });
        const result = await append(store, store, {
          reference: "base",
          tag: "app",
          layers: [join(dir, "one"), join(dir, "two")],
          annotations: { "org.example": "x" },
        });
        const { manifest, config } = await imageOf(store, "app");
        assertEquals(manifest.layers.slice(0, 2), base.layers);
        assertEquals(manifest.layers.length, 4);
        assertEquals(manifest.annotations, { "org.example": "x" });
        const baseConfig = base.configJson as unknown as ImageConfig;
        assertEquals(
          config.rootfs.diff_ids.slice(0, 2),
          baseConfig.rootfs.diff_ids,
        );
        assertEquals(config.rootfs.diff_ids.length, 4);
        assertEquals(config.history?.map((h) => h.created_by), [
          "seed 0",
          "seed 1",
          "dreg append",
          "dreg append",
        ]);
        assertEquals(config.config, baseConfig.config);
        assertEquals(config.created, baseConfig.created);
        // Each diff_id is the one pushLayer computes for that directory.
        const again = await pushLayer(new MemoryStore(), join(dir, "two"));
        assertEquals(config.rootfs.diff_ids[3], again.diffId);
        assertEquals(manifest.layers[3].digest, again.descriptor.digest);
        assertEquals(result.images[0].config, manifest.config);
      }),
  );
});

Deno.test("append() pads a base history that lacks entries", async () => {
  await withDir({ "n": "n" }, async (dir) => {
    const store = new MemoryStore();
    await seedImage(store, {
      tag: "base",
      files: { a: "a", b: "b" },
      history: false,
    });
    await append(store, store, {
      reference: "base",
      tag: "app",
      layers: [dir],
    });
    const { config } = await imageOf(store, "app");
    assertEquals(config.history?.length, 3);
    assertEquals(config.history?.[2].created_by, "dreg append");
  });
});

Deno.test("append() to a Docker image gives the layer Docker's media type", async () => {
  await withDir({ "d": "d" }, async (dir) => {
    const store = new MemoryStore();
    await seedImage(store, { tag: "base", docker: true });
    await append(store, store, {
      reference: "base",
      tag: "app",
      layers: [dir],
    });
    const { manifest } = await imageOf(store, "app");
    assertEquals(manifest.mediaType, MEDIA_TYPE.DOCKER_MANIFEST);
    assertEquals(
      manifest.layers.map((l) => l.mediaType),
      [MEDIA_TYPE.DOCKER_LAYER, MEDIA_TYPE.DOCKER_LAYER],
    );
  });
});

Deno.test("append() to an index: refused without a platform, every platform with all", async () => {
  await withDir({ "f": "f" }, async (dir) => {
    const inner = new MemoryStore();
    const platforms = [
      { os: "linux", architecture: "amd64" },
      { os: "linux", architecture: "arm64", variant: "v8" },
    ];
    const seeded = await seedIndex(inner, { tag: "1", platforms });
    const store = new CountingStore(inner);
    await assertRejects(
      () => append(store, store, { reference: "1", tag: "2", layers: [dir] }),
      TypeError,
      'choose one, or "all"',
    );
    assertEquals(store.pushedBlobs.length, 0, "nothing is written");
    const result = await append(store, store, {
      reference: "1",
      tag: "2",
      layers: [dir],
      platform: "all",
    });
    assertEquals(store.pushedBlobs.length, 1, "the layer is pushed once");
    const index = (await inner.fetchManifest("2")).manifest as ImageIndex;
    assertEquals(index.manifests.length, 2);
    assertEquals(result.images.map((i) => i.platform), [
      "linux/amd64",
      "linux/arm64/v8",
    ]);
    for (const [i, entry] of index.manifests.entries()) {
      assertEquals(entry.platform, platforms[i]);
      const m = (await inner.fetchManifest(entry)).manifest as ImageManifest;
      assertEquals(m.layers.slice(0, 1), seeded.images[i].layers);
      assertEquals(m.layers[1].digest, store.pushedBlobs[0].digest);
    }
    const one = await append(store, store, {
      reference: "1",
      tag: "arm",
      layers: [dir],
      platform: "linux/arm64",
    });
    assertEquals(one.images.length, 1);
    assertEquals(
      (await inner.fetchManifest("arm")).descriptor.mediaType,
      MEDIA_TYPE.OCI_MANIFEST,
    );
  });
});

Deno.test("append() copies the base's blobs the destination lacks, and writes layers there only", async () => {
  await withDir({ "new.txt": "new" }, async (dir) => {
    const srcInner = new MemoryStore();
    const base = await seedImage(srcInner, {
      tag: "1",
      files: { a: "a", b: "b" },
    });
    const src = new CountingStore(srcInner);
    const dst = new CountingStore(new MemoryStore());
    await dst.push(
      base.layers[0],
      await new Response(await srcInner.fetch(base.layers[0])).bytes(),
    );
    dst.pushes.length = 0;
    const result = await append(src, dst, {
      reference: "1",
      tag: "app",
      layers: [dir],
    });
    assertEquals(
      src.pushes.length + src.pushedBlobs.length,
      0,
      "the source is not written",
    );
    assertEquals(dst.pushedBlobs.length, 1);
    assert(
      !src.fetches.includes(base.layers[0].digest),
      "a blob the destination has is not read",
    );
    assert(src.fetches.includes(base.layers[1].digest));
    assert(dst.copied().includes(base.layers[1].digest));
    assert(!dst.copied().includes(base.layers[0].digest));
    assertEquals((await dst.resolve("app")).digest, result.descriptor.digest);
  });
});

Deno.test("append() takes a layer already built", async () => {
  await withDir({ "pre": "built" }, async (dir) => {
    const store = new MemoryStore();
    await seedImage(store, { tag: "base" });
    const built = await pushLayer(store, dir);
    await append(store, store, {
      reference: "base",
      tag: "app",
      layers: [{ ...built, history: { created_by: "COPY pre /" } }],
    });
    const { manifest, config } = await imageOf(store, "app");
    assertEquals(manifest.layers[1], built.descriptor);
    assertEquals(config.rootfs.diff_ids[1], built.diffId);
    assertEquals(config.history?.[1], { created_by: "COPY pre /" });
    await assertRejects(
      () =>
        append(null, new MemoryStore(), {
          layers: [built],
        }),
      Error,
      "the destination does not have it",
    );
    await assertRejects(
      () => append(store, store, { reference: "base", layers: [] }),
      TypeError,
      "no layers",
    );
  });
});
