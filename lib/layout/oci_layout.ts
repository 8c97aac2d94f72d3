/**
 * OCI image layouts on disk (the OCI image spec's `image-layout.md`): an
 * `oci-layout` file (`{"imageLayoutVersion":"1.0.0"}`), an `index.json`
 * image index whose entries carry their tag in the
 * `org.opencontainers.image.ref.name` annotation, and the content under
 * `blobs/<alg>/<hex>`. skopeo (`oci:DIR:TAG`), crane, regctl and oras read
 * and write the same format.
 *
 * Blobs are written through a temporary file renamed into place once its
 * digest checks out, so a blob file is always complete and correct; they are
 * read as streams verified against their digest. `index.json` is replaced
 * atomically.
 *
 * @example Read what a layout holds
 * ```ts
 * import { OciLayout } from "jsr:@scope/docker-registry-client";
 *
 * const layout = await OciLayout.open("./alpine-oci");
 * for (const tag of await layout.listTags()) {
 *   const desc = await layout.resolve(tag);
 *   console.log(tag, desc.digest, desc.mediaType);
 * }
 * ```
 *
 * @module
 */

import { dirname } from "@std/path/posix/dirname";
import { join } from "@std/path/posix/join";
import { CHUNK_SIZE, ChunkReader } from "../content/_byte_reader.ts";
import {
  DigestHasher,
  digestOf,
  type ParsedDigest,
  parseDigest,
} from "../ref/digest.ts";
import { DigestMismatchError, SizeMismatchError } from "../errors.ts";
import {
  type Descriptor,
  type ImageIndex,
  MEDIA_TYPE,
} from "../ref/media_types.ts";

/** The annotation that holds an `index.json` entry's tag. */
export const REF_NAME_ANNOTATION = "org.opencontainers.image.ref.name";

/** The `imageLayoutVersion` written to `oci-layout`. */
export const OCI_IMAGE_LAYOUT_VERSION = "1.0.0";

/** The largest manifest or `index.json` read from a layout (16 MiB). */
const MAX_JSON_BYTES = 16 * 1024 * 1024;

/**
 * A directory that is not a usable OCI image layout, or a tag it does not
 * hold.
 *
 * @example
 * ```ts
 * import { OciLayout, OciLayoutError } from "jsr:@scope/docker-registry-client";
 *
 * try {
 *   await OciLayout.open("/tmp/not-a-layout");
 * } catch (err) {
 *   if (err instanceof OciLayoutError) console.error(err.message);
 * }
 * ```
 */
export class OciLayoutError extends Error {
  /** The layout directory. */
  readonly path: string;

  /**
   * Creates the error.
   *
   * @param attempted What was attempted, e.g. `open OCI layout "./x"`.
   * @param problem What is wrong.
   * @param path The layout directory.
   * @param options The cause, if any.
   */
  constructor(
    attempted: string,
    problem: string,
    path: string,
    options?: { cause?: unknown },
  ) {
    super(`Cannot ${attempted}: ${problem}`, options);
    this.name = "OciLayoutError";
    this.path = path;
  }
}

/** Options of {@linkcode OciLayout.open}. */
export interface OpenLayoutOptions {
  /**
   * Create the layout when the directory is missing or empty.
   * @default {false}
   */
  create?: boolean;
}

/** Options of reading a blob from a layout. */
export interface ReadLayoutBlobOptions {
  /** The expected size (from a descriptor); checked before and while reading. */
  size?: number;
  /** Cancels the read. */
  signal?: AbortSignal;
}

/** Options of {@linkcode OciLayout.writeBlob}. */
export interface WriteLayoutBlobOptions {
  /** The digest the content must have; computed (sha256) when not given. */
  digest?: string;
  /** The size the content must have, when known. */
  size?: number;
  /** Cancels the write; the temporary file is removed. */
  signal?: AbortSignal;
  /**
   * The source stream checks itself against `digest` and errors on a
   * mismatch (as `createBlobReadStream` does): the layout does not hash it
   * a second time. Needs `digest`; the size is still checked.
   * @default {false}
   */
  verified?: boolean;
}

/** What {@linkcode OciLayout.writeBlob} wrote. */
export interface WrittenLayoutBlob {
  /** The blob's digest. */
  digest: string;
  /** Its size in bytes. */
  size: number;
  /** The blob file. */
  path: string;
  /** `true` when the blob was already there (nothing was written). */
  existed: boolean;
}

/** Counts bytes of content already hashed, or that verifies itself: no second hash. */
class SizeCounter {
  size = 0;
  readonly #digest: string;
  constructor(digest: string) {
    this.#digest = digest;
  }
  update(chunk: Uint8Array): void {
    this.size += chunk.byteLength;
  }
  digest(): string {
    return this.#digest;
  }
}

/**
 * An OCI image layout directory. Open one with {@linkcode OciLayout.open}.
 * Updates of `index.json` made through one instance are serialised.
 *
 * @example Write a blob and tag a manifest
 * ```ts
 * import { MEDIA_TYPE, OciLayout } from "jsr:@scope/docker-registry-client";
 *
 * const layout = await OciLayout.open("./out", { create: true });
 * const manifest = new TextEncoder().encode('{"schemaVersion":2}');
 * const { digest, size } = await layout.writeBlob(manifest);
 * await layout.setTag("v1", { mediaType: MEDIA_TYPE.OCI_MANIFEST, digest, size });
 * ```
 */
export class OciLayout {
  /** The layout directory. */
  readonly path: string;
  #indexLock: Promise<unknown> = Promise.resolve();

  private constructor(path: string) {
    this.path = path;
  }

  /**
   * Opens a layout; with `create`, makes one in a missing or empty
   * directory (`oci-layout`, `index.json` with no entries, `blobs/`).
   *
   * @param path The directory.
   * @param options Whether to create the layout.
   * @returns The layout.
   * @throws {OciLayoutError} When the directory is not an OCI layout (no
   * `oci-layout` file, an unknown major version, or, with `create`, a
   * directory that holds other files).
   *
   * @example
   * ```ts
   * import { OciLayout } from "jsr:@scope/docker-registry-client";
   *
   * const layout = await OciLayout.open("./out", { create: true });
   * console.log(await layout.listTags());
   * ```
   */
  static async open(
    path: string,
    options: OpenLayoutOptions = {},
  ): Promise<OciLayout> {
    const attempted = `open OCI layout "${path}"`;
    const layout = new OciLayout(path);
    let text: string | undefined;
    try {
      text = await Deno.readTextFile(join(path, "oci-layout"));
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
    if (text === undefined) {
      if (!options.create) {
        throw new OciLayoutError(attempted, "no oci-layout file", path);
      }
      await layout.#init(attempted);
      return layout;
    }
    let version: unknown;
    try {
      version = (JSON.parse(text) as { imageLayoutVersion?: unknown })
        ?.imageLayoutVersion;
    } catch (cause) {
      throw new OciLayoutError(attempted, "oci-layout is not JSON", path, {
        cause,
      });
    }
    if (typeof version !== "string" || !version.startsWith("1.")) {
      throw new OciLayoutError(
        attempted,
        `unsupported imageLayoutVersion ${JSON.stringify(version)}`,
        path,
      );
    }
    try {
      await Deno.stat(join(path, "index.json"));
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound) || !options.create) {
        throw new OciLayoutError(attempted, "no index.json", path, {
          cause: err,
        });
      }
      await layout.writeIndex(emptyIndex());
    }
    return layout;
  }

  async #init(attempted: string): Promise<void> {
    try {
      for (const entry of Deno.readDirSync(this.path)) {
        throw new OciLayoutError(
          attempted,
          `the directory is not empty (holds "${entry.name}") and is not an OCI layout`,
          this.path,
        );
      }
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
    await Deno.mkdir(join(this.path, "blobs", "sha256"), { recursive: true });
    await this.writeIndex(emptyIndex());
    await atomicWrite(
      this.path,
      "oci-layout",
      new TextEncoder().encode(
        JSON.stringify({ imageLayoutVersion: OCI_IMAGE_LAYOUT_VERSION }),
      ),
    );
  }

  /**
   * The path of a blob's file, `blobs/<alg>/<hex>`.
   *
   * @param digest The blob's digest.
   * @returns The path (the file may not exist).
   * @throws {InvalidDigestError} When the digest does not parse.
   *
   * @example
   * ```ts
   * import { OciLayout } from "jsr:@scope/docker-registry-client";
   *
   * const layout = await OciLayout.open("./out");
   * console.log(layout.blobPath("sha256:" + "0".repeat(64)));
   * ```
   */
  blobPath(digest: string): string {
    const { algorithm, encoded } = parseDigest(digest);
    return join(this.path, "blobs", algorithm, encoded);
  }

  /**
   * Whether the layout holds a blob (of the given size, when given). The
   * content is not re-hashed: blobs are only ever renamed into place after
   * their digest was checked.
   *
   * @param digest The blob's digest.
   * @param size The expected size, if known.
   * @returns `true` when the file is there (with that size).
   *
   * @example
   * ```ts
   * import { OciLayout } from "jsr:@scope/docker-registry-client";
   *
   * const layout = await OciLayout.open("./out");
   * console.log(await layout.hasBlob("sha256:" + "0".repeat(64)));
   * ```
   */
  async hasBlob(digest: string, size?: number): Promise<boolean> {
    try {
      const info = await Deno.stat(this.blobPath(digest));
      return info.isFile && (size === undefined || info.size === size);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return false;
      throw err;
    }
  }

  /**
   * Reads a blob as a stream checked against its digest (and size) while it
   * streams: a mismatch errors the stream.
   *
   * @param digest The blob's digest.
   * @param options The expected size, cancellation.
   * @returns The verified stream.
   * @throws {Deno.errors.NotFound} When the blob is not there.
   * @throws {SizeMismatchError} When the file's size differs from `size`.
   *
   * @example
   * ```ts
   * import { OciLayout } from "jsr:@scope/docker-registry-client";
   *
   * const layout = await OciLayout.open("./out");
   * const desc = await layout.resolve("v1");
   * const stream = await layout.readBlob(desc.digest, { size: desc.size });
   * console.log(await new Response(stream).text());
   * ```
   */
  async readBlob(
    digest: string,
    options: ReadLayoutBlobOptions = {},
  ): Promise<ReadableStream<Uint8Array>> {
    const path = this.blobPath(digest);
    const attempted = `read blob ${digest} of OCI layout "${this.path}"`;
    const file = await Deno.open(path, { read: true });
    try {
      const { size } = await file.stat();
      if (options.size !== undefined && size !== options.size) {
        throw new SizeMismatchError(attempted, options.size, size);
      }
    } catch (err) {
      file.close();
      throw err;
    }
    return verifiedFileStream(file, {
      digest,
      size: options.size,
      attempted,
      signal: options.signal,
    });
  }

  /**
   * Reads a whole (small) blob, such as a manifest or a config, verified.
   *
   * @param digest The blob's digest.
   * @param options The expected size, cancellation.
   * @returns The bytes.
   * @throws {Deno.errors.NotFound} When the blob is not there.
   * @throws {RangeError} When the blob is over 16 MiB.
   * @throws {DigestMismatchError} When the content does not match.
   *
   * @example
   * ```ts
   * import { OciLayout } from "jsr:@scope/docker-registry-client";
   *
   * const layout = await OciLayout.open("./out");
   * const desc = await layout.resolve("v1");
   * console.log(new TextDecoder().decode(await layout.readBlobBytes(desc.digest)));
   * ```
   */
  async readBlobBytes(
    digest: string,
    options: ReadLayoutBlobOptions = {},
  ): Promise<Uint8Array> {
    const info = await Deno.stat(this.blobPath(digest));
    if (info.size > MAX_JSON_BYTES) {
      throw new RangeError(
        `Cannot read blob ${digest} of OCI layout "${this.path}" whole: ${info.size} bytes is over ${MAX_JSON_BYTES}`,
      );
    }
    const stream = await this.readBlob(digest, options);
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }

  /**
   * Writes a blob: the content goes to a temporary file in the layout,
   * which is renamed to `blobs/<alg>/<hex>` only once its digest (and size)
   * check out. A blob already there is not written again (a stream given is
   * then cancelled).
   *
   * @param source The content.
   * @param options The expected digest and size, cancellation.
   * @returns The digest, size and path, and whether it was already there.
   * @throws {DigestMismatchError} When the content does not match `digest`.
   * @throws {SizeMismatchError} When it does not match `size`.
   *
   * @example
   * ```ts
   * import { OciLayout } from "jsr:@scope/docker-registry-client";
   *
   * const layout = await OciLayout.open("./out", { create: true });
   * const res = await fetch("http://127.0.0.1:5000/v2/foo/blobs/sha256:...");
   * await layout.writeBlob(res.body!, { digest: "sha256:..." });
   * ```
   */
  async writeBlob(
    source: ReadableStream<Uint8Array> | Uint8Array,
    options: WriteLayoutBlobOptions = {},
  ): Promise<WrittenLayoutBlob> {
    const { signal } = options;
    let expected: ParsedDigest | undefined;
    try {
      signal?.throwIfAborted();
      // Bytes without a digest are hashed here, once: they are then
      // written as verified.
      const digest = options.digest ??
        (source instanceof Uint8Array ? digestOf(source) : undefined);
      if (digest !== undefined) {
        expected = parseDigest(digest);
        const path = this.blobPath(digest);
        if (await this.hasBlob(digest, options.size)) {
          if (source instanceof ReadableStream) await source.cancel();
          const size = options.size ?? (await Deno.stat(path)).size;
          return { digest, size, path, existed: true };
        }
      }
    } catch (err) {
      // A stream given is released (a response body keeps its connection).
      if (source instanceof ReadableStream) {
        await source.cancel(err).catch(() => {});
      }
      throw err;
    }
    const attempted = `write blob ${
      expected?.digest ?? "(digest unknown)"
    } to OCI layout "${this.path}"`;
    const selfChecked = source instanceof Uint8Array
      ? options.digest === undefined
      : options.verified === true;
    const hasher = selfChecked && expected
      ? new SizeCounter(expected.digest)
      : new DigestHasher(expected?.algorithm ?? "sha256");
    const reader = source instanceof Uint8Array
      ? undefined
      : new ChunkReader(source);
    const onAbort = () => reader?.cancel(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    const temp = join(this.path, `.tmp-blob-${crypto.randomUUID()}`);
    try {
      const file = await Deno.open(temp, {
        write: true,
        createNew: true,
        mode: 0o644,
      });
      try {
        const write = async (chunk: Uint8Array) => {
          if (
            options.size !== undefined &&
            hasher.size + chunk.byteLength > options.size
          ) {
            throw new SizeMismatchError(
              attempted,
              options.size,
              hasher.size + chunk.byteLength,
            );
          }
          hasher.update(chunk);
          let off = 0;
          while (off < chunk.byteLength) {
            off += await file.write(chunk.subarray(off));
          }
        };
        if (source instanceof Uint8Array) await write(source);
        else {
          for (;;) {
            const chunk = await reader!.next();
            signal?.throwIfAborted();
            if (chunk === undefined) break;
            await write(chunk);
          }
        }
      } finally {
        file.close();
      }
      const size = hasher.size;
      if (options.size !== undefined && size !== options.size) {
        throw new SizeMismatchError(attempted, options.size, size);
      }
      const digest = hasher.digest();
      if (expected && digest !== expected.digest) {
        throw new DigestMismatchError(attempted, expected.digest, digest);
      }
      const path = this.blobPath(digest);
      await Deno.mkdir(dirname(path), { recursive: true });
      await Deno.rename(temp, path);
      return { digest, size, path, existed: false };
    } catch (err) {
      await reader?.cancel(err);
      await Deno.remove(temp).catch(() => {});
      throw err;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /**
   * Reads `index.json`.
   *
   * @returns The image index (its `manifests` always an array).
   * @throws {OciLayoutError} When `index.json` is missing or not an index.
   *
   * @example
   * ```ts
   * import { OciLayout } from "jsr:@scope/docker-registry-client";
   *
   * const layout = await OciLayout.open("./out");
   * console.log((await layout.readIndex()).manifests.length);
   * ```
   */
  async readIndex(): Promise<ImageIndex> {
    const attempted = `read index.json of OCI layout "${this.path}"`;
    let text: string;
    try {
      const info = await Deno.stat(join(this.path, "index.json"));
      if (info.size > MAX_JSON_BYTES) {
        throw new OciLayoutError(
          attempted,
          "index.json is too large",
          this.path,
        );
      }
      text = await Deno.readTextFile(join(this.path, "index.json"));
    } catch (err) {
      if (err instanceof OciLayoutError) throw err;
      throw new OciLayoutError(attempted, String(err), this.path, {
        cause: err,
      });
    }
    let index: ImageIndex;
    try {
      index = JSON.parse(text);
    } catch (cause) {
      throw new OciLayoutError(attempted, "index.json is not JSON", this.path, {
        cause,
      });
    }
    if (
      typeof index !== "object" || index === null ||
      !Array.isArray(index.manifests ?? [])
    ) {
      throw new OciLayoutError(
        attempted,
        "index.json is not an image index",
        this.path,
      );
    }
    index.manifests ??= [];
    return index;
  }

  /**
   * Replaces `index.json` atomically (temporary file and rename).
   *
   * @param index The new index.
   * @returns Nothing.
   *
   * @example
   * ```ts
   * import { OciLayout } from "jsr:@scope/docker-registry-client";
   *
   * const layout = await OciLayout.open("./out");
   * const index = await layout.readIndex();
   * index.manifests = index.manifests.filter((d) => d.annotations?.["org.opencontainers.image.ref.name"] !== "old");
   * await layout.writeIndex(index);
   * ```
   */
  async writeIndex(index: ImageIndex): Promise<void> {
    await atomicWrite(
      this.path,
      "index.json",
      new TextEncoder().encode(JSON.stringify(index)),
    );
  }

  /**
   * The tags of the layout, from the entries' `ref.name` annotations.
   *
   * @returns The tags, in `index.json` order.
   * @throws {OciLayoutError} When `index.json` cannot be read.
   *
   * @example
   * ```ts
   * import { OciLayout } from "jsr:@scope/docker-registry-client";
   *
   * console.log(await (await OciLayout.open("./out")).listTags()); // ["v1"]
   * ```
   */
  async listTags(): Promise<string[]> {
    const index = await this.readIndex();
    return index.manifests
      .map((d) => d.annotations?.[REF_NAME_ANNOTATION])
      .filter((t): t is string => typeof t === "string");
  }

  /**
   * Finds the entry of `index.json` for a tag; without a tag, the only
   * entry (an untagged layout, or one holding a single image).
   *
   * @param tag The tag (`ref.name`); a digest picks the entry with that digest.
   * @returns The entry's descriptor.
   * @throws {OciLayoutError} When there is no such tag, or no tag was given
   * and the layout does not hold exactly one entry.
   *
   * @example
   * ```ts
   * import { OciLayout } from "jsr:@scope/docker-registry-client";
   *
   * const layout = await OciLayout.open("./out");
   * console.log((await layout.resolve("v1")).digest);
   * ```
   */
  async resolve(tag?: string): Promise<Descriptor> {
    const index = await this.readIndex();
    const attempted = `find ${
      tag === undefined ? "the image" : `"${tag}"`
    } in OCI layout "${this.path}"`;
    const tags = () => {
      const all = index.manifests
        .map((d) => d.annotations?.[REF_NAME_ANNOTATION])
        .filter((t) => t !== undefined);
      return all.length ? `(tags: ${all.join(", ")})` : "(no tags)";
    };
    if (tag === undefined) {
      if (index.manifests.length === 1) return index.manifests[0];
      const tagged = index.manifests.filter((d) =>
        d.annotations?.[REF_NAME_ANNOTATION] !== undefined
      );
      if (tagged.length === 1) return tagged[0];
      throw new OciLayoutError(
        attempted,
        index.manifests.length === 0
          ? "the layout is empty"
          : `it holds ${index.manifests.length} entries: name one ${tags()}`,
        this.path,
      );
    }
    const found = tag.includes(":")
      ? index.manifests.find((d) => d.digest === tag)
      : index.manifests.findLast((d) =>
        d.annotations?.[REF_NAME_ANNOTATION] === tag
      );
    if (!found) {
      throw new OciLayoutError(attempted, `no such tag ${tags()}`, this.path);
    }
    return found;
  }

  /**
   * Adds an entry to `index.json`: tagged (replacing any entry with that
   * tag), or untagged (kept once per digest, as for referrers).
   *
   * @param tag The tag to give it, or `undefined` for an untagged entry.
   * @param descriptor The manifest's descriptor (its blob should be there).
   * @returns Nothing.
   * @throws {OciLayoutError} When `index.json` cannot be read.
   *
   * @example
   * ```ts
   * import { MEDIA_TYPE, OciLayout } from "jsr:@scope/docker-registry-client";
   *
   * const layout = await OciLayout.open("./out");
   * const desc = await layout.resolve("v1");
   * await layout.setTag("latest", desc);
   * ```
   */
  setTag(tag: string | undefined, descriptor: Descriptor): Promise<void> {
    const update = this.#indexLock.then(async () => {
      const index = await this.readIndex();
      const { annotations, ...rest } = descriptor;
      const others = { ...annotations };
      delete others[REF_NAME_ANNOTATION];
      const entry: Descriptor = tag === undefined
        ? { ...rest }
        : { ...rest, annotations: { ...others, [REF_NAME_ANNOTATION]: tag } };
      if (tag === undefined && Object.keys(others).length) {
        entry.annotations = others;
      }
      if (tag === undefined) {
        if (
          index.manifests.some((d) =>
            d.digest === entry.digest &&
            d.annotations?.[REF_NAME_ANNOTATION] === undefined
          )
        ) return;
        index.manifests.push(entry);
      } else {
        index.manifests = index.manifests.filter((d) =>
          d.annotations?.[REF_NAME_ANNOTATION] !== tag
        );
        index.manifests.push(entry);
      }
      index.schemaVersion = 2;
      index.mediaType ??= MEDIA_TYPE.OCI_INDEX;
      await this.writeIndex(index);
    });
    this.#indexLock = update.catch(() => {});
    return update;
  }
}

function emptyIndex(): ImageIndex {
  return { schemaVersion: 2, mediaType: MEDIA_TYPE.OCI_INDEX, manifests: [] };
}

/** Writes `dir/name` through a temporary file and a rename. */
async function atomicWrite(
  dir: string,
  name: string,
  bytes: Uint8Array,
): Promise<void> {
  const temp = join(dir, `.tmp-${name}-${crypto.randomUUID()}`);
  try {
    await Deno.writeFile(temp, bytes, { mode: 0o644 });
    await Deno.rename(temp, join(dir, name));
  } catch (err) {
    await Deno.remove(temp).catch(() => {});
    throw err;
  }
}

/**
 * A file as a byte stream checked against a digest (and size) while it is
 * read; BYOB readers get the bytes in their own buffers. The file is closed
 * at the end, on error and on cancel.
 */
function verifiedFileStream(
  file: Deno.FsFile,
  options: {
    digest: string;
    size?: number;
    attempted: string;
    signal?: AbortSignal;
  },
): ReadableStream<Uint8Array> {
  const { digest, size, attempted, signal } = options;
  const hasher = new DigestHasher(parseDigest(digest).algorithm);
  let closed = false;
  const close = () => {
    if (!closed) {
      closed = true;
      file.close();
    }
  };
  return new ReadableStream({
    type: "bytes",
    autoAllocateChunkSize: CHUNK_SIZE,
    async pull(controller) {
      try {
        signal?.throwIfAborted();
        const request = controller.byobRequest!;
        const view = request.view!;
        const n = await file.read(
          new Uint8Array(view.buffer, view.byteOffset, view.byteLength),
        );
        if (n === null) {
          close();
          if (size !== undefined && hasher.size !== size) {
            throw new SizeMismatchError(attempted, size, hasher.size);
          }
          const actual = hasher.digest();
          if (actual !== digest) {
            throw new DigestMismatchError(attempted, digest, actual);
          }
          controller.close();
          request.respond(0);
          return;
        }
        hasher.update(
          new Uint8Array(view.buffer, view.byteOffset, n),
        );
        if (size !== undefined && hasher.size > size) {
          throw new SizeMismatchError(attempted, size, hasher.size);
        }
        request.respond(n);
      } catch (err) {
        close();
        throw err;
      }
    },
    cancel() {
      close();
    },
  });
}
