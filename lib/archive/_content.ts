// Private: the content of an archive store, shared by the OCI archive and
// the docker archive. The archive as opened is indexed once (entry name ->
// offset, size) and read in place; what is written is staged in a hidden
// OCI layout beside the archive (same file system), and reads look there
// first. `commit` writes the new archive atomically (what is kept of the
// old one, what was staged, the stores' metadata files) and removes the
// staging directory; `discard` only removes it.

import { mkdir, open, rm, stat } from "node:fs/promises";
import { dirname } from "@std/path/posix/dirname";
import {
  ContentNotFoundError,
  isNotFound,
  SizeMismatchError,
  StoreError,
  UnsafeTarEntryError,
} from "../errors.ts";
import {
  isManifestMediaType,
  manifestDescriptor,
  manifestMediaType,
  parseManifestBytes,
  referrerDescriptor,
} from "../content/_manifest.ts";
import type {
  ManifestData,
  PushAction,
  PushContent,
} from "../content/store.ts";
import { verifyingStream } from "../content/verify.ts";
import { DigestHasher, isDigest, parseDigest } from "../ref/digest.ts";
import type { Descriptor, ImageIndex } from "../ref/media_types.ts";
import { OciLayout } from "../layout/oci_layout.ts";
import { isMissing, openRead, verifiedFileStream } from "../layout/_files.ts";
import { MAX_JSON_BYTES, parseIndexJson } from "../layout/_index.ts";
import { indexTar, type TarEntry } from "./_tar_index.ts";
import { type TarFile, writeTarAtomically } from "./_tar_write.ts";
import { besidePath, removeStaleBeside } from "../layout/_atomic_file.ts";

/** A metadata file written into an archive (`index.json`, `manifest.json` …). */
export interface MetaFile {
  /** Its name in the archive. */
  path: string;
  /** Its content. */
  bytes: Uint8Array;
}

/** The name of a blob in an archive, `blobs/<alg>/<hex>`. */
export function blobName(digest: string): string {
  const { algorithm, encoded } = parseDigest(digest);
  return `blobs/${algorithm}/${encoded}`;
}

/** The digest a `blobs/<alg>/<hex>` name stands for, if it is one. */
export function digestOfBlobName(name: string): string | undefined {
  const m = /^blobs\/(sha256|sha512)\/([0-9a-f]+)$/.exec(name);
  if (!m) return undefined;
  const digest = `${m[1]}:${m[2]}`;
  try {
    return parseDigest(digest).digest;
  } catch {
    return undefined;
  }
}

/** Names a store's own files may not be links or special files under. */
const METADATA = ["index.json", "oci-layout", "manifest.json", "repositories"];

/** The content of an archive: what it held when opened, and what was staged. */
export class ArchiveContent {
  /** The archive's path. */
  readonly path: string;
  /** For messages: `OCI archive "x.tar"`. */
  readonly label: string;
  /** The archive's entries as opened (empty for a new archive). */
  readonly entries: Map<string, TarEntry>;
  /** Whether the archive file existed when opened. */
  readonly existed: boolean;
  #stagingDir?: string;
  #staging?: Promise<OciLayout>;
  #staged = new Map<string, number>();
  #removed = new Set<string>();
  #aliases = new Map<string, TarEntry>();
  #memory = new Map<string, Uint8Array>();
  #done = false;

  private constructor(
    path: string,
    label: string,
    entries: Map<string, TarEntry>,
    existed: boolean,
  ) {
    this.path = path;
    this.label = label;
    this.entries = entries;
    this.existed = existed;
  }

  /**
   * Opens (indexes) an archive; a missing or empty file is a new archive
   * when `create` is set (the stale staging directories and temporary files
   * beside it, of writers that are gone, are then removed).
   *
   * @throws {StoreError} When the file is missing (code `NOT_FOUND`, without
   * `create`), is not a tar, or holds an unsafe entry.
   */
  static async open(
    path: string,
    label: string,
    create: boolean,
  ): Promise<ArchiveContent> {
    const attempted = `open ${label}`;
    if (create) await removeStaleBeside(path);
    let size: number;
    try {
      const info = await stat(path);
      if (!info.isFile()) {
        throw new StoreError(attempted, "it is not a file", path);
      }
      size = info.size;
    } catch (err) {
      if (!isMissing(err)) throw err;
      if (!create) {
        throw new StoreError(attempted, "no such file", path, {
          code: "NOT_FOUND",
          cause: err,
        });
      }
      return new ArchiveContent(path, label, new Map(), false);
    }
    if (size === 0 && create) {
      return new ArchiveContent(path, label, new Map(), true);
    }
    const file = await open(path, "r");
    let entries: Map<string, TarEntry>;
    try {
      entries = await indexTar(file, size, attempted, path);
    } finally {
      await file.close();
    }
    for (const entry of entries.values()) {
      const special = entry.name.startsWith("blobs/") ||
        METADATA.includes(entry.name);
      if (special && entry.type !== "file" && entry.type !== "directory") {
        throw new UnsafeTarEntryError(
          attempted,
          entry.name,
          `is a ${entry.type}, not a regular file (links are not followed)`,
          path,
        );
      }
    }
    return new ArchiveContent(path, label, entries, true);
  }

  #check(attempted: string): void {
    if (this.#done) {
      throw new StoreError(attempted, "the store is closed", this.path);
    }
  }

  /** The archive's regular-file entry of that name. */
  entry(name: string): TarEntry | undefined {
    const e = this.entries.get(name);
    return e?.type === "file" ? e : undefined;
  }

  /**
   * A metadata file of the archive as opened (not a blob: there is no
   * digest to check it against), bounded; `undefined` when there is none.
   */
  async readEntry(name: string): Promise<Uint8Array | undefined> {
    const entry = this.entry(name);
    if (!entry) return undefined;
    return await this.#readRange(entry, `read ${name} of ${this.label}`);
  }

  async #readRange(entry: TarEntry, attempted: string): Promise<Uint8Array> {
    if (entry.size > MAX_JSON_BYTES) {
      throw new StoreError(
        attempted,
        `it is ${entry.size} bytes, over the ${MAX_JSON_BYTES}-byte limit`,
        this.path,
      );
    }
    const file = await openRead(this.path);
    try {
      const out = new Uint8Array(entry.size);
      let got = 0;
      while (got < out.byteLength) {
        const { bytesRead } = await file.read(
          out,
          got,
          out.byteLength - got,
          entry.offset + got,
        );
        if (bytesRead === 0) {
          throw new StoreError(
            attempted,
            "the archive was truncated",
            this.path,
          );
        }
        got += bytesRead;
      }
      return out;
    } finally {
      await file.close();
    }
  }

  /** The first bytes of an entry (to tell gzip from tar). */
  async head(entry: TarEntry, length: number): Promise<Uint8Array> {
    return await this.#readRange(
      { ...entry, size: Math.min(length, entry.size) },
      `read ${entry.name} of ${this.label}`,
    );
  }

  /** Hashes an entry whole (for content not named by its digest). */
  async hashEntry(entry: TarEntry, signal?: AbortSignal): Promise<string> {
    const hasher = new DigestHasher();
    const file = await openRead(this.path);
    try {
      const buffer = new Uint8Array(1024 * 1024);
      let at = 0;
      while (at < entry.size) {
        signal?.throwIfAborted();
        const want = Math.min(buffer.byteLength, entry.size - at);
        const { bytesRead } = await file.read(
          buffer,
          0,
          want,
          entry.offset + at,
        );
        if (bytesRead === 0) {
          throw new StoreError(
            `read ${entry.name} of ${this.label}`,
            "the archive was truncated",
            this.path,
          );
        }
        hasher.update(buffer.subarray(0, bytesRead));
        at += bytesRead;
      }
    } finally {
      await file.close();
    }
    return hasher.digest();
  }

  /** Makes an entry outside `blobs/` readable as the blob `digest`. */
  addAlias(digest: string, entry: TarEntry): void {
    this.#aliases.set(digest, entry);
  }

  /** Makes bytes (a manifest made up from other files) a blob of the store. */
  addMemory(digest: string, bytes: Uint8Array): void {
    this.#memory.set(digest, bytes);
  }

  #archived(digest: string): TarEntry | undefined {
    // What is not a digest names no blob.
    if (this.#removed.has(digest) || !isDigest(digest)) return undefined;
    return this.entry(blobName(digest)) ?? this.#aliases.get(digest);
  }

  /** Whether the store holds the blob (of that size, when given). */
  has(digest: string, size?: number): boolean {
    const fits = (n: number) => size === undefined || size < 0 || n === size;
    const staged = this.#staged.get(digest);
    if (staged !== undefined) return fits(staged);
    const memory = this.#memory.get(digest);
    if (memory && !this.#removed.has(digest)) return fits(memory.byteLength);
    const entry = this.#archived(digest);
    return entry !== undefined && fits(entry.size);
  }

  /** The size of a blob the store holds. */
  sizeOf(digest: string): number | undefined {
    return this.#staged.get(digest) ??
      (this.#removed.has(digest) ? undefined : this.#memory.get(digest)
        ?.byteLength) ??
      this.#archived(digest)?.size;
  }

  /**
   * A blob as a stream verified against its digest (and size) as it is read.
   *
   * @throws {ContentNotFoundError} When the store does not hold it.
   * @throws {SizeMismatchError} When its size is not `size`.
   */
  async open(
    digest: string,
    size: number | undefined,
    signal?: AbortSignal,
  ): Promise<ReadableStream<Uint8Array>> {
    const attempted = `read blob ${digest} of ${this.label}`;
    this.#check(attempted);
    digest = parseDigest(digest).digest;
    signal?.throwIfAborted();
    const known = this.sizeOf(digest);
    if (known === undefined) {
      throw new ContentNotFoundError(attempted, this.path, "no such blob");
    }
    if (size !== undefined && size >= 0 && size !== known) {
      throw new SizeMismatchError(attempted, size, known);
    }
    if (this.#staged.has(digest)) {
      return (await this.#staging!).readBlob(digest, { size: known, signal });
    }
    const memory = this.#memory.get(digest);
    if (memory) {
      return verifyingStream(
        new Blob([memory as Uint8Array<ArrayBuffer>]).stream(),
        {
          digest,
          size: known,
          attempted,
        },
      );
    }
    const entry = this.#archived(digest)!;
    return verifiedFileStream(await openRead(this.path), {
      digest,
      size: entry.size,
      attempted,
      signal,
      start: entry.offset,
      length: entry.size,
    });
  }

  /** A (small) blob whole, verified; at most 16 MiB. */
  async bytes(
    digest: string,
    size: number | undefined,
    signal?: AbortSignal,
  ): Promise<Uint8Array> {
    const known = this.sizeOf(parseDigest(digest).digest);
    if (known !== undefined && known > MAX_JSON_BYTES) {
      throw new StoreError(
        `read ${digest} of ${this.label} whole`,
        `it is ${known} bytes, over the ${MAX_JSON_BYTES}-byte limit`,
        this.path,
      );
    }
    const stream = await this.open(digest, size, signal);
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }

  #stagingLayout(): Promise<OciLayout> {
    if (!this.#staging) {
      this.#stagingDir = besidePath(this.path, "staging");
      this.#staging = OciLayout.open(this.#stagingDir, { create: true });
      this.#staging.catch(() => {});
    }
    return this.#staging;
  }

  /**
   * Stages content (a blob, or a manifest's bytes); it is verified before it
   * is kept. Content the store holds already is not written again.
   */
  async stage(
    descriptor: Descriptor,
    content: PushContent,
    options: { signal?: AbortSignal; onBytes?: (n: number) => void } = {},
  ): Promise<PushAction> {
    const attempted = `write ${descriptor.digest} to ${this.label}`;
    const release = async (err?: unknown) => {
      if (content instanceof ReadableStream) {
        await content.cancel(err).catch(() => {});
      }
    };
    try {
      this.#check(attempted);
      const { algorithm, digest } = parseDigest(descriptor.digest);
      if (algorithm !== "sha256") {
        throw new StoreError(
          attempted,
          `${algorithm} blob names are too long for a ustar archive; only sha256 content is stored`,
          this.path,
        );
      }
      if (this.has(digest, descriptor.size)) {
        await release();
        return "exists";
      }
    } catch (err) {
      await release(err);
      throw err;
    }
    let source: PushContent = content;
    let staging: OciLayout;
    try {
      staging = await this.#stagingLayout();
      if (typeof source === "function") source = await source();
    } catch (err) {
      await release(err);
      throw err;
    }
    const written = await staging.writeBlob(source, {
      digest: descriptor.digest,
      size: descriptor.size,
      signal: options.signal,
      onBytes: options.onBytes,
    });
    this.#staged.set(written.digest, written.size);
    this.#removed.delete(written.digest);
    return "copied";
  }

  /** Stages a blob whose digest is computed (sha256) as it is written. */
  async stageComputed(
    source: ReadableStream<Uint8Array>,
    options: { signal?: AbortSignal; onBytes?: (n: number) => void } = {},
  ): Promise<{ digest: string; size: number }> {
    let staging: OciLayout;
    try {
      this.#check(`write a blob to ${this.label}`);
      staging = await this.#stagingLayout();
    } catch (err) {
      await source.cancel(err).catch(() => {});
      throw err;
    }
    const { digest, size } = await staging.writeBlob(source, options);
    this.#staged.set(digest, size);
    this.#removed.delete(digest);
    return { digest, size };
  }

  /** Removes a blob from the store (the archive keeps it until `commit`). */
  async remove(digest: string): Promise<void> {
    this.#check(`delete ${digest} from ${this.label}`);
    this.#removed.add(digest);
    this.#memory.delete(digest);
    if (this.#staged.delete(digest)) {
      await rm((await this.#staging!).blobPath(digest), { force: true });
    }
  }

  /** Every blob the store holds, in a stable order: the archive's first. */
  #blobs(): TarFile[] {
    const out = new Map<string, TarFile>();
    const add = (digest: string, size: number) => {
      if (out.has(digest)) return;
      out.set(digest, {
        path: blobName(digest),
        size,
        open: () => this.open(digest, size),
      });
    };
    for (const [name, entry] of this.entries) {
      const digest = digestOfBlobName(name);
      if (digest && entry.type === "file" && !this.#removed.has(digest)) {
        add(digest, entry.size);
      }
    }
    for (const [digest, entry] of this.#aliases) {
      if (!this.#removed.has(digest)) add(digest, entry.size);
    }
    for (const [digest, bytes] of this.#memory) add(digest, bytes.byteLength);
    for (const [digest, size] of this.#staged) add(digest, size);
    return [...out.values()];
  }

  /**
   * Writes the archive: `meta` files first, then every blob, through a
   * temporary file renamed over the archive. The staging directory is
   * removed whether it succeeds or not.
   */
  async commit(meta: MetaFile[], signal?: AbortSignal): Promise<void> {
    this.#check(`write ${this.label}`);
    try {
      await mkdir(dirname(this.path), { recursive: true });
      const files: TarFile[] = [
        ...meta.map((m) => ({
          path: m.path,
          size: m.bytes.byteLength,
          open: () => ReadableStream.from([m.bytes]),
        })),
        ...this.#blobs(),
      ];
      await writeTarAtomically(this.path, ["blobs/", "blobs/sha256/"], files, {
        signal,
      });
    } finally {
      this.#done = true;
      await this.#removeStaging();
    }
  }

  /** Drops what was staged; the archive stays as it was. */
  async discard(): Promise<void> {
    this.#done = true;
    await this.#removeStaging();
  }

  /** Whether `commit` or `discard` has run. */
  get done(): boolean {
    return this.#done;
  }

  async #removeStaging(): Promise<void> {
    const dir = this.#stagingDir;
    if (dir === undefined) return;
    await this.#staging?.catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The referrers of `digest` among manifests a store lists (its roots): those
 * whose `subject` is `digest`, with the artifact type asked for.
 */
export async function referrersAmong(
  roots: Descriptor[],
  read: (d: Descriptor) => Promise<ManifestData>,
  digest: string,
  artifactType?: string,
): Promise<Descriptor[]> {
  const seen = new Set<string>();
  const out: Descriptor[] = [];
  for (const root of roots) {
    if (seen.has(root.digest)) continue;
    seen.add(root.digest);
    if (!isManifestMediaType(root.mediaType ?? "")) continue;
    let data: ManifestData;
    try {
      data = await read(root);
    } catch (err) {
      if (isNotFound(err)) continue;
      throw err;
    }
    const r = referrerDescriptor(data.descriptor, data.manifest);
    if (r?.subject !== digest) continue;
    if (
      artifactType !== undefined && r.descriptor.artifactType !== artifactType
    ) {
      continue;
    }
    out.push(r.descriptor);
  }
  return out;
}

/**
 * Reads an archive's OCI layout files: `oci-layout` (a 1.x version) and
 * `index.json`.
 *
 * @throws {StoreError} When either is missing or malformed.
 */
export async function readOciIndex(
  content: ArchiveContent,
  attempted: string,
): Promise<ImageIndex> {
  const fail = (problem: string, cause?: unknown) =>
    new StoreError(attempted, problem, content.path, { cause });
  const layout = await content.readEntry("oci-layout");
  if (!layout) throw fail("no oci-layout file: it is not an OCI archive");
  let version: unknown;
  try {
    version = JSON.parse(new TextDecoder().decode(layout))?.imageLayoutVersion;
  } catch (cause) {
    throw fail("oci-layout is not JSON", cause);
  }
  if (typeof version !== "string" || !version.startsWith("1.")) {
    throw fail(`unsupported imageLayoutVersion ${JSON.stringify(version)}`);
  }
  const bytes = await content.readEntry("index.json");
  if (!bytes) throw fail("no index.json");
  const index = parseIndexJson(bytes, fail);
  for (const d of index.manifests) {
    if (!isDigest(d.digest)) {
      throw fail(
        `index.json has an entry whose digest ${
          JSON.stringify(d.digest)
        } does not parse`,
      );
    }
  }
  return index;
}

/** Reads a manifest of an archive whole, verified, and parses it. */
export async function readManifest(
  content: ArchiveContent,
  descriptor: Descriptor,
  signal?: AbortSignal,
): Promise<ManifestData> {
  const digest = parseDigest(descriptor.digest).digest;
  const bytes = await content.bytes(
    digest,
    descriptor.size >= 0 ? descriptor.size : undefined,
    signal,
  );
  const manifest = parseManifestBytes(
    bytes,
    (problem) =>
      new StoreError(
        `read manifest ${digest} of ${content.label}`,
        problem,
        content.path,
      ),
  );
  return {
    descriptor: manifestDescriptor(
      manifestMediaType(manifest, descriptor.mediaType || undefined),
      digest,
      bytes.byteLength,
      descriptor,
    ),
    bytes,
    manifest,
  };
}
