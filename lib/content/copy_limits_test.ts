// copy() is bounded: index nesting depth, manifests, descriptors and
// manifest bytes per operation, an operation deadline, and manifest reads
// that do not multiply with the depth of the graph.

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
} from "@std/assert";
import { digestOf } from "../ref/digest.ts";
import { type Descriptor, MEDIA_TYPE } from "../ref/media_types.ts";
import { LimitExceededError } from "../errors.ts";
import { RegistryStore } from "../registry/store.ts";
import { startFakeRegistry } from "../testing/fake_registry.ts";
import { copy } from "./copy.ts";
import { MemoryStore } from "./memory_store.ts";
import type { ImageStore, ManifestData, StoreCallOptions } from "./store.ts";

const enc = new TextEncoder();

async function putJson(
  store: ImageStore,
  mediaType: string,
  value: unknown,
  tag?: string,
): Promise<Descriptor> {
  const bytes = enc.encode(JSON.stringify(value));
  const d = { mediaType, digest: digestOf(bytes), size: bytes.byteLength };
  await store.push(d, bytes, tag ? { tag } : {});
  return d;
}

/** An image with one small layer; `n` makes each one distinct. */
async function putImage(store: ImageStore, n: number): Promise<Descriptor> {
  const config = await putJson(store, MEDIA_TYPE.OCI_CONFIG, { n });
  const layer = await putJson(store, "application/octet-stream", { layer: n });
  return await putJson(store, MEDIA_TYPE.OCI_MANIFEST, {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.OCI_MANIFEST,
    config,
    layers: [layer],
  });
}

/** An index of the descriptors given. */
function putIndex(
  store: ImageStore,
  manifests: Descriptor[],
  tag?: string,
): Promise<Descriptor> {
  return putJson(store, MEDIA_TYPE.OCI_INDEX, {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.OCI_INDEX,
    manifests,
  }, tag);
}

Deno.test("copy() stops an index nested thousands deep at maxIndexDepth, after a handful of reads", async () => {
  await using registry = await startFakeRegistry();
  registry.faults.nestedIndex = { depth: 5_000 };
  const source = new RegistryStore(`${registry.url}/deep:latest`);
  const err = await assertRejects(
    () => copy(source, new MemoryStore()),
    LimitExceededError,
  );
  assertEquals(
    [err.option, err.limit, err.value],
    ["maxIndexDepth", 8, 9],
  );
  assertEquals(
    err.message,
    `Cannot copy "${registry.host}/deep:latest" to "memory": index nesting depth 9 exceeds the limit of 8 (maxIndexDepth)`,
  );
  const manifestGets = registry.requests.filter((r) =>
    r.path.includes("/manifests/")
  );
  assert(manifestGets.length <= 10, `${manifestGets.length} manifest reads`);
});

Deno.test("copy() takes an index nested within maxIndexDepth, and the bound can be raised", async () => {
  await using registry = await startFakeRegistry();
  registry.faults.nestedIndex = { depth: 12 };
  const source = new RegistryStore(`${registry.url}/deep:latest`);
  await assertRejects(
    () => copy(source, new MemoryStore()),
    LimitExceededError,
  );
  const target = new MemoryStore();
  const result = await copy(source, target, { maxIndexDepth: 12, tag: "t" });
  assertEquals(result.manifests, 13);
  assertEquals(result.blobs, 1);
  // Children first: the image manifest, then each index up to the root.
  assertEquals((await target.resolve("t")).digest, result.digest);
});

Deno.test("copy() bounds the manifests, descriptors and manifest bytes of one operation", async (t) => {
  const source = new MemoryStore();
  const images: Descriptor[] = [];
  for (let i = 0; i < 6; i++) images.push(await putImage(source, i));
  const index = await putIndex(source, images, "wide");
  const cases: [string, Record<string, number>, number, number][] = [
    ["maxManifests", { maxManifests: 5 }, 6, 5],
    ["maxDescriptors", { maxDescriptors: 10 }, 12, 10],
    ["maxTotalManifestBytes", { maxTotalManifestBytes: 1_000 }, -1, 1_000],
  ];
  for (const [option, limits, value, limit] of cases) {
    await t.step(option, async () => {
      const err = await assertRejects(
        () =>
          copy(source, new MemoryStore(), {
            reference: "wide",
            concurrency: 1,
            ...limits,
          }),
        LimitExceededError,
      );
      assertEquals(err.option, option);
      assertEquals(err.limit, limit);
      if (value >= 0) assertEquals(err.value, value);
      else assert(err.value > limit);
    });
  }
  await t.step("within the defaults", async () => {
    const result = await copy(source, new MemoryStore(), { reference: "wide" });
    assertEquals(result.digest, index.digest);
    assertEquals(result.manifests, 7);
  });
  await t.step("a limit that is not a positive integer", async () => {
    for (const bad of [0, -1, 1.5, NaN]) {
      await assertRejects(
        () => copy(source, new MemoryStore(), { maxManifests: bad }),
        RangeError,
        "maxManifests",
      );
    }
  });
});

/** A store that counts the manifest reads in flight at once. */
class CountingStore extends MemoryStore {
  active = 0;
  maxActive = 0;
  override async fetchManifest(
    target?: string | Descriptor,
    options?: StoreCallOptions,
  ): Promise<ManifestData> {
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      await new Promise((resolve) => setTimeout(resolve, 2));
      return await super.fetchManifest(target, options);
    } finally {
      this.active--;
    }
  }
}

Deno.test("copy() reads at most `concurrency` manifests at once, however deep the indexes", async () => {
  const source = new CountingStore();
  const inner: Descriptor[] = [];
  for (let i = 0; i < 4; i++) {
    const images: Descriptor[] = [];
    for (let j = 0; j < 4; j++) images.push(await putImage(source, i * 4 + j));
    inner.push(await putIndex(source, images));
  }
  await putIndex(source, inner, "tree");
  const result = await copy(source, new MemoryStore(), {
    reference: "tree",
    concurrency: 2,
  });
  assertEquals(result.manifests, 21);
  assertEquals(source.maxActive, 2);
});

Deno.test("copy() ends at timeoutMs with a LimitExceededError", async () => {
  await using registry = await startFakeRegistry();
  registry.faults.nestedIndex = { depth: 1 };
  registry.faults.delayMs = 10_000;
  const err = await assertRejects(
    () =>
      copy(
        new RegistryStore(`${registry.url}/slow:1`),
        new MemoryStore(),
        { timeoutMs: 50 },
      ),
  );
  assertInstanceOf(err, LimitExceededError);
  assertEquals([err.option, err.limit], ["timeoutMs", 50]);
  await assertRejects(
    () => copy(new MemoryStore(), new MemoryStore(), { timeoutMs: -1 }),
    RangeError,
    "timeoutMs",
  );
});
