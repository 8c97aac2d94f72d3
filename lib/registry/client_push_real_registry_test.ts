// The write side of the client against the real registry (Debian's
// docker-registry, distribution 2.8) in three auth modes, read back by a
// peer: skopeo inspects and copies what the client pushed.

import { assert, assertEquals, assertMatch, assertRejects } from "@std/assert";
import { createHash } from "node:crypto";
import {
  type BlobSource,
  createClient,
  type RegistryClientV2,
} from "./client.ts";
import { AuthenticationError, NotFoundError } from "../errors.ts";
import {
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
  MEDIA_TYPE,
} from "../ref/media_types.ts";
import {
  type AuthMode,
  type RealRegistry,
  startRegistry,
} from "../../test_support/real_registry.ts";

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

function randomBytes(size: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) {
    crypto.getRandomValues(out.subarray(i, Math.min(size, i + 65536)));
  }
  return out;
}

/** A gzip'ed layer of random content, and the digest of that content (its diff_id). */
async function gzipLayer(
  size: number,
): Promise<{ bytes: Uint8Array; diffId: string }> {
  const content = randomBytes(size);
  const bytes = await new Response(
    new Blob([content]).stream().pipeThrough(new CompressionStream("gzip")),
  ).bytes();
  return { bytes, diffId: sha256(content) };
}

function streamOf(
  bytes: Uint8Array,
  piece = 10_000,
): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.byteLength) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + piece));
      offset += piece;
    },
  });
}

async function skopeo(reg: RealRegistry, args: string[]): Promise<Uint8Array> {
  const out = await new Deno.Command("skopeo", {
    args: ["--insecure-policy", ...args],
    env: { REGISTRY_AUTH_FILE: `${reg.dir}/skopeo-push-auth.json` },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(
    out.code,
    0,
    `skopeo ${args[0]} failed: ${new TextDecoder().decode(out.stderr)}`,
  );
  return out.stdout;
}

function creds(reg: RealRegistry, flag: string): string[] {
  return reg.password ? [flag, `${reg.username}:${reg.password}`] : [];
}

/** Digest of the manifest skopeo reads raw. */
async function skopeoRawDigest(
  reg: RealRegistry,
  ref: string,
): Promise<string> {
  const raw = await skopeo(reg, [
    "inspect",
    "--raw",
    "--tls-verify=false",
    ...(reg.password ? creds(reg, "--creds") : ["--no-creds"]),
    `docker://${reg.host}/${ref}`,
  ]);
  return sha256(raw);
}

/** Copies to an OCI layout; returns the digest its index.json points at. */
async function skopeoCopy(
  reg: RealRegistry,
  ref: string,
  all: boolean,
): Promise<{ digest: string; blobs: Set<string> }> {
  const dir = await Deno.makeTempDir({ prefix: "push-oci-" });
  try {
    await skopeo(reg, [
      "copy",
      ...(all ? ["--all"] : []),
      "--src-tls-verify=false",
      ...(reg.password ? creds(reg, "--src-creds") : ["--src-no-creds"]),
      `docker://${reg.host}/${ref}`,
      `oci:${dir}:copied`,
    ]);
    const index = JSON.parse(await Deno.readTextFile(`${dir}/index.json`));
    const blobs = new Set<string>();
    for await (const e of Deno.readDir(`${dir}/blobs/sha256`)) {
      blobs.add(`sha256:${e.name}`);
    }
    return { digest: index.manifests[0].digest, blobs };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

interface PushedImage {
  manifest: ImageManifest;
  digest: string;
  /** Config and layers, with a way to produce their content again. */
  blobs: { digest: string; size: number; source: () => BlobSource }[];
}

/** An OCI image config with the layers' diff_ids. */
function configFor(architecture: string, diffIds: string[]): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({
    architecture,
    os: "linux",
    config: {},
    rootfs: { type: "layers", diff_ids: diffIds },
  }));
}

for (const mode of ["anonymous", "basic", "token"] as AuthMode[]) {
  Deno.test(`client pushes what skopeo reads back from the real registry (${mode} auth)`, async (t) => {
    await using reg = await startRegistry({ mode });
    const auth = reg.password
      ? { username: reg.username!, password: reg.password }
      : {};
    const client = (repo: string): RegistryClientV2 =>
      createClient({
        repo: `${reg.host}/${repo}`,
        useDefaultCredentials: false,
        ...auth,
      });
    const c = client("push/app");
    const layer1 = await gzipLayer(1024 * 1024 + 17);
    const layer2 = await gzipLayer(300_000);
    const layer3 = await gzipLayer(2_000);
    const diffIds = [layer1.diffId, layer2.diffId, layer3.diffId];
    const [big, medium, small] = [layer1.bytes, layer2.bytes, layer3.bytes];
    const file = await Deno.makeTempFile({ prefix: "push-layer-" });
    await Deno.writeFile(file, big);
    let amd64: PushedImage;
    let indexDigest = "";

    try {
      if (mode === "token") {
        await t.step(
          "an anonymous push is refused with a typed, clear error",
          async () => {
            const anonymous = createClient({
              repo: `${reg.host}/push/app`,
              useDefaultCredentials: false,
            });
            const err = await assertRejects(
              () => anonymous.blobUpload(small),
              AuthenticationError,
            );
            assertEquals(err.status, 401);
            assertMatch(
              err.message,
              /^Cannot push blob to "push\/app": registry returned 401 UNAUTHORIZED/,
            );
            await assertRejects(
              () =>
                anonymous.putManifest("v1", {
                  schemaVersion: 2,
                  mediaType: MEDIA_TYPE.OCI_INDEX,
                  manifests: [],
                }),
              AuthenticationError,
            );
          },
        );
      }

      await t.step(
        "an image: a file layer, a chunked stream layer, a small layer, config, manifest",
        async () => {
          await reg.flushAccessLog();
          const before = reg.accessLog().length;
          const l1 = await c.blobUpload(file);
          const l2 = await c.blobUpload(streamOf(medium), {
            chunkSize: 64 * 1024,
          });
          const l3 = await c.blobUpload(small);
          assertEquals(
            [l1, l2, l3].map((r) => r.digest),
            [sha256(big), sha256(medium), sha256(small)],
          );
          const layers: Descriptor[] = [l1, l2, l3].map((r) => ({
            mediaType: MEDIA_TYPE.OCI_LAYER,
            digest: r.digest,
            size: r.size,
          }));
          const config = configFor("amd64", diffIds);
          const cfg = await c.blobUpload(config);
          const manifest: ImageManifest = {
            schemaVersion: 2,
            mediaType: MEDIA_TYPE.OCI_MANIFEST,
            config: {
              mediaType: MEDIA_TYPE.OCI_CONFIG,
              digest: cfg.digest,
              size: cfg.size,
            },
            layers,
          };
          const pushed = await c.putManifest("v1", manifest);
          amd64 = {
            manifest,
            digest: pushed.digest,
            blobs: [
              { ...cfg, source: () => config },
              { ...l1, source: () => file },
              { ...l2, source: () => streamOf(medium) },
              { ...l3, source: () => small },
            ],
          };
          const log = (await reg.flushAccessLog()).slice(before);
          // The stream layer went in chunks smaller than the blob.
          const patches = log.filter((l) => l.startsWith("PATCH "));
          assertEquals(patches.length, Math.floor(medium.byteLength / 65536));
          assertEquals(
            await skopeoRawDigest(reg, "push/app:v1"),
            pushed.digest,
          );
          const copied = await skopeoCopy(reg, "push/app:v1", false);
          assertEquals(copied.digest, pushed.digest);
          for (const b of amd64.blobs) assert(copied.blobs.has(b.digest));
        },
      );

      await t.step(
        "a repeat push sends one HEAD per blob and the manifest PUT",
        async () => {
          await reg.flushAccessLog();
          const before = reg.accessLog().length;
          for (const b of amd64.blobs) {
            const r = await c.blobUpload(b.source(), { digest: b.digest });
            assertEquals(r.skipped, true);
          }
          await c.putManifest("v1", amd64.manifest);
          const log = (await reg.flushAccessLog()).slice(before);
          assertEquals(
            log.map((l) => l.split(" ")[0]),
            ["HEAD", "HEAD", "HEAD", "HEAD", "PUT"],
          );
        },
      );

      await t.step("a two-platform index", async () => {
        const config = configFor("arm64", diffIds);
        const cfg = await c.blobUpload(config);
        const arm64: ImageManifest = {
          ...amd64.manifest,
          config: {
            ...amd64.manifest.config,
            digest: cfg.digest,
            size: cfg.size,
          },
        };
        const bytes = new TextEncoder().encode(JSON.stringify(arm64));
        const arm = await c.putManifest(sha256(bytes), bytes);
        const index: ImageIndex = {
          schemaVersion: 2,
          mediaType: MEDIA_TYPE.OCI_INDEX,
          manifests: [
            {
              mediaType: MEDIA_TYPE.OCI_MANIFEST,
              digest: amd64.digest,
              size: new TextEncoder().encode(JSON.stringify(amd64.manifest))
                .byteLength,
              platform: { os: "linux", architecture: "amd64" },
            },
            {
              mediaType: MEDIA_TYPE.OCI_MANIFEST,
              digest: arm.digest,
              size: arm.size,
              platform: { os: "linux", architecture: "arm64", variant: "v8" },
            },
          ],
        };
        const pushed = await c.putManifest("multi", index);
        indexDigest = pushed.digest;
        assertEquals(pushed.mediaType, MEDIA_TYPE.OCI_INDEX);
        assertEquals(
          await skopeoRawDigest(reg, "push/app:multi"),
          pushed.digest,
        );
        const copied = await skopeoCopy(reg, "push/app:multi", true);
        assertEquals(copied.digest, pushed.digest);
        assert(copied.blobs.has(arm.digest));
        assert(copied.blobs.has(amd64.digest));
        const one = await c.getManifest("multi", {
          platform: { os: "linux", architecture: "arm64" },
        });
        assertEquals(one.digest, arm.digest);
      });

      await t.step(
        "a mount between two repositories creates no new upload",
        async () => {
          const other = client("push/other");
          await reg.flushAccessLog();
          const before = reg.accessLog().length;
          for (const b of amd64.blobs) {
            assertEquals(await other.mountBlob(b.digest, "push/app"), {
              digest: b.digest,
              mounted: true,
            });
          }
          const mounted = await other.blobUpload(file, {
            mountFrom: "push/app",
          });
          assertEquals(mounted.mounted, true);
          const log = (await reg.flushAccessLog()).slice(before)
            .filter((l) => l.includes("/push/other/"));
          assert(
            log.every((l) => l.startsWith("POST ") && l.includes("mount=")),
            log.join("\n"),
          );
          assertEquals(log.length, amd64.blobs.length + 1);
          await other.putManifest("v1", amd64.manifest);
          assertEquals(
            await skopeoRawDigest(reg, "push/other:v1"),
            amd64.digest,
          );
        },
      );

      await t.step("deleted manifests and blobs are gone", async () => {
        await c.deleteManifest(indexDigest);
        await assertRejects(() => c.headManifest(indexDigest), NotFoundError);
        // By tag: registry 2.8 refuses tag deletes; the client resolves it.
        await c.deleteManifest("v1");
        await assertRejects(() => c.headManifest(amd64.digest), NotFoundError);
        await assertRejects(() => c.getManifest("v1"), NotFoundError);
        await c.deleteBlob(sha256(small));
        await assertRejects(() => c.headBlob(sha256(small)), NotFoundError);
        await assertRejects(() => c.deleteBlob(sha256(small)), NotFoundError);
      });
    } finally {
      await Deno.remove(file);
    }
  });
}
