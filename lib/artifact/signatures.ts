/**
 * Finding an image's signatures, attestations and SBOMs — and moving them
 * with it. Two ways of attaching them are in use:
 *
 * - cosign's tag scheme: a manifest tagged `sha256-<hex>.sig` (signatures),
 *   `.att` (attestations) or `.sbom` (SBOMs) in the image's repository,
 *   `<hex>` being the image's digest;
 * - OCI 1.1 referrers: a manifest whose `subject` is the image, of an
 *   artifact type such as `application/vnd.cncf.notary.signature` (Notary
 *   v2), `application/vnd.dev.cosign.artifact.sig.v1+json` or a sigstore
 *   bundle (cosign), `application/spdx+json` (an SBOM).
 *
 * Both are looked for on the image and, for an index, on each platform's
 * manifest. Verifying signatures is not done here.
 *
 * @example
 * ```ts
 * import { findSignatures, RegistryStore } from "jsr:@scope/docker-registry-client";
 *
 * const report = await findSignatures(new RegistryStore("http://127.0.0.1:5000/app:1"));
 * for (const image of report.images) {
 *   console.log(image.descriptor.digest, image.platform, image.signatures.length);
 * }
 * ```
 *
 * @module
 */

import { isNotFound } from "../errors.ts";
import { parseDigest } from "../ref/_digest_core.ts";
import {
  type Descriptor,
  isImageIndex,
  isImageManifest,
} from "../ref/media_types.ts";
import { formatPlatform } from "../ref/platform.ts";
import type {
  ImageStore,
  ReadOnlyImageStore,
  StoreCallOptions,
} from "../content/store.ts";
import { copy } from "../content/copy.ts";
import { runPool } from "../content/_pool.ts";

/** What a signature-like artifact is. */
export type SignatureKind = "signature" | "attestation" | "sbom";

/**
 * The artifact types recognised as signatures, attestations and SBOMs
 * (media type parameters such as `;version=0.2` are ignored).
 *
 * @example
 * ```ts
 * import { SIGNATURE_ARTIFACT_TYPES } from "jsr:@scope/docker-registry-client";
 *
 * console.log(SIGNATURE_ARTIFACT_TYPES["application/vnd.cncf.notary.signature"]); // signature
 * ```
 */
export const SIGNATURE_ARTIFACT_TYPES: Readonly<Record<string, SignatureKind>> =
  Object.freeze({
    "application/vnd.cncf.notary.signature": "signature",
    "application/vnd.dev.cosign.artifact.sig.v1+json": "signature",
    "application/vnd.dev.cosign.simplesigning.v1+json": "signature",
    "application/vnd.dev.sigstore.bundle.v0.3+json": "signature",
    "application/vnd.dev.sigstore.bundle+json": "signature",
    "application/vnd.dev.cosign.artifact.att.v1+json": "attestation",
    "application/vnd.in-toto+json": "attestation",
    "application/vnd.dsse.envelope.v1+json": "attestation",
    "application/vnd.dev.cosign.artifact.sbom.v1+json": "sbom",
    "application/spdx+json": "sbom",
    "text/spdx": "sbom",
    "text/spdx+json": "sbom",
    "application/vnd.cyclonedx+json": "sbom",
    "application/vnd.cyclonedx+xml": "sbom",
    "application/vnd.syft+json": "sbom",
  });

/** The suffixes of cosign's tag scheme, by kind. */
const TAG_SUFFIXES: readonly ["sig" | "att" | "sbom", SignatureKind][] = [
  ["sig", "signature"],
  ["att", "attestation"],
  ["sbom", "sbom"],
];

/**
 * The kind of an artifact type, if it is a signature, an attestation or an
 * SBOM.
 *
 * @param artifactType An artifact type (or a config media type).
 * @returns Its kind, or `undefined`.
 *
 * @example
 * ```ts
 * import { signatureKindOf } from "jsr:@scope/docker-registry-client";
 *
 * console.log(signatureKindOf("application/vnd.dev.sigstore.bundle.v0.3+json")); // signature
 * ```
 */
export function signatureKindOf(
  artifactType: string | undefined,
): SignatureKind | undefined {
  if (artifactType === undefined) return undefined;
  const bare = artifactType.split(";")[0].trim().toLowerCase();
  return SIGNATURE_ARTIFACT_TYPES[bare] ??
    (bare.startsWith("application/vnd.dev.sigstore.bundle")
      ? "signature"
      : undefined);
}

/**
 * The tag cosign gives a signature (`sig`), attestation (`att`) or SBOM
 * (`sbom`) of a manifest: `sha256-<hex>.sig`.
 *
 * @param digest The manifest's digest.
 * @param suffix `sig`, `att` or `sbom`.
 * @returns The tag.
 * @throws {InvalidDigestError} When the digest does not parse.
 *
 * @example
 * ```ts
 * import { cosignTag } from "jsr:@scope/docker-registry-client";
 *
 * console.log(cosignTag("sha256:" + "ab".repeat(32), "sig")); // sha256-abab….sig
 * ```
 */
export function cosignTag(
  digest: string,
  suffix: "sig" | "att" | "sbom",
): string {
  const { algorithm, encoded } = parseDigest(digest);
  return `${algorithm}-${encoded}.${suffix}`;
}

/** A signature, attestation or SBOM found. */
export interface FoundSignature {
  /** What it is. */
  kind: SignatureKind;
  /** How it is attached: cosign's tag scheme, or as an OCI referrer. */
  scheme: "tag" | "referrer";
  /** The tag (tag scheme). */
  tag?: string;
  /** Its manifest. */
  descriptor: Descriptor;
}

/** What is attached to one manifest. */
export interface ImageSignatures {
  /** The manifest (the image, an index, or one platform's manifest of it). */
  descriptor: Descriptor;
  /** Its platform, for a manifest of an index: `linux/arm64/v8`. */
  platform?: string;
  /** What was found. */
  signatures: FoundSignature[];
}

/** What {@linkcode findSignatures} returns. */
export interface SignatureReport {
  /** The store, for display. */
  name: string;
  /** The manifest looked at first, then each platform's (for an index). */
  images: ImageSignatures[];
  /** How many were found in all. */
  count: number;
}

/** Options of {@linkcode findSignatures}. */
export interface FindSignaturesOptions extends StoreCallOptions {
  /** The tag or digest; by default the store's reference. */
  reference?: string;
  /**
   * For an index, look at each platform's manifest too.
   * @default {true}
   */
  platforms?: boolean;
  /** Manifests looked at at once. @default {4} */
  concurrency?: number;
}

/** The signatures attached to one manifest, both ways. */
async function attachedTo(
  store: ReadOnlyImageStore,
  descriptor: Descriptor,
  signal: AbortSignal,
): Promise<FoundSignature[]> {
  const found: FoundSignature[] = [];
  for (const [suffix, kind] of TAG_SUFFIXES) {
    const tag = cosignTag(descriptor.digest, suffix);
    try {
      const d = await store.resolve(tag, { signal });
      found.push({ kind, scheme: "tag", tag, descriptor: d });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  for (const d of await store.referrers(descriptor.digest, { signal })) {
    const kind = signatureKindOf(d.artifactType);
    if (kind) found.push({ kind, scheme: "referrer", descriptor: d });
  }
  return found;
}

/**
 * Finds the signatures, attestations and SBOMs of an image: those under
 * cosign's tags (`sha256-<hex>.sig`, `.att`, `.sbom`) in the same store,
 * and referrers of a known artifact type (see
 * {@linkcode SIGNATURE_ARTIFACT_TYPES}); for an index, those of each
 * platform's manifest too. Nothing is verified.
 *
 * @param store Where the image is (any store).
 * @param options The tag or digest, whether to look at platforms, cancellation.
 * @returns What is attached to each manifest.
 * @throws {NotFoundError} (registry) or {StoreError} when the image is not there.
 *
 * @example
 * ```ts
 * import { findSignatures, OciLayout } from "jsr:@scope/docker-registry-client";
 *
 * const report = await findSignatures(await OciLayout.open("./app-oci"), { reference: "1" });
 * console.log(report.count);
 * ```
 */
export async function findSignatures(
  store: ReadOnlyImageStore,
  options: FindSignaturesOptions = {},
): Promise<SignatureReport> {
  const signal = options.signal ?? new AbortController().signal;
  const root = await store.fetchManifest(options.reference, { signal });
  const subjects: { descriptor: Descriptor; platform?: string }[] = [
    { descriptor: root.descriptor },
  ];
  if (options.platforms !== false && isImageIndex(root.manifest)) {
    for (const d of root.manifest.manifests) {
      if (d.platform && d.platform.os !== "unknown") {
        subjects.push({ descriptor: d, platform: formatPlatform(d.platform) });
      }
    }
  }
  const lists = await runPool(
    subjects,
    (s, sig) => attachedTo(store, s.descriptor, sig),
    { concurrency: options.concurrency ?? 4, signal },
  );
  const images = subjects.map((s, i) => ({
    descriptor: {
      mediaType: s.descriptor.mediaType,
      digest: s.descriptor.digest,
      size: s.descriptor.size,
    },
    ...(s.platform ? { platform: s.platform } : {}),
    signatures: lists[i],
  }));
  return {
    name: store.name,
    images,
    count: images.reduce((n, i) => n + i.signatures.length, 0),
  };
}

/** Options of {@linkcode copySignatures}. */
export interface CopySignaturesOptions extends StoreCallOptions {
  /** The image's tag or digest at the source; by default the source's reference. */
  reference?: string;
  /**
   * Also copy signatures attached as referrers (leave it off when the
   * image was copied with its referrers already).
   * @default {true}
   */
  referrers?: boolean;
  /** For an index, the platforms' signatures too. @default {true} */
  platforms?: boolean;
}

/** One signature copied by {@linkcode copySignatures}. */
export interface CopiedSignature extends FoundSignature {
  /** The digest of the manifest it is attached to. */
  subject: string;
}

/**
 * Copies an image's signatures, attestations and SBOMs (as
 * {@linkcode findSignatures} finds them) to another store, where the image
 * was (or will be) copied: those under cosign's tags are copied under the
 * same tags — the image's digest, and so the tag, is the same there —
 * and referrers are copied untagged (a registry without the referrers
 * API gets its fallback index updated). Each is copied with
 * {@linkcode copy}, blobs the destination has are skipped.
 *
 * @param source Where the image and its signatures are.
 * @param target Where they go.
 * @param options Which image, whether referrers and platforms count, cancellation.
 * @returns What was copied.
 * @throws {NotFoundError} (registry) or {StoreError} when the image is not there.
 *
 * @example After copying an image
 * ```ts
 * import { copy, copySignatures, RegistryStore } from "jsr:@scope/docker-registry-client";
 *
 * const src = new RegistryStore("http://127.0.0.1:5000/app:1");
 * const dst = new RegistryStore("http://127.0.0.1:5001/app:1", { access: "push" });
 * const { digest } = await copy(src, dst);
 * console.log(await copySignatures(src, dst, { reference: digest }));
 * ```
 */
export async function copySignatures(
  source: ReadOnlyImageStore,
  target: ImageStore,
  options: CopySignaturesOptions = {},
): Promise<CopiedSignature[]> {
  const { signal } = options;
  const report = await findSignatures(source, {
    ...(options.reference !== undefined
      ? { reference: options.reference }
      : {}),
    platforms: options.platforms ?? true,
    ...(signal ? { signal } : {}),
  });
  const copied: CopiedSignature[] = [];
  const done = new Set<string>();
  for (const image of report.images) {
    for (const found of image.signatures) {
      if (found.scheme === "referrer" && options.referrers === false) continue;
      const key = `${found.tag ?? ""}@${found.descriptor.digest}`;
      if (done.has(key)) continue;
      done.add(key);
      if (found.scheme === "tag") {
        await copy(source, target, {
          reference: found.tag,
          tag: found.tag,
          ...(signal ? { signal } : {}),
        });
      } else {
        await copyUntagged(source, target, found.descriptor, true, signal);
      }
      copied.push({ ...found, subject: image.descriptor.digest });
    }
  }
  return copied;
}

/**
 * Copies one manifest (and what it points to) without a tag: the
 * destination lists it untagged (a layout) or keeps it by digest (a
 * registry). `copy()` would give it the destination's own tag.
 */
async function copyUntagged(
  source: ReadOnlyImageStore,
  target: ImageStore,
  descriptor: Descriptor,
  listed: boolean,
  signal: AbortSignal | undefined,
): Promise<void> {
  const data = await source.fetchManifest(descriptor, { signal });
  const m = data.manifest;
  const from = source.location;
  const to = target.location;
  const mountFrom = from && to && from.baseUrl === to.baseUrl &&
      from.repository !== to.repository
    ? from
    : undefined;
  if (isImageIndex(m)) {
    for (const child of m.manifests) {
      await copyUntagged(source, target, child, false, signal);
    }
  } else if (isImageManifest(m)) {
    for (const blob of [m.config, ...m.layers]) {
      await target.push(blob, () => source.fetch(blob, { signal }), {
        ...(signal ? { signal } : {}),
        ...(mountFrom ? { mountFrom } : {}),
      });
    }
  }
  await target.push(data.descriptor, data.bytes, {
    ...(signal ? { signal } : {}),
    listed,
  });
}
