import { assertEquals, assertRejects } from "@std/assert";
import { OciLayout } from "../layout/oci_layout.ts";
import { MemoryStore } from "../content/memory_store.ts";
import { RegistryStore } from "../registry/store.ts";
import { digestOf } from "../ref/digest.ts";
import {
  type ImageIndex,
  type ImageManifest,
  MEDIA_TYPE,
} from "../ref/media_types.ts";
import { startRegistry } from "../../test_support/real_registry.ts";
import { flatten } from "./flatten.ts";
import type { ImageConfig } from "./types.ts";
import {
  imageOf,
  readTree,
  run,
  tempDir,
  umociUnpack,
  whiteoutLayers,
} from "./testdata/images.ts";

async function json<T>(
  store: MemoryStore | OciLayout | RegistryStore,
  d: { mediaType: string; digest: string; size: number },
): Promise<T> {
  return await new Response(await store.fetch(d)).json() as T;
}

Deno.test("flatten() writes one layer holding the tree umoci unpacks from the original, config kept", async () => {
  await using dir = await tempDir();
  const layers = await whiteoutLayers(dir.path);
  const layout = await OciLayout.open(`${dir.path}/oci`, { create: true });
  await imageOf(layout, layers, "1");
  const result = await flatten(layout, layout, { reference: "1", tag: "flat" });
  await layout.close();
  assertEquals(result.tag, "flat");
  const original = await readTree(
    await umociUnpack(`${dir.path}/oci`, "1", `${dir.path}/a`),
  );
  const flat = await readTree(
    await umociUnpack(`${dir.path}/oci`, "flat", `${dir.path}/b`),
  );
  assertEquals(flat, original);

  const store = await OciLayout.open(`${dir.path}/oci`);
  const manifest = await json<ImageManifest>(store, result.descriptor);
  assertEquals(manifest.layers.length, 1);
  assertEquals(manifest.layers[0].mediaType, MEDIA_TYPE.OCI_LAYER_GZIP);
  const config = await json<ImageConfig>(store, manifest.config);
  assertEquals(config.rootfs.diff_ids.length, 1);
  assertEquals(config.history?.length, 1);
  assertEquals(config.history?.[0].created_by, "dreg flatten");
  assertEquals(config.config?.Env, ["PATH=/bin"]);
  assertEquals(config.config?.Labels, { made: "test" });
  // Flattening again gives the same image (reproducible).
  const again = await flatten(store, store, { reference: "1", tag: "flat2" });
  assertEquals(again.descriptor.digest, result.descriptor.digest);
  await store.close();
});

Deno.test("flatten() of an index: every platform when asked, else an error naming them; Docker media types kept", async () => {
  await using dir = await tempDir();
  const layers = await whiteoutLayers(dir.path);
  const store = new MemoryStore();
  const amd = await imageOf(store, layers, "amd", { docker: true });
  const arm = await imageOf(store, layers.slice(0, 2), "arm", {
    docker: true,
    architecture: "arm64",
  });
  const index = new TextEncoder().encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.DOCKER_MANIFEST_LIST,
    manifests: [
      { ...amd, platform: { os: "linux", architecture: "amd64" } },
      { ...arm, platform: { os: "linux", architecture: "arm64" } },
    ],
  }));
  await store.push(
    {
      mediaType: MEDIA_TYPE.DOCKER_MANIFEST_LIST,
      digest: digestOf(index),
      size: index.byteLength,
    },
    index,
    { tag: "multi" },
  );
  await assertRejects(
    () => flatten(store, store, { reference: "multi", tag: "x" }),
    TypeError,
    "linux/amd64, linux/arm64",
  );
  const all = await flatten(store, store, {
    reference: "multi",
    tag: "flat",
    platform: "all",
  });
  const flatIndex = await json<ImageIndex>(store, all.descriptor);
  assertEquals(
    flatIndex.manifests.map((m) => m.platform?.architecture),
    ["amd64", "arm64"],
  );
  for (const entry of flatIndex.manifests) {
    const m = await json<ImageManifest>(store, entry);
    assertEquals(m.mediaType, MEDIA_TYPE.DOCKER_MANIFEST);
    assertEquals(m.layers.map((l) => l.mediaType), [MEDIA_TYPE.DOCKER_LAYER]);
  }
  const one = await flatten(store, store, {
    reference: "multi",
    tag: "arm-flat",
    platform: "linux/arm64",
  });
  assertEquals(one.images.length, 1);
  assertEquals(one.images[0].platform, "linux/arm64");
});

Deno.test("flatten() from the real registry to the real registry: skopeo sees one layer", async () => {
  await using reg = await startRegistry({ mode: "anonymous" });
  await using dir = await tempDir();
  const layers = await whiteoutLayers(dir.path);
  const src = new RegistryStore(`${reg.host}/app:1`, { access: "push" });
  await imageOf(src, layers, "1");
  const dst = new RegistryStore(`${reg.host}/app-flat:1`, { access: "push" });
  const result = await flatten(src, dst);
  assertEquals(result.destination, `${reg.host}/app-flat:1`);
  const inspect = JSON.parse(
    await run("skopeo", [
      "inspect",
      "--tls-verify=false",
      `docker://${reg.host}/app-flat:1`,
    ]),
  );
  assertEquals(inspect.Layers.length, 1);
  assertEquals(inspect.Digest, result.descriptor.digest);
  assertEquals(inspect.Env, ["PATH=/bin"]);
  // Its filesystem is the original's, as umoci unpacks both.
  for (const [name, tag] of [["app", "orig"], ["app-flat", "flat"]]) {
    await run("skopeo", [
      "--insecure-policy",
      "copy",
      "--src-tls-verify=false",
      `docker://${reg.host}/${name}:1`,
      `oci:${dir.path}/oci:${tag}`,
    ]);
  }
  assertEquals(
    await readTree(
      await umociUnpack(`${dir.path}/oci`, "flat", `${dir.path}/b`),
    ),
    await readTree(
      await umociUnpack(`${dir.path}/oci`, "orig", `${dir.path}/a`),
    ),
  );
});
