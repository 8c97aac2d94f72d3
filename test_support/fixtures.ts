/**
 * Seeds a {@linkcode RealRegistry} with test images: OCI image layouts are
 * generated on disk (real gzip'ed tar layers of random bytes, configs with
 * matching `diff_ids`) and pushed with `skopeo copy`. Private test support:
 * not re-exported.
 *
 * Repositories:
 * - `fixtures/multi-layer`: an OCI image with 3 layers (1 KiB, 64 KiB,
 *   1 MiB of content), tags `v1` and `latest`, plus the artifact below
 *   under tag `sbom`.
 * - `fixtures/docker-image`: a 2-layer image with Docker schema 2 media
 *   types (manifest, config, layers), tag `v1`, pushed from skopeo's `dir:`
 *   format.
 * - `fixtures/multi-platform`: an OCI index of linux/amd64 and
 *   linux/arm64/v8 images, tag `v1` (`skopeo copy --all`).
 * - `fixtures/many-tags`: one small image under 1,000 tags `t0000` …
 *   `t0999` (one skopeo push, then raw `PUT /v2/.../manifests/<tag>`;
 *   `tagCount` makes fewer). Registry 2.8 lists them unsorted and unpaged.
 * - the artifact: an OCI manifest with `artifactType`
 *   `application/vnd.example.sbom+json`, the empty config
 *   (`application/vnd.oci.empty.v1+json`, `{}`) and `subject` pointing at
 *   `fixtures/multi-layer:v1`; skopeo 1.9 copies it unchanged.
 *
 * @module
 */

import { encodeBase64 } from "@std/encoding/base64";
import { STATUS_CODE } from "@std/http/status";
import { join } from "@std/path/posix/join";
import { createHash } from "node:crypto";
import { MEDIA_TYPE } from "../lib/ref/media_types.ts";
import type { RealRegistry } from "./real_registry.ts";
import { fillRandom, tarOf } from "./tar.ts";

/** A pushed single-platform image. */
export interface ImageFixture {
  /** Repository name. */
  repo: string;
  /** Its first tag. */
  tag: string;
  /** All tags pointing at it. */
  tags: string[];
  /** Manifest digest. */
  digest: string;
  /** Manifest media type. */
  mediaType: string;
  /** The manifest bytes as pushed (UTF-8 JSON). */
  manifest: string;
  /** Config digest. */
  config: string;
  /** Config size in bytes. */
  configSize: number;
  /** Layer digests, in manifest order. */
  layers: string[];
  /** Layer sizes in bytes, in manifest order. */
  layerSizes: number[];
}

/** One image of the multi-platform index. */
export interface PlatformFixture {
  /** Operating system. */
  os: string;
  /** Architecture. */
  architecture: string;
  /** Variant, e.g. `v8`. */
  variant?: string;
  /** The platform manifest's digest. */
  digest: string;
  /** Its config digest. */
  config: string;
  /** Its layer digests. */
  layers: string[];
}

/** Everything {@linkcode seedFixtures} pushed. */
export interface Fixtures {
  /** OCI image, 3 layers, tags `v1` and `latest`. */
  multiLayer: ImageFixture;
  /** Docker schema 2 image. */
  docker: ImageFixture;
  /** OCI index with two platforms. */
  index: {
    repo: string;
    tag: string;
    digest: string;
    mediaType: string;
    manifest: string;
    platforms: PlatformFixture[];
  };
  /** One image under 1,000 tags (sorted: `t0000` … `t0999`). */
  manyTags: { repo: string; tags: string[]; digest: string };
  /** OCI artifact whose `subject` is `multiLayer`. */
  artifact: {
    repo: string;
    tag: string;
    digest: string;
    manifest: string;
    subjectDigest: string;
    artifactType: string;
    config: string;
    layers: string[];
  };
  /** Wall-clock milliseconds each part took to push. */
  timings: Record<string, number>;
}

interface Blob {
  digest: string;
  size: number;
  bytes: Uint8Array;
}

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os: string; architecture: string; variant?: string };
  annotations?: Record<string, string>;
  artifactType?: string;
  data?: string;
}

const encoder = new TextEncoder();

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

function blobOf(bytes: Uint8Array): Blob {
  return { digest: sha256(bytes), size: bytes.length, bytes };
}

function jsonBlob(value: unknown): Blob {
  return blobOf(encoder.encode(JSON.stringify(value)));
}

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  fillRandom(out);
  return out;
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

interface Layer {
  blob: Blob;
  diffId: string;
}

async function makeLayer(name: string, size: number): Promise<Layer> {
  const tar = await tarOf(name, randomBytes(size));
  return { blob: blobOf(await gzip(tar)), diffId: sha256(tar) };
}

/** Where generated blobs are written. */
interface BlobSink {
  put(blob: Blob): Promise<void>;
}

/** A directory in skopeo's `dir:` format: `version`, `manifest.json`, blobs by hex. */
class DirLayout implements BlobSink {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
  }
  async init(): Promise<void> {
    await Deno.mkdir(this.dir, { recursive: true });
    await Deno.writeTextFile(
      join(this.dir, "version"),
      "Directory Transport Version: 1.1\n",
    );
  }
  async put(blob: Blob): Promise<void> {
    await Deno.writeFile(
      join(this.dir, blob.digest.slice("sha256:".length)),
      blob.bytes,
    );
  }
  async finish(manifest: Blob): Promise<void> {
    await Deno.writeFile(join(this.dir, "manifest.json"), manifest.bytes);
  }
}

/** An OCI image layout being written to disk. */
class Layout implements BlobSink {
  readonly dir: string;
  #refs: Descriptor[] = [];
  constructor(dir: string) {
    this.dir = dir;
  }
  async init(): Promise<void> {
    await Deno.mkdir(join(this.dir, "blobs", "sha256"), { recursive: true });
    await Deno.writeTextFile(
      join(this.dir, "oci-layout"),
      JSON.stringify({ imageLayoutVersion: "1.0.0" }),
    );
  }
  async put(blob: Blob): Promise<void> {
    await Deno.writeFile(
      join(this.dir, "blobs", "sha256", blob.digest.slice("sha256:".length)),
      blob.bytes,
    );
  }
  ref(name: string, mediaType: string, blob: Blob): void {
    this.#refs.push({
      mediaType,
      digest: blob.digest,
      size: blob.size,
      annotations: { "org.opencontainers.image.ref.name": name },
    });
  }
  async finish(): Promise<void> {
    await Deno.writeTextFile(
      join(this.dir, "index.json"),
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA_TYPE.OCI_INDEX,
        manifests: this.#refs,
      }),
    );
  }
}

interface BuiltImage {
  manifest: Blob;
  mediaType: string;
  config: Blob;
  layers: Layer[];
}

async function buildImage(
  layout: BlobSink,
  options: {
    docker?: boolean;
    sizes: number[];
    platform?: { os: string; architecture: string; variant?: string };
  },
): Promise<BuiltImage> {
  const docker = options.docker ?? false;
  const platform = options.platform ?? { os: "linux", architecture: "amd64" };
  const layers: Layer[] = [];
  for (const [i, size] of options.sizes.entries()) {
    layers.push(await makeLayer(`file-${i}.bin`, size));
  }
  const config = jsonBlob({
    architecture: platform.architecture,
    ...(platform.variant ? { variant: platform.variant } : {}),
    os: platform.os,
    config: { Env: ["PATH=/usr/bin:/bin"] },
    rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) },
    history: layers.map((_, i) => ({ created_by: `fixture layer ${i}` })),
  });
  const mediaType = docker
    ? MEDIA_TYPE.DOCKER_MANIFEST
    : MEDIA_TYPE.OCI_MANIFEST;
  const manifest = jsonBlob({
    schemaVersion: 2,
    mediaType,
    config: {
      mediaType: docker ? MEDIA_TYPE.DOCKER_CONFIG : MEDIA_TYPE.OCI_CONFIG,
      digest: config.digest,
      size: config.size,
    },
    layers: layers.map((l) => ({
      mediaType: docker ? MEDIA_TYPE.DOCKER_LAYER : MEDIA_TYPE.OCI_LAYER_GZIP,
      digest: l.blob.digest,
      size: l.blob.size,
    })),
  });
  for (const l of layers) await layout.put(l.blob);
  await layout.put(config);
  await layout.put(manifest);
  return { manifest, mediaType, config, layers };
}

function imageFixture(
  repo: string,
  tags: string[],
  image: BuiltImage,
): ImageFixture {
  return {
    repo,
    tag: tags[0],
    tags,
    digest: image.manifest.digest,
    mediaType: image.mediaType,
    manifest: new TextDecoder().decode(image.manifest.bytes),
    config: image.config.digest,
    configSize: image.config.size,
    layers: image.layers.map((l) => l.blob.digest),
    layerSizes: image.layers.map((l) => l.blob.size),
  };
}

/** Runs skopeo with an isolated auth file; throws with its stderr on failure. */
async function skopeo(
  registry: RealRegistry,
  args: string[],
): Promise<string> {
  const out = await new Deno.Command("skopeo", {
    args: ["--insecure-policy", ...args],
    env: { REGISTRY_AUTH_FILE: join(registry.dir, "skopeo-auth.json") },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(
      `skopeo ${args.join(" ")} failed: ${
        new TextDecoder().decode(out.stderr)
      }`,
    );
  }
  return text;
}

function credsArgs(registry: RealRegistry, flag: string): string[] {
  return registry.mode === "anonymous"
    ? []
    : [flag, `${registry.username}:${registry.password}`];
}

/**
 * Pushes `source` (a skopeo source such as `oci:DIR:NAME`) to `REPO:TAG` and checks the digest skopeo reports
 * (`--digestfile`) and the digest of the manifest it reads back
 * (`skopeo inspect --raw`) both equal `expected`.
 */
async function push(
  registry: RealRegistry,
  source: string,
  repo: string,
  tag: string,
  expected: string,
  extra: string[] = [],
): Promise<void> {
  const digestFile = join(
    registry.dir,
    `skopeo-${crypto.randomUUID()}.digest`,
  );
  await skopeo(registry, [
    "copy",
    "--quiet",
    "--dest-tls-verify=false",
    ...credsArgs(registry, "--dest-creds"),
    "--digestfile",
    digestFile,
    ...extra,
    source,
    `docker://${registry.host}/${repo}:${tag}`,
  ]);
  const reported = (await Deno.readTextFile(digestFile)).trim();
  if (reported !== expected) {
    throw new Error(
      `skopeo pushed ${repo}:${tag} as ${reported}, expected ${expected}`,
    );
  }
  const raw = await skopeo(registry, [
    "inspect",
    "--raw",
    "--tls-verify=false",
    ...credsArgs(registry, "--creds"),
    `docker://${registry.host}/${repo}:${tag}`,
  ]);
  const readBack = sha256(encoder.encode(raw));
  if (readBack !== expected) {
    throw new Error(
      `skopeo inspect --raw ${repo}:${tag} gave ${readBack}, expected ${expected}`,
    );
  }
}

/**
 * The `Authorization` value the harness itself uses on `repo`: Basic
 * credentials, exchanged at the token server for `actions` in token mode;
 * none in anonymous mode.
 */
export async function harnessAuthorization(
  registry: RealRegistry,
  repo: string,
  actions = "pull,push",
): Promise<string | undefined> {
  if (registry.mode === "anonymous") return undefined;
  const basic = `Basic ${
    encodeBase64(`${registry.username}:${registry.password}`)
  }`;
  if (registry.mode === "basic") return basic;
  const ts = registry.tokenServer!;
  const url = new URL(ts.url);
  url.searchParams.set("service", ts.service);
  url.searchParams.set("scope", `repository:${repo}:${actions}`);
  const res = await fetch(url, { headers: { authorization: basic } });
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`token server answered ${res.status}`);
  }
  const body = await res.json() as { token: string };
  return `Bearer ${body.token}`;
}

/** PUTs the same manifest under many tags, `concurrency` requests at a time. */
async function putTags(
  registry: RealRegistry,
  repo: string,
  tags: string[],
  manifest: Blob,
  mediaType: string,
  concurrency: number,
): Promise<void> {
  const authorization = await harnessAuthorization(registry, repo);
  const headers: Record<string, string> = { "content-type": mediaType };
  if (authorization) headers.authorization = authorization;
  let next = 0;
  const worker = async () => {
    while (next < tags.length) {
      const tag = tags[next++];
      const res = await fetch(
        `${registry.url}/v2/${repo}/manifests/${tag}`,
        {
          method: "PUT",
          headers,
          body: manifest.bytes as Uint8Array<ArrayBuffer>,
        },
      );
      const text = await res.text();
      if (res.status !== STATUS_CODE.Created) {
        throw new Error(`PUT ${repo}:${tag} answered ${res.status}: ${text}`);
      }
      const digest = res.headers.get("docker-content-digest");
      if (digest !== manifest.digest) {
        throw new Error(`PUT ${repo}:${tag} gave digest ${digest}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

const KiB = 1024;
const ARTIFACT_TYPE = "application/vnd.example.sbom+json";
const decoder = new TextDecoder();

/** Options of {@linkcode seedFixtures}. */
export interface SeedOptions {
  /** How many tags `fixtures/many-tags` gets. @default 1000 */
  tagCount?: number;
}

type Timed = <T>(name: string, f: () => Promise<T>) => Promise<T>;

/** (a) OCI image with 3 layers, under two tags. */
async function seedMultiLayer(
  registry: RealRegistry,
  root: string,
): Promise<ImageFixture> {
  const layout = new Layout(join(root, "multi-layer"));
  await layout.init();
  const image = await buildImage(layout, {
    sizes: [KiB, 64 * KiB, KiB * KiB],
  });
  layout.ref("v1", image.mediaType, image.manifest);
  await layout.finish();
  const repo = "fixtures/multi-layer";
  const tags = ["v1", "latest"];
  for (const tag of tags) {
    await push(
      registry,
      `oci:${layout.dir}:v1`,
      repo,
      tag,
      image.manifest.digest,
    );
  }
  return imageFixture(repo, tags, image);
}

/**
 * (b) Docker schema 2 image. skopeo's `oci:` transport only finds
 * descriptors with OCI media types in `index.json` ("no descriptor found for
 * reference"), so this one is written in skopeo's `dir:` format
 * (`manifest.json` and blobs named by hex digest), which it pushes unchanged.
 */
async function seedDocker(
  registry: RealRegistry,
  root: string,
): Promise<ImageFixture> {
  const layout = new DirLayout(join(root, "docker-image"));
  await layout.init();
  const image = await buildImage(layout, {
    docker: true,
    sizes: [2 * KiB, 32 * KiB],
  });
  await layout.finish(image.manifest);
  const repo = "fixtures/docker-image";
  await push(registry, `dir:${layout.dir}`, repo, "v1", image.manifest.digest);
  return imageFixture(repo, ["v1"], image);
}

/** (c) Two-platform OCI index, pushed with `skopeo copy --all`. */
async function seedIndex(
  registry: RealRegistry,
  root: string,
): Promise<Fixtures["index"]> {
  const layout = new Layout(join(root, "multi-platform"));
  await layout.init();
  const platforms = [
    { os: "linux", architecture: "amd64" },
    { os: "linux", architecture: "arm64", variant: "v8" },
  ];
  const images: BuiltImage[] = [];
  for (const platform of platforms) {
    images.push(await buildImage(layout, { sizes: [4 * KiB], platform }));
  }
  const indexBlob = jsonBlob({
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.OCI_INDEX,
    manifests: images.map((img, i) => ({
      mediaType: img.mediaType,
      digest: img.manifest.digest,
      size: img.manifest.size,
      platform: platforms[i],
    })),
  });
  await layout.put(indexBlob);
  layout.ref("v1", MEDIA_TYPE.OCI_INDEX, indexBlob);
  await layout.finish();
  const repo = "fixtures/multi-platform";
  await push(registry, `oci:${layout.dir}:v1`, repo, "v1", indexBlob.digest, [
    "--all",
  ]);
  return {
    repo,
    tag: "v1",
    digest: indexBlob.digest,
    mediaType: MEDIA_TYPE.OCI_INDEX,
    manifest: decoder.decode(indexBlob.bytes),
    platforms: images.map((img, i) => ({
      ...platforms[i],
      digest: img.manifest.digest,
      config: img.config.digest,
      layers: img.layers.map((l) => l.blob.digest),
    })),
  };
}

/**
 * (d) Many tags: one skopeo push (1,000 would take minutes), then the same
 * manifest bytes PUT under the other tags, 8 requests in flight.
 */
async function seedManyTags(
  registry: RealRegistry,
  root: string,
  tagCount: number,
): Promise<Fixtures["manyTags"]> {
  const layout = new Layout(join(root, "many-tags"));
  await layout.init();
  const image = await buildImage(layout, { sizes: [512] });
  const width = Math.max(4, String(tagCount - 1).length);
  const tags = Array.from(
    { length: tagCount },
    (_, i) => `t${String(i).padStart(width, "0")}`,
  );
  layout.ref(tags[0], image.mediaType, image.manifest);
  await layout.finish();
  const repo = "fixtures/many-tags";
  await push(
    registry,
    `oci:${layout.dir}:${tags[0]}`,
    repo,
    tags[0],
    image.manifest.digest,
  );
  await putTags(
    registry,
    repo,
    tags.slice(1),
    image.manifest,
    image.mediaType,
    8,
  );
  return { repo, tags, digest: image.manifest.digest };
}

/**
 * (e) OCI artifact whose `subject` is (a). skopeo 1.9 copies it unchanged
 * (`artifactType`, the empty config with `data`, and `subject` all kept;
 * the digest it reports equals ours), so no raw HTTP push is needed.
 */
async function seedArtifact(
  registry: RealRegistry,
  root: string,
  subject: ImageFixture,
): Promise<Fixtures["artifact"]> {
  const layout = new Layout(join(root, "artifact"));
  await layout.init();
  const empty = blobOf(encoder.encode("{}"));
  const sbom = jsonBlob({ spdxVersion: "SPDX-2.3", name: "fixture" });
  await layout.put(empty);
  await layout.put(sbom);
  const manifest = jsonBlob({
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.OCI_MANIFEST,
    artifactType: ARTIFACT_TYPE,
    config: {
      mediaType: MEDIA_TYPE.OCI_EMPTY,
      digest: empty.digest,
      size: empty.size,
      data: "e30=",
    },
    layers: [{
      mediaType: ARTIFACT_TYPE,
      digest: sbom.digest,
      size: sbom.size,
    }],
    subject: {
      mediaType: subject.mediaType,
      digest: subject.digest,
      size: encoder.encode(subject.manifest).length,
    },
    annotations: {
      "org.opencontainers.image.created": "2024-01-01T00:00:00Z",
    },
  });
  await layout.put(manifest);
  layout.ref("sbom", MEDIA_TYPE.OCI_MANIFEST, manifest);
  await layout.finish();
  const repo = subject.repo;
  await push(registry, `oci:${layout.dir}:sbom`, repo, "sbom", manifest.digest);
  return {
    repo,
    tag: "sbom",
    digest: manifest.digest,
    manifest: decoder.decode(manifest.bytes),
    subjectDigest: subject.digest,
    artifactType: ARTIFACT_TYPE,
    config: empty.digest,
    layers: [sbom.digest],
  };
}

/**
 * Generates and pushes the fixture images (see the module doc) with skopeo,
 * using the registry's credentials in basic and token modes. The parts are
 * pushed concurrently.
 *
 * @param registry A running registry from `startRegistry`.
 * @param options How many tags the many-tags repository gets.
 * @returns The repositories, tags and digests pushed.
 * @throws {Error} When skopeo or a push fails, or a digest differs.
 *
 * @example Seed a registry
 * ```ts
 * await using reg = await startRegistry({ mode: "basic" });
 * const fx = await seedFixtures(reg);
 * console.log(fx.multiLayer.digest);
 * ```
 */
export async function seedFixtures(
  registry: RealRegistry,
  options: SeedOptions = {},
): Promise<Fixtures> {
  const tagCount = options.tagCount ?? 1000;
  if (!Number.isInteger(tagCount) || tagCount < 1) {
    throw new RangeError(`Invalid tagCount: ${tagCount}`);
  }
  const root = await Deno.makeTempDir({ prefix: "fixtures-" });
  const timings: Record<string, number> = {};
  const timed: Timed = async (name, f) => {
    const t0 = performance.now();
    try {
      return await f();
    } finally {
      timings[name] = Math.round(performance.now() - t0);
    }
  };
  try {
    const settled = await Promise.allSettled([
      timed("multiLayer", () => seedMultiLayer(registry, root)).then(
        async (multiLayer) => ({
          multiLayer,
          artifact: await timed(
            "artifact",
            () => seedArtifact(registry, root, multiLayer),
          ),
        }),
      ),
      timed("docker", () => seedDocker(registry, root)),
      timed("index", () => seedIndex(registry, root)),
      timed("manyTags", () => seedManyTags(registry, root, tagCount)),
    ]);
    for (const s of settled) {
      if (s.status === "rejected") throw s.reason;
    }
    const [a, docker, index, manyTags] = settled.map((s) =>
      (s as PromiseFulfilledResult<unknown>).value
    ) as [
      { multiLayer: ImageFixture; artifact: Fixtures["artifact"] },
      ImageFixture,
      Fixtures["index"],
      Fixtures["manyTags"],
    ];
    return { ...a, docker, index, manyTags, timings };
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}
