// sync() against the fake registry: the pull budget (pause and resume,
// stop, a 429 in the middle of a copy), platform filters compared on later
// runs, copies of one digest shared by its tags, failFast, layouts with
// deleted tags, and names that cannot be synced.

import { assert, assertEquals, assertMatch, assertRejects } from "@std/assert";
import { startFakeRegistry } from "../testing/fake_registry.ts";
import type { FakeRegistry } from "../testing/fake_registry.ts";
import { OciLayout } from "../layout/oci_layout.ts";
import { sync, syncAll } from "./sync.ts";
import type { SyncEvent } from "./summary.ts";

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const EMPTY = "application/vnd.oci.empty.v1+json";

/** Seeds an image of its own layer under `tag`; returns its digest. */
function seedImage(
  reg: FakeRegistry,
  repo: string,
  tag: string,
  platform?: { os: string; architecture: string },
): string {
  const config = reg.seedBlob(repo, "{}");
  const layer = reg.seedBlob(
    repo,
    `layer of ${repo}:${tag} ${platform?.architecture ?? ""}`,
  );
  return reg.seedManifest(repo, tag, {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: EMPTY, digest: config, size: 2 },
    layers: [{
      mediaType: "application/octet-stream",
      digest: layer,
      size: new TextEncoder().encode(
        `layer of ${repo}:${tag} ${platform?.architecture ?? ""}`,
      ).length,
    }],
  });
}

function manifestSize(reg: FakeRegistry, repo: string, digest: string): number {
  return reg.getManifest(repo, digest)!.bytes.byteLength;
}

/** Seeds a two-platform index under `tag`; returns its digest and children. */
function seedIndex(
  reg: FakeRegistry,
  repo: string,
  tag: string,
): { digest: string; amd64: string; arm64: string } {
  const amd64 = seedImage(reg, repo, `${tag}-amd64`, {
    os: "linux",
    architecture: "amd64",
  });
  const arm64 = seedImage(reg, repo, `${tag}-arm64`, {
    os: "linux",
    architecture: "arm64",
  });
  const digest = reg.seedManifest(repo, tag, {
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [
      {
        mediaType: OCI_MANIFEST,
        digest: amd64,
        size: manifestSize(reg, repo, amd64),
        platform: { os: "linux", architecture: "amd64" },
      },
      {
        mediaType: OCI_MANIFEST,
        digest: arm64,
        size: manifestSize(reg, repo, arm64),
        platform: { os: "linux", architecture: "arm64" },
      },
    ],
  });
  return { digest, amd64, arm64 };
}

const fast = { retry: { maxAttempts: 1 } };

Deno.test("sync(): a spent pull budget pauses the run until the registry grants pulls again", async () => {
  await using src = await startFakeRegistry({
    rateLimit: { limit: 100, remaining: 3 },
  });
  await using dst = await startFakeRegistry();
  for (const tag of ["a", "b", "c", "d"]) seedImage(src, "app", tag);
  const events: SyncEvent[] = [];
  const summary = await sync(`${src.url}/app`, `${dst.url}/app`, {
    concurrency: 1,
    src: fast,
    rateLimit: { checkEveryMs: 10 },
    onEvent(e) {
      if (e.type !== "rate-limit") return;
      events.push(e);
      // The window passes: the registry grants pulls again.
      if (e.action === "pause") src.rateLimit!.remaining = 10;
    },
  });
  assert(summary.ok, JSON.stringify(summary.repositories));
  assertEquals(summary.copied, 4);
  assertEquals(events.map((e) => e.type === "rate-limit" && e.action), [
    "pause",
    "resume",
  ]);
  const pause = events[0] as Extract<SyncEvent, { type: "rate-limit" }>;
  assertEquals([pause.remaining, pause.limit, pause.windowSeconds], [
    0,
    100,
    21600,
  ]);
  // Only 3 pulls were spent before the pause, none was refused.
  assertEquals(
    src.requests.filter((r) => r.method === "GET" && /manifests/.test(r.path))
      .length,
    4,
  );
  assertEquals(src.rateLimit!.remaining, 9);
});

Deno.test("sync(): a spent pull budget stops the run with a clear message when asked", async () => {
  await using src = await startFakeRegistry({
    rateLimit: { limit: 100, remaining: 2 },
  });
  await using dst = await startFakeRegistry();
  for (const tag of ["a", "b", "c", "d"]) seedImage(src, "app", tag);
  const summary = await sync(`${src.url}/app`, `${dst.url}/app`, {
    concurrency: 1,
    src: fast,
    rateLimit: { action: "stop" },
  });
  assertEquals(summary.ok, false);
  assertEquals([summary.copied, summary.notAttempted], [2, 2]);
  assertMatch(
    summary.stopped!,
    /^127\.0\.0\.1:\d+: the pull rate limit is reached \(0 of 100 pulls left per 6 h\); run the sync again later/,
  );
  const images = summary.repositories[0].images;
  assertEquals(images.map((i) => i.action), [
    "copied",
    "copied",
    "not-attempted",
    "not-attempted",
  ]);
  // No pull was refused: the run stopped before asking.
  assertEquals(
    src.requests.filter((r) => r.method === "GET" && /manifests/.test(r.path))
      .length,
    2,
  );
});

Deno.test("sync(): a 429 in the middle of a copy pauses, then the image is copied", async () => {
  await using src = await startFakeRegistry();
  await using dst = await startFakeRegistry();
  seedImage(src, "app", "a");
  src.faults.status = {
    status: 429,
    method: "GET",
    path: /manifests/,
    times: 1,
  };
  const events: string[] = [];
  const summary = await sync(`${src.url}/app`, `${dst.url}/app`, {
    src: fast,
    rateLimit: { checkEveryMs: 5 },
    onEvent: (e) => e.type === "rate-limit" && events.push(e.action),
  });
  assert(summary.ok, JSON.stringify(summary.repositories));
  assertEquals(summary.copied, 1);
  assertEquals(events, ["pause", "resume"]);
});

Deno.test("sync(): with a platform, the platform's manifest is copied and compared", async () => {
  await using src = await startFakeRegistry();
  await using dst = await startFakeRegistry();
  const idx = seedIndex(src, "app", "v1");
  const run = () =>
    sync(`${src.url}/app`, `${dst.url}/app`, {
      platform: "linux/arm64",
      tags: { regex: "v1" },
    });
  const first = await run();
  assert(first.ok);
  assertEquals(first.repositories[0].images[0].digest, idx.arm64);
  assertEquals(dst.getManifest("app", "v1")?.digest, idx.arm64);
  const gets = src.requests.length;
  const writes = dst.requests.length;
  const second = await run();
  assertEquals([second.skipped, second.copied], [1, 0]);
  // The index is read once to find the platform; nothing else.
  const after = src.requests.slice(gets).map((r) => `${r.method} ${r.path}`);
  assertEquals(after.filter((l) => l.startsWith("GET /v2/app/manifests")), [
    `GET /v2/app/manifests/${idx.digest}`,
  ]);
  assertEquals(
    dst.requests.slice(writes).map((r) => `${r.method} ${r.path}`),
    ["GET /v2/", "HEAD /v2/app/manifests/v1"],
  );
});

Deno.test("sync(): tags of one digest share one copy; the others are one manifest PUT", async () => {
  await using src = await startFakeRegistry();
  await using dst = await startFakeRegistry();
  const digest = seedImage(src, "app", "t0");
  const bytes = src.getManifest("app", digest)!.bytes;
  for (let i = 1; i < 20; i++) {
    src.seedManifest("app", `t${i}`, bytes, OCI_MANIFEST);
  }
  const summary = await sync(`${src.url}/app`, `${dst.url}/app`, {
    concurrency: 8,
  });
  assert(summary.ok);
  assertEquals([summary.copied, summary.blobsCopied], [20, 2]);
  const lines = dst.requests.map((r) => `${r.method} ${r.path.split("?")[0]}`);
  assertEquals(lines.filter((l) => l.startsWith("POST")).length, 2);
  assertEquals(
    lines.filter((l) => l.startsWith("PUT /v2/app/manifests/")).length,
    20,
  );
  // A manifest was read from the source once.
  assertEquals(
    src.requests.filter((r) => r.method === "GET" && /manifests/.test(r.path))
      .length,
    1,
  );
});

Deno.test("sync(): failFast stops after the first failure; by default the run goes on", async () => {
  await using src = await startFakeRegistry();
  await using dst = await startFakeRegistry();
  for (const tag of ["a", "b", "c"]) seedImage(src, "app", tag);
  // Tag "a" names a manifest whose layer is not there.
  const broken = src.getManifest("app", "a")!;
  src.blobs.delete(
    JSON.parse(new TextDecoder().decode(broken.bytes)).layers[0].digest,
  );
  const goOn = await sync(`${src.url}/app`, `${dst.url}/app`, {
    concurrency: 1,
    src: fast,
  });
  assertEquals(goOn.ok, false);
  assertEquals(goOn.repositories[0].images.map((i) => i.action), [
    "failed",
    "copied",
    "copied",
  ]);
  const stop = await sync(`${src.url}/app`, `${dst.url}/other`, {
    concurrency: 1,
    src: fast,
    failFast: true,
  });
  assertEquals(stop.repositories[0].images.map((i) => i.action), [
    "failed",
    "not-attempted",
    "not-attempted",
  ]);
  assertMatch(stop.stopped!, /stopped after the first failure \(.*app:a\)/);
});

Deno.test("sync(): into OCI layouts, deleting tags gone from the source", async () => {
  await using src = await startFakeRegistry();
  const dir = await Deno.makeTempDir();
  try {
    for (const tag of ["1.0", "1.1", "2.0"]) seedImage(src, "team/app", tag);
    seedImage(src, "team/db", "5");
    const first = await sync(src.url, `oci:${dir}`);
    assert(first.ok, JSON.stringify(first.repositories));
    assertEquals(first.copied, 4);
    const app = await OciLayout.open(`${dir}/team/app`);
    assertEquals((await app.listTags()).sort(), ["1.0", "1.1", "2.0"]);

    src.repositories.get("team/app")!.tags.delete("1.1");
    const kept = await sync(src.url, `oci:${dir}`, {
      repositories: ["team/app"],
    });
    assertEquals([kept.skipped, kept.deleted], [2, 0]);
    const planned = await sync(src.url, `oci:${dir}`, {
      repositories: ["team/app"],
      deleteMissing: true,
      dryRun: true,
    });
    assertEquals(planned.repositories[0].images.at(-1), {
      tag: "1.1",
      action: "would-delete",
    });
    assertEquals((await app.listTags()).sort(), ["1.0", "1.1", "2.0"]);
    const deleted = await sync(src.url, `oci:${dir}`, {
      repositories: ["team/app"],
      deleteMissing: true,
      tags: { semver: "1.x" },
    });
    assertEquals([deleted.skipped, deleted.deleted], [1, 1]);
    assertEquals((await app.listTags()).sort(), ["1.0", "2.0"]);

    // And back from a layout into a registry (an air-gapped round trip).
    await using back = await startFakeRegistry();
    const restored = await sync(`oci:${dir}/team/app`, `${back.url}/team/app`);
    assert(restored.ok, JSON.stringify(restored.repositories));
    assertEquals(restored.copied, 2);
    for (const tag of ["1.0", "2.0"]) {
      assertEquals(
        back.getManifest("team/app", tag)?.digest,
        src.getManifest("team/app", tag)?.digest,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sync(): names that cannot be synced are refused before any request", async () => {
  await using src = await startFakeRegistry();
  const cases: [string, string, RegExp][] = [
    [src.url, "oci-archive:mirror.tar", /registry is synced to a registry/],
    [
      `${src.url}/app@sha256:${"0".repeat(64)}`,
      "127.0.0.1:1/x",
      /not a digest/,
    ],
    [`${src.url}/app`, "127.0.0.1:1/x:v1", /name the repository only/],
    [`${src.url}/app`, "oci:./out:v1", /drop ":v1"/],
  ];
  for (const [from, to, message] of cases) {
    await assertRejects(() => sync(from, to), TypeError, undefined, from);
    await sync(from, to).catch((e) => assertMatch(e.message, message));
  }
  await assertRejects(
    () =>
      syncAll([{
        source: `${src.url}/app`,
        destination: `${src.url}/b`,
        repositories: ["x"],
      }]),
    TypeError,
    "repositories are listed only for a registry source",
  );
  await assertRejects(
    () => sync(`${src.url}/app`, `${src.url}/b`, { tags: { semver: "nope" } }),
    TypeError,
    "Invalid semver range",
  );
  await assertRejects(
    () => sync(`${src.url}/app`, `${src.url}/b`, { concurrency: 0 }),
    RangeError,
  );
  assertEquals(src.requests.length, 0);
});
