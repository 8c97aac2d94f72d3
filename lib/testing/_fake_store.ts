/**
 * The fake registry's storage: blobs, repositories with their manifests and
 * tags, upload sessions, and the referrers index computed from `subject`
 * fields.
 *
 * @module
 */

import { createHash } from "node:crypto";
import type {
  FakeManifest,
  FakeRepository,
  FakeUpload,
} from "./_fake_types.ts";

/** Repository name grammar of the distribution spec. */
export const NAME_RE: RegExp =
  /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;

/** Tag grammar of the distribution spec. */
export const TAG_RE: RegExp = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

/** Digest grammar (any algorithm). */
export const DIGEST_RE: RegExp =
  /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** Algorithms the fake can compute, with the length of their hex. */
const ALGORITHMS: Readonly<Record<string, number>> = {
  sha256: 64,
  sha512: 128,
};

/** Whether the fake can compute digests with `algorithm`. */
export function supportsAlgorithm(algorithm: string): boolean {
  return Object.hasOwn(ALGORITHMS, algorithm);
}

/** The digest of `bytes` with `algorithm` (sha256 unless told). */
export function digestOf(bytes: Uint8Array, algorithm = "sha256"): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest("hex")}`;
}

/**
 * Why a digest cannot be verified by the fake, or `undefined` when it can
 * (sha256 or sha512, lower-case hex of the right length).
 */
export function digestProblem(digest: string): string | undefined {
  const colon = digest.indexOf(":");
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  const length = ALGORITHMS[algorithm];
  if (colon < 0 || length === undefined) {
    return `unsupported digest algorithm in "${digest}"`;
  }
  if (hex.length !== length || !/^[a-f0-9]+$/.test(hex)) {
    return `"${digest}" is not ${length} lower-case hex digits`;
  }
  return undefined;
}

/** A descriptor in a referrers index. */
export interface ReferrerDescriptor {
  mediaType: string;
  size: number;
  digest: string;
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** The JSON fields of a manifest the fake looks at. */
interface ManifestFields {
  mediaType?: unknown;
  artifactType?: unknown;
  config?: { mediaType?: unknown; digest?: unknown };
  layers?: { digest?: unknown }[];
  manifests?: { digest?: unknown }[];
  subject?: { digest?: unknown };
  annotations?: Record<string, string>;
}

/** Parses a manifest body, or `undefined` when it is not a JSON object. */
export function parseManifest(bytes: Uint8Array): ManifestFields | undefined {
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? value as ManifestFields
      : undefined;
  } catch {
    return undefined;
  }
}

/** The digests a manifest points to, other than its `subject`. */
export function referencedDigests(fields: ManifestFields): {
  blobs: string[];
  manifests: string[];
} {
  const blobs: string[] = [];
  const manifests: string[] = [];
  const add = (list: string[], d: unknown) => {
    if (typeof d === "string") list.push(d);
  };
  add(blobs, fields.config?.digest);
  for (const layer of fields.layers ?? []) add(blobs, layer?.digest);
  for (const m of fields.manifests ?? []) add(manifests, m?.digest);
  return { blobs, manifests };
}

/** In-memory storage shared by the fake's servers. */
export class FakeStore {
  /** Blob bytes by digest, shared by all repositories. */
  readonly blobs: Map<string, Uint8Array> = new Map();
  /** Repositories by name. */
  readonly repositories: Map<string, FakeRepository> = new Map();
  /** Open upload sessions by UUID. */
  readonly uploads: Map<string, FakeUpload> = new Map();

  /** The repository `name`, created when missing. */
  ensureRepo(name: string): FakeRepository {
    let repo = this.repositories.get(name);
    if (repo === undefined) {
      repo = { tags: new Map(), manifests: new Map(), blobs: new Set() };
      this.repositories.set(name, repo);
    }
    return repo;
  }

  /** Stores a blob and links it into `repo`; returns its digest. */
  putBlob(repo: string, bytes: Uint8Array, digest = digestOf(bytes)): string {
    this.blobs.set(digest, bytes);
    this.ensureRepo(repo).blobs.add(digest);
    return digest;
  }

  /** The bytes of a blob linked into `repo`, if any. */
  blob(repo: string, digest: string): Uint8Array | undefined {
    if (!this.repositories.get(repo)?.blobs.has(digest)) return undefined;
    return this.blobs.get(digest);
  }

  /** Unlinks a blob from `repo`; forgets it when no repository links it. */
  deleteBlob(repo: string, digest: string): boolean {
    const r = this.repositories.get(repo);
    if (!r?.blobs.delete(digest)) return false;
    const stillLinked = [...this.repositories.values()].some((other) =>
      other.blobs.has(digest)
    );
    if (!stillLinked) this.blobs.delete(digest);
    return true;
  }

  /** Stores a manifest under its digest and, for a tag, tags it. */
  putManifest(
    repo: string,
    ref: string,
    bytes: Uint8Array,
    mediaType: string,
  ): string {
    const algorithm = ref.includes(":") ? ref.slice(0, ref.indexOf(":")) : "";
    const digest = digestOf(
      bytes,
      ALGORITHMS[algorithm] ? algorithm : "sha256",
    );
    const r = this.ensureRepo(repo);
    r.manifests.set(digest, { bytes, mediaType });
    if (!ref.includes(":")) r.tags.set(ref, digest);
    return digest;
  }

  /** Finds a manifest by tag or digest. */
  resolveManifest(
    repo: string,
    ref: string,
  ): { digest: string; manifest: FakeManifest } | undefined {
    const r = this.repositories.get(repo);
    if (r === undefined) return undefined;
    const digest = ref.includes(":") ? ref : r.tags.get(ref);
    const manifest = digest === undefined ? undefined : r.manifests.get(digest);
    return manifest && digest ? { digest, manifest } : undefined;
  }

  /**
   * Deletes a tag, or a manifest by digest together with the tags pointing
   * to it. Returns false when there was nothing to delete.
   */
  deleteManifest(repo: string, ref: string): boolean {
    const r = this.repositories.get(repo);
    if (r === undefined) return false;
    if (!ref.includes(":")) return r.tags.delete(ref);
    if (!r.manifests.delete(ref)) return false;
    for (const [tag, digest] of r.tags) {
      if (digest === ref) r.tags.delete(tag);
    }
    return true;
  }

  /**
   * Descriptors of the manifests in `repo` whose `subject` is `digest`,
   * sorted by digest, optionally only those of one `artifactType`.
   */
  referrers(
    repo: string,
    digest: string,
    artifactType?: string,
  ): ReferrerDescriptor[] {
    const out: ReferrerDescriptor[] = [];
    const r = this.repositories.get(repo);
    for (const [d, manifest] of r?.manifests ?? []) {
      const fields = parseManifest(manifest.bytes);
      if (fields?.subject?.digest !== digest) continue;
      const descriptor = referrerDescriptor(d, manifest, fields);
      if (artifactType && descriptor.artifactType !== artifactType) continue;
      out.push(descriptor);
    }
    return out.sort((a, b) => compare(a.digest, b.digest));
  }
}

/** The referrers-index descriptor of one manifest, as the spec says. */
function referrerDescriptor(
  digest: string,
  manifest: FakeManifest,
  fields: ManifestFields,
): ReferrerDescriptor {
  const descriptor: ReferrerDescriptor = {
    mediaType: manifest.mediaType,
    size: manifest.bytes.byteLength,
    digest,
  };
  const isIndex = Array.isArray(fields.manifests);
  if (typeof fields.artifactType === "string" && fields.artifactType) {
    descriptor.artifactType = fields.artifactType;
  } else if (!isIndex && typeof fields.config?.mediaType === "string") {
    descriptor.artifactType = fields.config.mediaType;
  }
  if (fields.annotations && typeof fields.annotations === "object") {
    descriptor.annotations = fields.annotations;
  }
  return descriptor;
}

/** ASCII order, as Go's `sort.Strings`. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
