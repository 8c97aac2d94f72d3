// copy() between every pair of stores — the real registry (Debian's
// docker-registry), an OCI layout, an OCI archive, a docker archive and
// memory — and back, for a multi-layer image and a two-platform index:
// every manifest and blob digest comes back unchanged.

import { assert, assertEquals } from "@std/assert";
import { gzipSync } from "node:zlib";
import { digestOf } from "../ref/digest.ts";
import { type Descriptor, MEDIA_TYPE } from "../ref/media_types.ts";
import { OciLayout } from "../layout/oci_layout.ts";
import { RegistryStore } from "../registry/store.ts";
import { openStore } from "./transports.ts";
import { copy } from "./copy.ts";
import { MemoryStore } from "./memory_store.ts";
import type { ImageStore, ReadOnlyImageStore } from "./store.ts";
import { startRegistry } from "../../test_support/real_registry.ts";
import { tarOf } from "../../test_support/tar.ts";

const enc = new TextEncoder();

/** Pushes JSON as a blob or manifest; returns its descriptor. */
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

/** An image of `layers` gzip'ed tar layers for one platform. */
async function putImage(
  store: ImageStore,
  arch: string,
  layers: number,
  tag?: string,
): Promise<Descriptor> {
  const layerDescs: Descriptor[] = [];
  const diffIds: string[] = [];
  for (let i = 0; i < layers; i++) {
    const content = crypto.getRandomValues(new Uint8Array(2048 + i));
    const tar = await tarOf(`file-${arch}-${i}.bin`, content);
    const gz = gzipSync(tar);
    diffIds.push(digestOf(tar));
    const d = {
      mediaType: MEDIA_TYPE.OCI_LAYER_GZIP,
      digest: digestOf(gz),
      size: gz.byteLength,
    };
    await store.push(d, gz);
    layerDescs.push(d);
  }
  const config = await putJson(store, MEDIA_TYPE.OCI_CONFIG, {
    architecture: arch,
    os: "linux",
    config: { Env: ["A=1"] },
    rootfs: { type: "layers", diff_ids: diffIds },
  });
  return await putJson(store, MEDIA_TYPE.OCI_MANIFEST, {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.OCI_MANIFEST,
    config,
    layers: layerDescs,
  }, tag);
}

/** Every digest reachable from a root, by walking the store. */
async function digestsOf(
  store: ReadOnlyImageStore,
  reference: string,
): Promise<string[]> {
  const out: string[] = [];
  const visit = async (target: string | Descriptor) => {
    const { descriptor, manifest } = await store.fetchManifest(target);
    out.push(descriptor.digest);
    if ("manifests" in manifest) {
      for (const d of manifest.manifests) await visit(d);
    } else if ("config" in manifest) {
      for (const d of [manifest.config, ...manifest.layers]) {
        // Every blob reads back, verified.
        await new Response(await store.fetch(d)).arrayBuffer();
        out.push(d.digest);
      }
    }
  };
  await visit(reference);
  return out.sort();
}

type Kind = "registry" | "oci" | "oci-archive" | "docker-archive" | "memory";
const KINDS: Kind[] = [
  "registry",
  "oci",
  "oci-archive",
  "docker-archive",
  "memory",
];

Deno.test({
  name:
    "copy() moves an image and a two-platform index through every pair of stores, digests unchanged",
  sanitizeResources: false,
  async fn(t) {
    await using reg = await startRegistry({ mode: "anonymous" });
    const tmp = await Deno.makeTempDir({ prefix: "copy-pairs-" });
    let n = 0;
    const open = async (kind: Kind, tag: string): Promise<ImageStore> => {
      const id = `s${++n}`;
      switch (kind) {
        case "registry":
          return new RegistryStore(`${reg.host}/pairs/${id}:${tag}`, {
            access: "push",
          });
        case "memory":
          return new MemoryStore({ reference: tag });
        case "oci":
          return await openStore(`oci:${tmp}/${id}:${tag}`, { write: true });
        case "oci-archive":
          return await openStore(`oci-archive:${tmp}/${id}.tar:${tag}`, {
            write: true,
          });
        case "docker-archive":
          return await openStore(
            `docker-archive:${tmp}/${id}.tar:pairs/${id}:${tag}`,
            { write: true },
          );
      }
    };
    try {
      const origin = new MemoryStore();
      await putImage(origin, "amd64", 3, "img");
      const amd = await putImage(origin, "amd64", 2);
      const arm = await putImage(origin, "arm64", 2);
      await putJson(origin, MEDIA_TYPE.OCI_INDEX, {
        schemaVersion: 2,
        mediaType: MEDIA_TYPE.OCI_INDEX,
        manifests: [
          { ...amd, platform: { os: "linux", architecture: "amd64" } },
          { ...arm, platform: { os: "linux", architecture: "arm64" } },
        ],
      }, "idx");
      const want = {
        img: await digestsOf(origin, "img"),
        idx: await digestsOf(origin, "idx"),
      };
      for (const from of KINDS) {
        for (const to of KINDS) {
          for (const image of ["img", "idx"] as const) {
            await t.step(`${image}: ${from} → ${to} → memory`, async () => {
              const a = await open(from, image);
              await copy(origin, a, { reference: image });
              await a.close();
              const a2 = from === "memory" ? a : await reopen(a);
              const b = await open(to, image);
              await copy(a2, b);
              await b.close();
              const b2 = to === "memory" ? b : await reopen(b);
              const back = new MemoryStore();
              const result = await copy(b2, back, { tag: image });
              assertEquals(await digestsOf(back, image), want[image]);
              assertEquals(
                result.digest,
                (await origin.resolve(image)).digest,
              );
            });
          }
        }
      }
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

/** The same store opened again for reading (archives are read from disk). */
async function reopen(store: ImageStore): Promise<ImageStore> {
  const ref = store.reference;
  switch (store.kind) {
    case "registry":
      return store;
    case "oci-layout":
      return await OciLayout.open(store.name, { reference: ref });
    case "oci-archive":
    case "docker-archive":
      return await openStore(`${store.name}:${ref}`);
    default:
      assert(false, `unexpected ${store.kind}`);
  }
}
