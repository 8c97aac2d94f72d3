// pullImage, pushImage and copyImage against the real registry (Debian's
// docker-registry, distribution 2.8) seeded by skopeo, with skopeo as the
// peer that reads what pull wrote and writes what push reads.

import { assert, assertEquals, assertRejects } from "@std/assert";
import { createHash } from "node:crypto";
import { createClient } from "../registry/client.ts";
import { NotFoundError, RegistryError } from "../errors.ts";
import { MEDIA_TYPE } from "../ref/media_types.ts";
import { OciLayout, REF_NAME_ANNOTATION } from "../layout/oci_layout.ts";
import {
  type RealRegistry,
  startRegistry,
} from "../../test_support/real_registry.ts";
import { type Fixtures, seedFixtures } from "../../test_support/fixtures.ts";
import { copyImage } from "./copy.ts";
import type { ImageProgressEvent } from "../content/progress.ts";
import { pullImage } from "./pull.ts";
import { pushImage } from "./push.ts";
import { makeRandomImage } from "../../test_support/random_image.ts";

const dec = new TextDecoder();

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** Runs skopeo with an auth file of its own; returns stdout. */
async function skopeo(dir: string, args: string[]): Promise<string> {
  const out = await new Deno.Command("skopeo", {
    args: ["--insecure-policy", ...args],
    env: { REGISTRY_AUTH_FILE: `${dir}/skopeo-auth.json` },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(
    out.code,
    0,
    `skopeo ${args.join(" ")}: ${dec.decode(out.stderr)}`,
  );
  return dec.decode(out.stdout);
}

function creds(reg: RealRegistry, flag: string): string[] {
  return reg.username ? [flag, `${reg.username}:${reg.password}`] : [];
}

/** The digest of the manifest `ref` names, as skopeo reads it. */
async function skopeoDigest(
  tmp: string,
  reg: RealRegistry,
  ref: string,
): Promise<string> {
  const raw = await skopeo(tmp, [
    "inspect",
    "--raw",
    "--tls-verify=false",
    ...creds(reg, "--creds"),
    `docker://${reg.host}/${ref}`,
  ]);
  return sha256(new TextEncoder().encode(raw));
}

async function withTemp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "image-test-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("pullImage() writes layouts that skopeo pushes with the same digests", async (t) => {
  await using reg = await startRegistry({ mode: "anonymous" });
  const fx: Fixtures = await seedFixtures(reg, { tagCount: 5 });
  await withTemp(async (tmp) => {
    await t.step(
      "a single-platform image, tagged as the reference",
      async () => {
        const dir = `${tmp}/ml`;
        const events: ImageProgressEvent[] = [];
        const r = await pullImage(
          `${reg.url}/${fx.multiLayer.repo}:v1`,
          dir,
          { onProgress: (e) => events.push(e) },
        );
        assertEquals(r.digest, fx.multiLayer.digest);
        assertEquals(r.tag, "v1");
        assertEquals(r.blobs, 4);
        assertEquals(r.blobsCopied, 4);
        const size = fx.multiLayer.layerSizes.reduce((a, b) => a + b, 0) +
          fx.multiLayer.configSize;
        assertEquals(r.bytes, size);
        assertEquals(r.bytesTransferred, size);
        assertEquals(events[0].type, "plan");
        assertEquals(events.at(-1)!.type, "done");
        assertEquals(events.at(-1)!.totals.bytesDone, size);
        const layout = await OciLayout.open(dir);
        assertEquals((await layout.resolve("v1")).digest, fx.multiLayer.digest);
        assertEquals(
          dec.decode(await layout.readBlobBytes(fx.multiLayer.digest)),
          fx.multiLayer.manifest,
        );
        await skopeo(tmp, [
          "copy",
          "--quiet",
          "--dest-tls-verify=false",
          `oci:${dir}:v1`,
          `docker://${reg.host}/from-pull/ml:v1`,
        ]);
        assertEquals(
          await skopeoDigest(tmp, reg, "from-pull/ml:v1"),
          fx.multiLayer.digest,
        );
        // A second pull finds every blob there already.
        const again = await pullImage(
          `${reg.url}/${fx.multiLayer.repo}:v1`,
          dir,
        );
        assertEquals(again.blobsExisting, 4);
        assertEquals(again.bytesTransferred, 0);
      },
    );

    await t.step("a whole index, and one platform of it", async () => {
      const dir = `${tmp}/index`;
      const ref = `${reg.url}/${fx.index.repo}:v1`;
      const all = await pullImage(ref, dir);
      assertEquals(all.digest, fx.index.digest);
      assertEquals(all.manifests, 3);
      await skopeo(tmp, [
        "copy",
        "--quiet",
        "--all",
        "--dest-tls-verify=false",
        `oci:${dir}:v1`,
        `docker://${reg.host}/from-pull/index:v1`,
      ]);
      assertEquals(
        await skopeoDigest(tmp, reg, "from-pull/index:v1"),
        fx.index.digest,
      );
      const arm = fx.index.platforms[1];
      const one = await pullImage(ref, `${dir}:arm64`, {
        platform: "linux/arm64",
      });
      assertEquals(one.digest, arm.digest);
      assertEquals(one.platform, "linux/arm64/v8");
      const entry = await (await OciLayout.open(dir)).resolve("arm64");
      assertEquals(entry.digest, arm.digest);
      assertEquals(entry.platform, {
        os: "linux",
        architecture: "arm64",
        variant: "v8",
      });
      const err = await assertRejects(
        () => pullImage(ref, `${tmp}/none`, { platform: "linux/s390x" }),
        RegistryError,
      );
      assertEquals(
        err.message,
        `Cannot select platform linux/s390x from "${reg.host}/${fx.index.repo}:v1": the index has linux/amd64, linux/arm64/v8`,
      );
    });

    await t.step("referrers come along as untagged entries", async () => {
      const dir = `${tmp}/with-referrers`;
      // Registry 2.8 has no referrers API: publish the fallback index.
      const c = createClient({ repo: `${reg.url}/${fx.multiLayer.repo}` });
      const artifact = await c.getManifest(fx.artifact.digest);
      const fallback = JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA_TYPE.OCI_INDEX,
        manifests: [{
          mediaType: artifact.mediaType,
          digest: artifact.digest,
          size: artifact.size,
          artifactType: fx.artifact.artifactType,
        }],
      });
      const put = await fetch(
        `${reg.url}/v2/${fx.multiLayer.repo}/manifests/${
          fx.multiLayer.digest.replace(":", "-")
        }`,
        {
          method: "PUT",
          headers: { "content-type": MEDIA_TYPE.OCI_INDEX },
          body: fallback,
        },
      );
      await put.body?.cancel();
      assertEquals(put.status, 201);
      const r = await pullImage(`${reg.url}/${fx.multiLayer.repo}:v1`, dir, {
        referrers: true,
      });
      assertEquals(r.referrers, 1);
      assertEquals(r.blobs, 6);
      const index = await (await OciLayout.open(dir)).readIndex();
      assertEquals(
        index.manifests.map((d) => [
          d.digest,
          d.annotations?.[REF_NAME_ANNOTATION],
          d.artifactType,
        ]),
        [
          [fx.multiLayer.digest, "v1", undefined],
          [fx.artifact.digest, undefined, fx.artifact.artifactType],
        ],
      );
    });

    await t.step("a missing tag fails with NotFoundError", async () => {
      await assertRejects(
        () =>
          pullImage(`${reg.url}/${fx.multiLayer.repo}:nope`, `${tmp}/missing`),
        NotFoundError,
      );
    });
  });
});

Deno.test("pushImage() and copyImage() between an anonymous and a token-auth registry keep every digest", async (t) => {
  await using src = await startRegistry({ mode: "anonymous" });
  await using dst = await startRegistry({ mode: "token" });
  const fx: Fixtures = await seedFixtures(src, { tagCount: 5 });
  const auth = { username: dst.username!, password: dst.password! };
  const to = (ref: string) => `${dst.url}/${ref}`;
  const from = (ref: string) => `${src.url}/${ref}`;
  await withTemp(async (tmp) => {
    await t.step("push: a layout written by skopeo", async () => {
      const dir = `${tmp}/skopeo-ml`;
      await skopeo(tmp, [
        "copy",
        "--quiet",
        "--src-tls-verify=false",
        `docker://${src.host}/${fx.multiLayer.repo}:v1`,
        `oci:${dir}:v1`,
      ]);
      const entry = await (await OciLayout.open(dir)).resolve("v1");
      dst.tokenServer!.requests.length = 0;
      const r = await pushImage(`${dir}:v1`, to("from-skopeo/ml:v1"), auth);
      // One token, for pull,push from the start: no pull token first.
      assertEquals(
        dst.tokenServer!.requests.map((q) => q.scopes),
        [["repository:from-skopeo/ml:pull,push"]],
      );
      assertEquals(r.digest, entry.digest);
      assertEquals(r.digest, fx.multiLayer.digest);
      assertEquals(r.blobsCopied, 4);
      assertEquals(await skopeoDigest(tmp, dst, "from-skopeo/ml:v1"), r.digest);

      const idx = `${tmp}/skopeo-index`;
      await skopeo(tmp, [
        "copy",
        "--quiet",
        "--all",
        "--src-tls-verify=false",
        `docker://${src.host}/${fx.index.repo}:v1`,
        `oci:${idx}:v1`,
      ]);
      const all = await pushImage(idx, to("from-skopeo/index:v1"), {
        ...auth,
        tag: "v1",
      });
      assertEquals(all.digest, fx.index.digest);
      assertEquals(all.manifests, 3);
      assertEquals(
        await skopeoDigest(tmp, dst, "from-skopeo/index:v1"),
        fx.index.digest,
      );
    });

    await t.step(
      "copy: images, a docker image, an index whole and filtered",
      async () => {
        const ml = await copyImage(
          from(`${fx.multiLayer.repo}:v1`),
          to("copied/ml:v1"),
          auth,
        );
        assertEquals(ml.digest, fx.multiLayer.digest);
        assertEquals(ml.blobsCopied, 4);
        const docker = await copyImage(
          from(`${fx.docker.repo}:v1`),
          to("copied/docker:v1"),
          { dst: auth },
        );
        assertEquals(docker.digest, fx.docker.digest);
        assertEquals(docker.mediaType, MEDIA_TYPE.DOCKER_MANIFEST);
        const index = await copyImage(
          from(`${fx.index.repo}:v1`),
          to("copied/index:v1"),
          auth,
        );
        assertEquals(index.digest, fx.index.digest);
        const c = createClient({ repo: to("copied/index"), ...auth });
        for (const p of fx.index.platforms) {
          assertEquals((await c.headManifest(p.digest)).digest, p.digest);
        }
        const amd = await copyImage(
          from(`${fx.index.repo}:v1`),
          to("copied/index-amd64:v1"),
          { ...auth, platform: "linux/amd64" },
        );
        assertEquals(amd.digest, fx.index.platforms[0].digest);
        assertEquals(amd.platform, "linux/amd64");
        assertEquals(amd.manifests, 1);
        for (
          const ref of [
            ["copied/ml:v1", fx.multiLayer.digest],
            ["copied/docker:v1", fx.docker.digest],
            ["copied/index:v1", fx.index.digest],
            ["copied/index-amd64:v1", fx.index.platforms[0].digest],
          ]
        ) {
          assertEquals(await skopeoDigest(tmp, dst, ref[0]), ref[1]);
        }
      },
    );

    await t.step(
      "copy: what the destination has is skipped, or mounted within a registry",
      async () => {
        const again = await copyImage(
          from(`${fx.multiLayer.repo}:v1`),
          to("copied/ml:v2"),
          auth,
        );
        assertEquals(again.digest, fx.multiLayer.digest);
        assertEquals(again.bytesTransferred, 0);
        assertEquals(again.blobsCopied, 0);
        const mounted = await copyImage(
          to("copied/ml:v1"),
          to("mounted/ml:v1"),
          auth,
        );
        assertEquals(mounted.digest, fx.multiLayer.digest);
        assertEquals(mounted.blobsMounted, 4);
        assertEquals(mounted.bytesTransferred, 0);
        const log = await dst.flushAccessLog();
        assert(
          log.some((l) =>
            l.startsWith("POST /v2/mounted/ml/blobs/uploads/?") &&
            l.includes("from=copied%2Fml")
          ),
        );
      },
    );

    await t.step("copy: referrers on request", async () => {
      const fallback = JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA_TYPE.OCI_INDEX,
        manifests: [{
          mediaType: MEDIA_TYPE.OCI_MANIFEST,
          digest: fx.artifact.digest,
          size: new TextEncoder().encode(fx.artifact.manifest).byteLength,
          artifactType: fx.artifact.artifactType,
        }],
      });
      const put = await fetch(
        `${src.url}/v2/${fx.multiLayer.repo}/manifests/${
          fx.multiLayer.digest.replace(":", "-")
        }`,
        {
          method: "PUT",
          headers: { "content-type": MEDIA_TYPE.OCI_INDEX },
          body: fallback,
        },
      );
      await put.body?.cancel();
      const r = await copyImage(
        from(`${fx.multiLayer.repo}:v1`),
        to("with-referrers/ml:v1"),
        { ...auth, referrers: true },
      );
      assertEquals(r.referrers, 1);
      const c = createClient({ repo: to("with-referrers/ml"), ...auth });
      const referrers = await c.getReferrers(fx.multiLayer.digest);
      assertEquals(referrers.manifests.map((d) => d.digest), [
        fx.artifact.digest,
      ]);
    });

    await t.step(
      "push: blobs go concurrently, progress interleaves",
      async () => {
        const dir = `${tmp}/random`;
        const digest = await makeRandomImage(dir, "v1", 4, 4 * 1024 * 1024);
        const events: ImageProgressEvent[] = [];
        const r = await pushImage(`${dir}:v1`, to("random/img:v1"), {
          ...auth,
          onProgress: (e) => events.push(e),
        });
        assertEquals(r.digest, digest);
        assertEquals(r.blobsCopied, 5);
        assert(r.maxBlobsActive > 1, `max in flight ${r.maxBlobsActive}`);
        // Progress of one layer arrives while another is still under way.
        const order = events
          .filter((e) => e.type === "blob-progress")
          .map((e) =>
            (e as { descriptor: { digest: string } }).descriptor.digest
          );
        let switches = 0;
        for (let i = 1; i < order.length; i++) {
          if (order[i] !== order[i - 1]) switches++;
        }
        assert(switches > 4, `progress switched blobs ${switches} times`);
        const serial = await pullImage(to("random/img:v1"), `${tmp}/serial`, {
          ...auth,
          concurrency: 1,
        });
        assertEquals(serial.maxBlobsActive, 1);
        assertEquals(serial.blobsCopied, 5);
      },
    );

    await t.step("an anonymous push to the token registry fails", async () => {
      await assertRejects(
        () =>
          copyImage(from(`${fx.multiLayer.repo}:v1`), to("denied/ml:v1"), {
            useDefaultCredentials: false,
          }),
        RegistryError,
      );
    });
  });
});
