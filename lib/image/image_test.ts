// The image operations against the in-process fake registry: corrupted
// blobs, cancellation, referrers through the referrers API, bad options;
// and the private helpers (the pool, `DIR:TAG`).

import {
  assert,
  assertEquals,
  assertRejects,
  assertStrictEquals,
  assertStringIncludes,
} from "@std/assert";
import { digestOf } from "../ref/digest.ts";
import { DigestMismatchError, NotFoundError } from "../errors.ts";
import { MEDIA_TYPE } from "../ref/media_types.ts";
import { OciLayout } from "../layout/oci_layout.ts";
import {
  type FakeRegistry,
  startFakeRegistry,
} from "../testing/fake_registry.ts";
import { hashedBytes } from "../../test_support/hashed_bytes.ts";
import { splitLayoutRef } from "./_clients.ts";
import { runPool } from "../content/_pool.ts";
import { copyImage } from "./copy.ts";
import { pullImage } from "./pull.ts";
import { pushImage } from "./push.ts";

/** Seeds an OCI image of the given layers; returns its manifest digest. */
function seedImage(
  reg: FakeRegistry,
  repo: string,
  tag: string,
  layers: (string | Uint8Array)[],
): { digest: string; layers: string[] } {
  const config = '{"architecture":"amd64","os":"linux"}';
  const configDigest = reg.seedBlob(repo, config);
  const layerDigests = layers.map((l) => reg.seedBlob(repo, l));
  const digest = reg.seedManifest(repo, tag, {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.OCI_MANIFEST,
    config: {
      mediaType: MEDIA_TYPE.OCI_CONFIG,
      digest: configDigest,
      size: config.length,
    },
    layers: layers.map((l, i) => ({
      mediaType: MEDIA_TYPE.OCI_LAYER,
      digest: layerDigests[i],
      size: typeof l === "string" ? l.length : l.byteLength,
    })),
  });
  return { digest, layers: layerDigests };
}

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) {
    crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  }
  return out;
}

async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "image-unit-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function listAll(dir: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    if (e.isDirectory) {
      out.push(...listAll(`${dir}/${e.name}`).map((n) => `${e.name}/${n}`));
    } else out.push(e.name);
  }
  return out.sort();
}

Deno.test("copyImage() refuses a corrupted blob and pushes no manifest", async () => {
  await using src = await startFakeRegistry();
  await using dst = await startFakeRegistry();
  const img = seedImage(src, "src", "v1", ["layer one", "layer two"]);
  src.faults.flipByte = {
    offset: 3,
    path: new RegExp(`/blobs/${img.layers[1]}`),
    method: "GET",
  };
  const err = await assertRejects(
    () =>
      copyImage(`${src.url}/src:v1`, `${dst.url}/dst:v1`, {
        useDefaultCredentials: false,
      }),
    DigestMismatchError,
  );
  assertStringIncludes(err.message, img.layers[1]);
  assertEquals(dst.getManifest("dst", "v1"), undefined);
  assertEquals(dst.getBlob(img.layers[1]), undefined);
});

Deno.test("pullImage() leaves no partial file behind on a corrupted blob", async () => {
  await using reg = await startFakeRegistry();
  const img = seedImage(reg, "src", "v1", ["aaaa", "bbbb"]);
  reg.faults.flipByte = {
    offset: 0,
    path: new RegExp(`/blobs/${img.layers[0]}`),
  };
  await withTemp(async (dir) => {
    const err = await assertRejects(
      () =>
        pullImage(`${reg.url}/src:v1`, `${dir}/out`, {
          useDefaultCredentials: false,
        }),
      DigestMismatchError,
    );
    assertStringIncludes(err.message, img.layers[0]);
    const files = listAll(`${dir}/out`);
    assert(!files.some((f) => f.includes(".tmp")), files.join(", "));
    assert(!files.includes(`blobs/sha256/${img.layers[0].slice(7)}`));
    assertEquals(await (await OciLayout.open(`${dir}/out`)).listTags(), []);
  });
});

Deno.test("pullImage() of a missing image creates no layout", async (t) => {
  await using reg = await startFakeRegistry();
  seedImage(reg, "src", "v1", ["x"]);
  await withTemp(async (dir) => {
    await t.step("in a missing directory", async () => {
      await assertRejects(
        () =>
          pullImage(`${reg.url}/src:nope`, `${dir}/out`, {
            useDefaultCredentials: false,
          }),
        NotFoundError,
      );
      await assertRejects(() => Deno.stat(`${dir}/out`), Deno.errors.NotFound);
    });
    await t.step("in an empty directory", async () => {
      await Deno.mkdir(`${dir}/empty`);
      await assertRejects(
        () =>
          pullImage(`${reg.url}/src:nope`, `${dir}/empty`, {
            useDefaultCredentials: false,
          }),
        NotFoundError,
      );
      assertEquals(listAll(`${dir}/empty`), []);
    });
  });
});

Deno.test("pullImage() stops on abort and removes the blob being written", async () => {
  await using reg = await startFakeRegistry();
  seedImage(reg, "big", "v1", [randomBytes(4 << 20), randomBytes(4 << 20)]);
  reg.faults.delayMs = 5;
  await withTemp(async (dir) => {
    const controller = new AbortController();
    const reason = new Error("stop here");
    assertStrictEquals(
      await assertRejects(
        () =>
          pullImage(`${reg.url}/big:v1`, `${dir}/out`, {
            useDefaultCredentials: false,
            concurrency: 2,
            signal: controller.signal,
            onProgress: (e) => {
              if (e.type === "blob-progress") controller.abort(reason);
            },
          }),
      ),
      reason,
    );
    const files = listAll(`${dir}/out`);
    assert(!files.some((f) => f.includes(".tmp")), files.join(", "));
  });
});

Deno.test("copyImage() copies referrers found through the referrers API", async () => {
  await using reg = await startFakeRegistry({ referrersApi: true });
  const img = seedImage(reg, "app", "v1", ["content"]);
  const subject = reg.getManifest("app", "v1")!;
  const empty = reg.seedBlob("app", "{}");
  const sbom = reg.seedBlob("app", '{"sbom":true}');
  const artifact = reg.seedManifest("app", digestOf("x"), {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.OCI_MANIFEST,
    artifactType: "application/vnd.example.sbom",
    config: { mediaType: MEDIA_TYPE.OCI_EMPTY, digest: empty, size: 2 },
    layers: [{
      mediaType: "application/json",
      digest: sbom,
      size: 13,
    }],
    subject: {
      mediaType: MEDIA_TYPE.OCI_MANIFEST,
      digest: img.digest,
      size: subject.bytes.byteLength,
    },
  });
  const r = await copyImage(`${reg.url}/app:v1`, `${reg.url}/mirror:v1`, {
    referrers: true,
    useDefaultCredentials: false,
  });
  assertEquals(r.referrers, 1);
  assertEquals(r.blobsMounted, 4);
  assert(reg.getManifest("mirror", artifact));
});

Deno.test("pullImage(), pushImage() and copyImage() hash every blob once on the client", async (t) => {
  await using a = await startFakeRegistry();
  await using b = await startFakeRegistry();
  const layer = randomBytes(1 << 20);
  seedImage(a, "src", "v1", [layer]);
  const options = { useDefaultCredentials: false };
  await withTemp(async (dir) => {
    // Each op reads the layer once, verified while it streams; the
    // manifest and the config (a few hundred bytes) are hashed a few times.
    const once = (hashed: number) =>
      assert(
        hashed >= layer.byteLength && hashed < layer.byteLength + 16_384,
        `hashed ${hashed} bytes for a layer of ${layer.byteLength}`,
      );
    await t.step("pull", async () => {
      once(
        await hashedBytes(() =>
          pullImage(`${a.url}/src:v1`, `${dir}/out`, options)
        ),
      );
    });
    await t.step("push", async () => {
      once(
        await hashedBytes(() =>
          pushImage(`${dir}/out`, `${b.url}/pushed:v1`, options)
        ),
      );
    });
    await t.step("copy", async () => {
      once(
        await hashedBytes(() =>
          copyImage(`${a.url}/src:v1`, `${b.url}/copied:v1`, options)
        ),
      );
    });
  });
  assert(b.getManifest("copied", "v1"));
});

Deno.test("copyImage() within one token registry asks for one token, with the destination's push scope up front", async () => {
  await using reg = await startFakeRegistry({ auth: "bearer" });
  seedImage(reg, "src", "v1", ["layer"]);
  const r = await copyImage(`${reg.url}/src:v1`, `${reg.url}/dst:v1`, {
    username: "user",
    password: "pass",
    useDefaultCredentials: false,
  });
  assertEquals(r.blobsMounted, 2);
  const scopes = reg.requests
    .filter((q) => q.path.startsWith("/token"))
    .map((q) => new URL(q.path, reg.url).searchParams.getAll("scope").sort());
  assertEquals(scopes, [[
    "repository:dst:pull,push",
    "repository:src:pull",
  ]]);
  assert(reg.getManifest("dst", "v1"));
});

Deno.test("image operations check their options first", async (t) => {
  await using reg = await startFakeRegistry();
  seedImage(reg, "src", "v1", ["x"]);
  const ref = `${reg.url}/src:v1`;
  await t.step("concurrency must be 1 to 64", async () => {
    const err = await assertRejects(
      () => copyImage(ref, `${reg.url}/dst:v1`, { concurrency: 0 }),
      RangeError,
    );
    assertEquals(
      err.message,
      "Invalid concurrency 0: expected an integer from 1 to 64",
    );
  });
  await t.step("a platform is os/arch[/variant]", async () => {
    await assertRejects(
      () => copyImage(ref, `${reg.url}/dst:v1`, { platform: "linux" }),
      TypeError,
    );
  });
  await t.step("a destination digest must match", async () => {
    await assertRejects(
      () =>
        copyImage(ref, `${reg.url}/dst@${digestOf("other")}`, {
          useDefaultCredentials: false,
        }),
      DigestMismatchError,
    );
  });
});

Deno.test("runPool() bounds concurrency and reports the first failure", async () => {
  let active = 0;
  let max = 0;
  const results = await runPool([1, 2, 3, 4, 5, 6], async (n) => {
    active++;
    max = Math.max(max, active);
    await new Promise((r) => setTimeout(r, 5));
    active--;
    return n * 2;
  }, { concurrency: 3 });
  assertEquals(results, [2, 4, 6, 8, 10, 12]);
  assertEquals(max, 3);
  const started: number[] = [];
  const aborted: boolean[] = [];
  const err = await assertRejects(
    () =>
      runPool([1, 2, 3, 4], async (n, signal) => {
        started.push(n);
        if (n === 1) throw new Error("first");
        await new Promise((r) => setTimeout(r, 10));
        aborted.push(signal.aborted);
      }, { concurrency: 2 }),
    Error,
  );
  assertEquals(err.message, "first");
  assertEquals(started, [1, 2]);
  assertEquals(aborted, [true]);
});

Deno.test("splitLayoutRef() splits DIR:TAG only at a valid tag", async (t) => {
  for (
    const [input, want] of [
      ["./out", { dir: "./out" }],
      ["./out:v1", { dir: "./out", tag: "v1" }],
      ["/tmp/a:b/c", { dir: "/tmp/a:b/c" }],
      ["C:\\images\\app", { dir: "C:\\images\\app" }],
      [":v1", { dir: ":v1" }],
      ["out:1.0_rc-2", { dir: "out", tag: "1.0_rc-2" }],
    ] as const
  ) {
    await t.step(input, () => assertEquals(splitLayoutRef(input), want));
  }
});
