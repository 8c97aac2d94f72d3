// Artifacts against registries: Debian's docker-registry (distribution 2.8,
// no referrers API: the `<alg>-<hex>` fallback tag is exercised) and the
// fake registry (with the referrers API). skopeo reads what was pushed;
// pulls give the files back; hostile artifacts are refused with nothing
// written; cosign-style tags are found and copied along.

import { assert, assertEquals, assertRejects } from "@std/assert";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "@std/path/posix/join";
import { RegistryStore } from "../registry/store.ts";
import { DigestMismatchError, UnsafeArtifactError } from "../errors.ts";
import { MEDIA_TYPE } from "../ref/media_types.ts";
import { copy } from "../content/copy.ts";
import { startRegistry } from "../../test_support/real_registry.ts";
import { startFakeRegistry } from "../testing/fake_registry.ts";
import {
  listTree,
  putImage,
  putManifest,
  putRawArtifact,
} from "../../test_support/artifacts.ts";
import { pushArtifact } from "./push.ts";
import { pullArtifact } from "./pull.ts";
import { referrersTree } from "./referrers_tree.ts";
import { copySignatures, cosignTag, findSignatures } from "./signatures.ts";
import {
  ARTIFACT_ANNOTATION,
  ARTIFACT_MEDIA_TYPE,
  EMPTY_JSON_DESCRIPTOR,
} from "./types.ts";

const dec = new TextDecoder();
const enc = new TextEncoder();
const TYPE = "application/vnd.example.report.v1";

async function skopeoRaw(ref: string): Promise<Record<string, unknown>> {
  const out = await new Deno.Command("skopeo", {
    args: [
      "inspect",
      "--raw",
      "--no-creds",
      "--tls-verify=false",
      `docker://${ref}`,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(out.code, 0, `skopeo inspect: ${dec.decode(out.stderr)}`);
  return JSON.parse(dec.decode(out.stdout));
}

interface Target {
  host: string;
  /** Whether the registry answers the referrers API. */
  referrersApi: boolean;
  /** Requests seen so far, as "METHOD /path". */
  requests(): Promise<string[]>;
}

/** The checks of the issue, against one registry. */
async function artifactRoundTrip(target: Target): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "dreg-artifact-reg-"));
  try {
    await writeFile(join(dir, "report.txt"), "all good\n");
    await writeFile(join(dir, "data.json"), '{"n":42}');
    const repo = `${target.host}/app`;
    const imageStore = new RegistryStore(`${repo}:1`, { access: "push" });
    const image = await putImage(imageStore, "1");

    const store = new RegistryStore(`${repo}:report`, { access: "push" });
    const pushed = await pushArtifact(
      store,
      [join(dir, "report.txt"), {
        path: join(dir, "data.json"),
        mediaType: "application/json",
      }],
      { artifactType: TYPE, subject: "1" },
    );
    assertEquals(pushed.tag, "report");

    // A peer reads the manifest as pushed.
    const raw = await skopeoRaw(`${repo}:report`);
    assertEquals(raw.artifactType, TYPE);
    assertEquals(raw.config, { ...EMPTY_JSON_DESCRIPTOR });
    const layers = raw.layers as {
      mediaType: string;
      annotations: Record<string, string>;
    }[];
    assertEquals(
      layers.map((
        l,
      ) => [l.mediaType, l.annotations[ARTIFACT_ANNOTATION.TITLE]]),
      [[ARTIFACT_MEDIA_TYPE.FILE, "report.txt"], [
        "application/json",
        "data.json",
      ]],
    );
    assertEquals((raw.subject as { digest: string }).digest, image.digest);

    // Pulled back, identical.
    const out = join(dir, "out");
    const pulled = await pullArtifact(new RegistryStore(`${repo}:report`), out);
    assertEquals(pulled.artifactType, TYPE);
    assertEquals(
      await readFile(join(out, "report.txt")),
      await readFile(join(dir, "report.txt")),
    );
    assertEquals(
      await readFile(join(out, "data.json")),
      await readFile(join(dir, "data.json")),
    );

    // The subject lists it: through the API, or the fallback tag.
    const referrers = await imageStore.referrers(image.digest);
    assertEquals(referrers.map((d) => [d.digest, d.artifactType]), [
      [pushed.descriptor.digest, TYPE],
    ]);
    const tags = await imageStore.listTags();
    const fallback = `sha256-${image.digest.slice("sha256:".length)}`;
    assertEquals(tags.includes(fallback), !target.referrersApi);
    const asked = await target.requests();
    assert(
      asked.some((r) => r.startsWith(`GET /v2/app/referrers/${image.digest}`)),
      "the referrers API was asked",
    );
    if (!target.referrersApi) {
      assert(asked.some((r) => r === `GET /v2/app/manifests/${fallback}`));
    }
    const tree = await referrersTree(new RegistryStore(`${repo}:1`));
    assertEquals(tree.count, 1);
    assertEquals(tree.root.referrers[0].descriptor.artifactType, TYPE);

    // A hostile artifact is refused; nothing is written beside or inside.
    await putRawArtifact(store, [
      {
        bytes: enc.encode("ok"),
        annotations: { [ARTIFACT_ANNOTATION.TITLE]: "ok.txt" },
      },
      {
        bytes: enc.encode("pwned"),
        annotations: { [ARTIFACT_ANNOTATION.TITLE]: "../pwned" },
      },
    ], { tag: "hostile" });
    const before = await listTree(dir);
    await assertRejects(
      () =>
        pullArtifact(new RegistryStore(`${repo}:hostile`), join(dir, "evil")),
      UnsafeArtifactError,
      "leaves the directory",
    );
    assertEquals(await listTree(dir), before);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Cosign-style tags made by hand are found, and copied along to another repository. */
async function cosignTags(host: string): Promise<void> {
  const src = new RegistryStore(`${host}/signed:1`, { access: "push" });
  const image = await putImage(src, "1");
  const cosignManifest = (text: string) => ({
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.OCI_MANIFEST,
    config: {
      mediaType: MEDIA_TYPE.OCI_EMPTY,
      digest: EMPTY_JSON_DESCRIPTOR.digest,
      size: 2,
    },
    layers: [],
    annotations: { note: text },
  });
  await src.push(EMPTY_JSON_DESCRIPTOR, enc.encode("{}"));
  const sig = await putManifest(
    src,
    cosignManifest("sig"),
    cosignTag(image.digest, "sig"),
  );
  const att = await putManifest(
    src,
    cosignManifest("att"),
    cosignTag(image.digest, "att"),
  );
  const report = await findSignatures(src);
  assertEquals(
    report.images[0].signatures.map((
      s,
    ) => [s.kind, s.tag, s.descriptor.digest]),
    [
      ["signature", cosignTag(image.digest, "sig"), sig.digest],
      ["attestation", cosignTag(image.digest, "att"), att.digest],
    ],
  );
  const dst = new RegistryStore(`${host}/mirror:1`, { access: "push" });
  await copy(src, dst);
  const copied = await copySignatures(src, dst);
  assertEquals(copied.length, 2);
  const there = await new RegistryStore(`${host}/mirror:1`).listTags();
  assertEquals(there.sort(), [
    "1",
    cosignTag(image.digest, "att"),
    cosignTag(image.digest, "sig"),
  ]);
  const raw = await skopeoRaw(
    `${host}/mirror:${cosignTag(image.digest, "sig")}`,
  );
  assertEquals((raw.annotations as Record<string, string>).note, "sig");
}

Deno.test("artifacts on the real registry (no referrers API: the fallback tag)", async (t) => {
  await using reg = await startRegistry({ mode: "anonymous" });
  await t.step(
    "push, inspect with skopeo, pull, referrers, hostile",
    () =>
      artifactRoundTrip({
        host: reg.host,
        referrersApi: false,
        requests: async () =>
          (await reg.flushAccessLog()).map((l) => l.split("?")[0]),
      }),
  );
  await t.step(
    "cosign-style tags found and copied along",
    () => cosignTags(reg.host),
  );
});

Deno.test("artifacts on the fake registry (referrers API)", async (t) => {
  await using reg = await startFakeRegistry();
  await t.step(
    "push, inspect with skopeo, pull, referrers, hostile",
    () =>
      artifactRoundTrip({
        host: reg.host,
        referrersApi: true,
        requests: () =>
          Promise.resolve(
            reg.requests.map((r) => `${r.method} ${r.path.split("?")[0]}`),
          ),
      }),
  );
  await t.step(
    "cosign-style tags found and copied along",
    () => cosignTags(reg.host),
  );
});

Deno.test("pullArtifact() from a registry that corrupts a layer leaves nothing behind", async () => {
  await using reg = await startFakeRegistry();
  const dir = await mkdtemp(join(tmpdir(), "dreg-artifact-flip-"));
  try {
    const store = new RegistryStore(`${reg.host}/art:1`, { access: "push" });
    const pushed = await pushArtifact(store, [
      { content: enc.encode("one"), title: "one.txt" },
      { content: enc.encode("two"), title: "two.txt" },
    ], { artifactType: TYPE });
    const second = pushed.manifest.layers[1].digest;
    reg.faults.flipByte = { offset: 0, path: new RegExp(`/blobs/${second}`) };
    await assertRejects(
      () =>
        pullArtifact(new RegistryStore(`${reg.host}/art:1`), join(dir, "out")),
      DigestMismatchError,
    );
    assertEquals(await listTree(dir), {});
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
