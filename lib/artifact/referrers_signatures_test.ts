// referrersTree, findSignatures and copySignatures on memory stores and an
// OCI layout: trees of referrers with filters and bounds, cosign's tag
// scheme and OCI referrers found per image and per platform, and both
// carried to another store.

import { assertEquals, assertRejects } from "@std/assert";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "@std/path/posix/join";
import { MemoryStore } from "../content/memory_store.ts";
import { copy } from "../content/copy.ts";
import { OciLayout } from "../layout/oci_layout.ts";
import { MEDIA_TYPE } from "../ref/media_types.ts";
import { digestOf } from "../ref/digest.ts";
import { referrersTree } from "./referrers_tree.ts";
import {
  copySignatures,
  cosignTag,
  findSignatures,
  signatureKindOf,
} from "./signatures.ts";
import { pushArtifact } from "./push.ts";
import { EMPTY_JSON_DESCRIPTOR } from "./types.ts";
import {
  putImage,
  putIndex,
  putManifest,
} from "../../test_support/artifacts.ts";

const NOTARY = "application/vnd.cncf.notary.signature";
const SPDX = "application/spdx+json";
const enc = new TextEncoder();

/** An artifact of one small file attached to `subject` (a tag or digest). */
async function attach(
  store: MemoryStore | OciLayout,
  subject: string,
  artifactType: string,
  text = crypto.randomUUID(),
) {
  return (await pushArtifact(
    store,
    [{ content: enc.encode(text), title: "f" }],
    {
      artifactType,
      subject,
    },
  )).descriptor;
}

/** A cosign-style manifest under `sha256-<hex>.<suffix>`, as cosign pushes one. */
async function cosignStyle(
  store: MemoryStore | OciLayout,
  digest: string,
  suffix: "sig" | "att" | "sbom",
) {
  await store.push(EMPTY_JSON_DESCRIPTOR, enc.encode("{}"));
  const payload = enc.encode(
    JSON.stringify({
      critical: { image: { "docker-manifest-digest": digest } },
    }),
  );
  const layer = {
    mediaType: "application/vnd.dev.cosign.simplesigning.v1+json",
    digest: digestOf(payload),
    size: payload.byteLength,
    annotations: { "dev.cosignproject.cosign/signature": "MEUCIQ==" },
  };
  await store.push(layer, payload);
  return await putManifest(store, {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.OCI_MANIFEST,
    config: { ...EMPTY_JSON_DESCRIPTOR, data: undefined },
    layers: [layer],
  }, cosignTag(digest, suffix));
}

Deno.test("referrersTree() lists referrers of referrers, filters by artifact type, and stops at its bounds", async () => {
  const store = new MemoryStore();
  const image = await putImage(store, "1");
  const sbom = await attach(store, "1", SPDX);
  const sbomSig = await attach(store, sbom.digest, NOTARY);
  const imageSig = await attach(store, "1", NOTARY);
  const tree = await referrersTree(store, { reference: "1" });
  assertEquals(tree.root.descriptor.digest, image.digest);
  assertEquals(tree.count, 3);
  assertEquals(tree.truncated, false);
  const shape = (n: typeof tree.root): unknown[] =>
    n.referrers.map((r) => [r.descriptor.digest, ...shape(r)]).sort();
  assertEquals(
    shape(tree.root),
    [[sbom.digest, [sbomSig.digest]], [imageSig.digest]].sort(),
  );
  assertEquals(
    tree.root.referrers.find((r) => r.descriptor.digest === sbom.digest)
      ?.descriptor.artifactType,
    SPDX,
  );

  // Only signatures: the SBOM stays, as the way to its signature.
  const sigs = await referrersTree(store, {
    reference: "1",
    artifactType: NOTARY,
  });
  assertEquals(sigs.count, 3);
  const viaSbom = sigs.root.referrers.find((r) =>
    r.descriptor.digest === sbom.digest
  )!;
  assertEquals(viaSbom.matched, false);
  assertEquals(viaSbom.referrers[0].matched, true);
  const sboms = await referrersTree(store, {
    reference: "1",
    artifactType: SPDX,
  });
  assertEquals(sboms.count, 1);
  assertEquals(sboms.root.referrers[0].referrers, []);
  const none = await referrersTree(store, {
    reference: "1",
    artifactType: "application/x",
  });
  assertEquals(none.count, 0);

  const shallow = await referrersTree(store, { reference: "1", maxDepth: 1 });
  assertEquals(shallow.count, 2);
  assertEquals(shallow.truncated, true);
  const few = await referrersTree(store, { reference: "1", maxReferrers: 1 });
  assertEquals(few.count, 1);
  assertEquals(few.truncated, true);
  assertEquals(few.root.truncated, true);
  await assertRejects(
    () => referrersTree(store, { reference: "1", maxDepth: 0 }),
    RangeError,
  );
});

Deno.test("signatureKindOf() knows Notary, cosign, sigstore bundles, in-toto and SBOM types", () => {
  assertEquals(signatureKindOf(NOTARY), "signature");
  assertEquals(
    signatureKindOf("application/vnd.dev.cosign.artifact.sig.v1+json"),
    "signature",
  );
  assertEquals(
    signatureKindOf("application/vnd.dev.sigstore.bundle.v0.3+json"),
    "signature",
  );
  assertEquals(
    signatureKindOf("application/vnd.dev.sigstore.bundle+json;version=0.2"),
    "signature",
  );
  assertEquals(signatureKindOf("application/vnd.in-toto+json"), "attestation");
  assertEquals(signatureKindOf("application/vnd.cyclonedx+json"), "sbom");
  assertEquals(signatureKindOf("application/vnd.example.other"), undefined);
  assertEquals(signatureKindOf(undefined), undefined);
});

Deno.test("findSignatures() finds cosign tags and signature referrers, per image and per platform", async () => {
  const store = new MemoryStore();
  const { index, amd64, arm64 } = await putIndex(store, "multi");
  const indexSig = await cosignStyle(store, index.digest, "sig");
  const indexAtt = await cosignStyle(store, index.digest, "att");
  const armSbom = await cosignStyle(store, arm64.digest, "sbom");
  const amdNotary = await attach(store, amd64.digest, NOTARY);
  await attach(store, amd64.digest, "application/vnd.example.not-a-signature");
  const report = await findSignatures(store, { reference: "multi" });
  assertEquals(report.count, 4);
  assertEquals(report.images.map((i) => [i.descriptor.digest, i.platform]), [
    [index.digest, undefined],
    [amd64.digest, "linux/amd64"],
    [arm64.digest, "linux/arm64"],
  ]);
  const seen = report.images.map((i) =>
    i.signatures.map((s) => [s.kind, s.scheme, s.tag, s.descriptor.digest])
  );
  assertEquals(seen, [
    [
      ["signature", "tag", cosignTag(index.digest, "sig"), indexSig.digest],
      ["attestation", "tag", cosignTag(index.digest, "att"), indexAtt.digest],
    ],
    [["signature", "referrer", undefined, amdNotary.digest]],
    [["sbom", "tag", cosignTag(arm64.digest, "sbom"), armSbom.digest]],
  ]);
  const onlyRoot = await findSignatures(store, {
    reference: "multi",
    platforms: false,
  });
  assertEquals(onlyRoot.images.length, 1);
  assertEquals(onlyRoot.count, 2);
});

Deno.test("copySignatures() carries cosign tags (same names) and signature referrers to another store", async () => {
  const dir = await mkdtemp(join(tmpdir(), "dreg-sigs-"));
  try {
    const src = new MemoryStore();
    const image = await putImage(src, "1");
    const sig = await cosignStyle(src, image.digest, "sig");
    const att = await cosignStyle(src, image.digest, "att");
    const notary = await attach(src, "1", NOTARY);
    const layout = await OciLayout.open(join(dir, "dst"), { create: true });
    await copy(src, layout, { reference: "1", tag: "1" });
    assertEquals(await layout.listTags(), ["1"]);
    const copied = await copySignatures(src, layout, { reference: "1" });
    assertEquals(
      copied.map((c) => [c.scheme, c.tag, c.descriptor.digest, c.subject]),
      [
        ["tag", cosignTag(image.digest, "sig"), sig.digest, image.digest],
        ["tag", cosignTag(image.digest, "att"), att.digest, image.digest],
        ["referrer", undefined, notary.digest, image.digest],
      ],
    );
    assertEquals(
      (await layout.listTags()).sort(),
      ["1", cosignTag(image.digest, "att"), cosignTag(image.digest, "sig")],
    );
    assertEquals(
      (await layout.resolve(cosignTag(image.digest, "sig"))).digest,
      sig.digest,
    );
    assertEquals(
      (await layout.referrers(image.digest)).map((d) => d.digest),
      [notary.digest],
    );
    // Found again at the destination, the same way.
    const there = await findSignatures(layout, { reference: "1" });
    assertEquals(there.count, 3);
    // Without referrers: only the tags.
    const mem = new MemoryStore();
    await copy(src, mem, { reference: "1", tag: "1" });
    const tagsOnly = await copySignatures(src, mem, {
      reference: "1",
      referrers: false,
    });
    assertEquals(tagsOnly.map((c) => c.scheme), ["tag", "tag"]);
    assertEquals(await mem.referrers(image.digest), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
