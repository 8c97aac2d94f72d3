// Builds the benchmark image as an OCI image layout on disk and checks
// pulled layouts. Private helper of bench/e2e.ts.
//
// The image: N layers, each a gzip'ed one-file tar of random (incompressible)
// bytes, a config whose `diff_ids` match, an OCI manifest, and `index.json`
// naming it with `org.opencontainers.image.ref.name`. Layers are generated
// and written in 1 MiB chunks, so memory stays flat whatever their size.

import { createHash } from "node:crypto";
import { randomStream, tarFile } from "../test_support/tar.ts";

const MiB = 1024 * 1024;
const encoder = new TextEncoder();

/** The image the benchmark pushes and pulls. */
export interface BenchImage {
  /** The layout's directory. */
  dir: string;
  /** Its tag in `index.json` (and in the registry). */
  tag: string;
  /** Manifest digest, media type, size and bytes. */
  manifest: { digest: string; mediaType: string; size: number; text: string };
  /** Config descriptor. */
  config: { digest: string; size: number };
  /** Layer descriptors, in manifest order. */
  layers: { digest: string; size: number }[];
  /** Config and layer bytes added up. */
  totalBytes: number;
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await file.write(bytes.subarray(off));
}

/**
 * Writes one layer (`tar.gz` of `size` random bytes) into `blobsDir` and
 * returns its digest, compressed size and `diff_id`.
 */
async function writeLayer(
  blobsDir: string,
  index: number,
  size: number,
): Promise<{ digest: string; size: number; diffId: string }> {
  const tmp = `${blobsDir}/.layer-${index}.tmp`;
  const tarHash = createHash("sha256");
  const gzHash = createHash("sha256");
  const gz = new CompressionStream("gzip");
  const writer = gz.writable.getWriter();
  let gzSize = 0;
  const file = await Deno.open(tmp, {
    write: true,
    create: true,
    truncate: true,
  });
  const draining = (async () => {
    try {
      for await (const chunk of gz.readable) {
        gzHash.update(chunk);
        gzSize += chunk.length;
        await writeAll(file, chunk);
      }
    } finally {
      file.close();
    }
  })();
  for await (
    const chunk of tarFile(`layer-${index}.bin`, size, randomStream(size))
  ) {
    tarHash.update(chunk);
    await writer.write(chunk);
  }
  await writer.close();
  await draining;
  const hex = gzHash.digest("hex");
  await Deno.rename(tmp, `${blobsDir}/${hex}`);
  return {
    digest: `sha256:${hex}`,
    size: gzSize,
    diffId: `sha256:${tarHash.digest("hex")}`,
  };
}

async function writeJsonBlob(
  blobsDir: string,
  value: unknown,
): Promise<{ digest: string; size: number; text: string }> {
  const text = JSON.stringify(value);
  const bytes = encoder.encode(text);
  const hex = sha256Hex(bytes);
  await Deno.writeFile(`${blobsDir}/${hex}`, bytes);
  return { digest: `sha256:${hex}`, size: bytes.length, text };
}

/**
 * Generates the benchmark image into a new OCI layout at `dir`.
 *
 * @param dir Where the layout goes (created).
 * @param layerCount How many layers.
 * @param layerBytes Random bytes per layer.
 * @param tag The tag written into `index.json`.
 * @returns What was written.
 */
export async function buildLayout(
  dir: string,
  layerCount: number,
  layerBytes: number,
  tag: string,
): Promise<BenchImage> {
  const blobsDir = `${dir}/blobs/sha256`;
  await Deno.mkdir(blobsDir, { recursive: true });
  await Deno.writeTextFile(
    `${dir}/oci-layout`,
    JSON.stringify({ imageLayoutVersion: "1.0.0" }),
  );
  const layers = [];
  for (let i = 0; i < layerCount; i++) {
    layers.push(await writeLayer(blobsDir, i, layerBytes));
  }
  const config = await writeJsonBlob(blobsDir, {
    architecture: "amd64",
    os: "linux",
    config: { Env: ["PATH=/usr/bin:/bin"] },
    rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) },
    history: layers.map((_, i) => ({ created_by: `bench layer ${i}` })),
  });
  const mediaType = "application/vnd.oci.image.manifest.v1+json";
  const manifest = await writeJsonBlob(blobsDir, {
    schemaVersion: 2,
    mediaType,
    config: {
      mediaType: "application/vnd.oci.image.config.v1+json",
      digest: config.digest,
      size: config.size,
    },
    layers: layers.map((l) => ({
      mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
      digest: l.digest,
      size: l.size,
    })),
  });
  await Deno.writeTextFile(
    `${dir}/index.json`,
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [{
        mediaType,
        digest: manifest.digest,
        size: manifest.size,
        annotations: { "org.opencontainers.image.ref.name": tag },
      }],
    }),
  );
  return {
    dir,
    tag,
    manifest: { ...manifest, mediaType },
    config: { digest: config.digest, size: config.size },
    layers: layers.map(({ digest, size }) => ({ digest, size })),
    totalBytes: config.size + layers.reduce((n, l) => n + l.size, 0),
  };
}

/** Hashes a file in 1 MiB reads; returns `sha256:<hex>` and its size. */
export async function hashFile(
  path: string,
): Promise<{ digest: string; size: number }> {
  const hash = createHash("sha256");
  const buf = new Uint8Array(MiB);
  let size = 0;
  using file = await Deno.open(path);
  for (;;) {
    const n = await file.read(buf);
    if (n === null) break;
    hash.update(buf.subarray(0, n));
    size += n;
  }
  return { digest: `sha256:${hash.digest("hex")}`, size };
}

async function checkBlob(
  dir: string,
  digest: string,
  size: number,
): Promise<void> {
  const path = `${dir}/blobs/sha256/${digest.slice("sha256:".length)}`;
  const got = await hashFile(path);
  if (got.digest !== digest || got.size !== size) {
    throw new Error(
      `${path}: ${got.digest} (${got.size} B), expected ${digest} (${size} B)`,
    );
  }
}

/**
 * Checks that a pulled layout holds the image: every blob present with the
 * right digest and size and, unless `blobsOnly`, an `index.json` that
 * names the manifest.
 *
 * @throws {Error} On the first difference.
 */
export async function verifyLayout(
  dir: string,
  image: BenchImage,
  options: { blobsOnly?: boolean } = {},
): Promise<void> {
  if (!options.blobsOnly) {
    const index = JSON.parse(await Deno.readTextFile(`${dir}/index.json`)) as {
      manifests?: { digest?: string }[];
    };
    if (!index.manifests?.some((m) => m.digest === image.manifest.digest)) {
      throw new Error(
        `${dir}/index.json does not list ${image.manifest.digest}`,
      );
    }
  }
  await checkBlob(dir, image.manifest.digest, image.manifest.size);
  await checkBlob(dir, image.config.digest, image.config.size);
  for (const l of image.layers) await checkBlob(dir, l.digest, l.size);
}
