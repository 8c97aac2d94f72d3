/**
 * Pushing files as an artifact, as the OCI image spec 1.1 guidance and
 * oras do: an image manifest with an `artifactType`, the empty config
 * (`application/vnd.oci.empty.v1+json`, `{}`) unless a config is given,
 * one layer per file named by its `org.opencontainers.image.title`
 * annotation, directories packed as tar+gzip layers marked for unpacking
 * (`io.deis.oras.content.unpack`), manifest annotations (with
 * `org.opencontainers.image.created`, as oras adds it), and an optional
 * `subject` that attaches the artifact to an image. Into any store.
 *
 * @example Attach an SBOM to an image
 * ```ts
 * import { pushArtifact, RegistryStore } from "jsr:@scope/docker-registry-client";
 *
 * const store = new RegistryStore("http://127.0.0.1:5000/app", { access: "push" });
 * const result = await pushArtifact(store, ["sbom.spdx.json"], {
 *   artifactType: "application/spdx+json",
 *   subject: "1",
 * });
 * console.log(result.descriptor.digest);
 * ```
 *
 * @module
 */

import { stat } from "node:fs/promises";
import { basename } from "@std/path/posix/basename";
import { digestOf } from "../ref/digest.ts";
import { DigestHasher } from "../ref/_hasher.ts";
import { isDigest } from "../ref/_digest_core.ts";
import {
  type Descriptor,
  type ImageManifest,
  MEDIA_TYPE,
} from "../ref/media_types.ts";
import type {
  ImageStore,
  PushAction,
  PushContent,
  StoreCallOptions,
} from "../content/store.ts";
import { openRead, verifiedFileStream } from "../layout/_files.ts";
import {
  ARTIFACT_ANNOTATION,
  ARTIFACT_MEDIA_TYPE,
  EMPTY_JSON_BYTES,
  EMPTY_JSON_DESCRIPTOR,
} from "./types.ts";
import { checkTitle } from "./_paths.ts";
import { packDirectory } from "./_pack.ts";

/** One file (or directory) of an artifact. */
export interface ArtifactFile {
  /** A file or directory to read (a directory is packed as tar+gzip). */
  path?: string;
  /** Or the content itself (then `title` is required). */
  content?: Uint8Array;
  /**
   * Its name in the artifact, where a pull writes it. By default the path
   * as given when it is relative and stays inside (`docs/a.txt`), else its
   * last segment.
   */
  title?: string;
  /**
   * The layer's media type.
   * @default {"application/vnd.oci.image.layer.v1.tar"} for a file,
   * `"application/vnd.oci.image.layer.v1.tar+gzip"` for a directory
   */
  mediaType?: string;
  /** More annotations of the layer. */
  annotations?: Record<string, string>;
}

/** The config of an artifact that has one (instead of the empty one). */
export interface ArtifactConfig {
  /** A file to read. */
  path?: string;
  /** Or the content itself. */
  content?: Uint8Array;
  /** Its media type. @default {"application/vnd.unknown.config.v1+json"} */
  mediaType?: string;
}

/** Options of {@linkcode pushArtifact}. */
export interface PushArtifactOptions extends StoreCallOptions {
  /**
   * The artifact's type, e.g. `application/spdx+json`; required unless a
   * `config` is given (its media type then says what the artifact is).
   */
  artifactType?: string;
  /** A config instead of the empty one. */
  config?: ArtifactConfig;
  /** Annotations of the manifest. */
  annotations?: Record<string, string>;
  /**
   * The `org.opencontainers.image.created` annotation: a date, or `false`
   * for none. One given in `annotations` wins (it must be RFC 3339).
   * @default {new Date()}
   */
  created?: Date | false;
  /**
   * The manifest the artifact refers to: a tag or digest resolved in the
   * same store, or its descriptor.
   */
  subject?: string | Descriptor;
  /**
   * The tag of the artifact; by default the store's reference when it is a
   * tag, else none (a registry keeps it by digest; a layout or memory store
   * lists it untagged).
   */
  tag?: string;
}

/** What {@linkcode pushArtifact} did. */
export interface PushArtifactResult {
  /** The manifest's descriptor, with its `artifactType`. */
  descriptor: Descriptor;
  /** The manifest written. */
  manifest: ImageManifest;
  /** The tag, if any. */
  tag?: string;
  /** The subject's descriptor, if any. */
  subject?: Descriptor;
  /** Blobs uploaded (configs and layers). */
  blobsPushed: number;
  /** Blobs the store already had. */
  blobsExisting: number;
}

const MEDIA_TYPE_RE =
  /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;
const RFC3339_RE =
  /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function checkMediaType(value: string, what: string): void {
  if (typeof value !== "string" || !MEDIA_TYPE_RE.test(value)) {
    throw new TypeError(
      `Invalid ${what} ${
        JSON.stringify(value)
      }: expected a media type such as application/vnd.example+json`,
    );
  }
}

function checkAnnotations(
  annotations: Record<string, string> | undefined,
  what: string,
): void {
  if (annotations === undefined) return;
  if (typeof annotations !== "object" || annotations === null) {
    throw new TypeError(`Invalid ${what}: expected an object of strings`);
  }
  for (const [k, v] of Object.entries(annotations)) {
    if (k === "" || typeof v !== "string") {
      throw new TypeError(
        `Invalid ${what}: ${
          JSON.stringify(k)
        } must be a non-empty key with a string value`,
      );
    }
  }
}

/** `2026-12-07T13:15:00Z`: RFC 3339 in UTC, whole seconds, as oras writes it. */
function rfc3339(date: Date): string {
  if (Number.isNaN(date.getTime())) {
    throw new RangeError("Invalid created date");
  }
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The manifest annotations: the ones given, and `created` unless turned off. */
function manifestAnnotations(
  options: PushArtifactOptions,
): Record<string, string> | undefined {
  checkAnnotations(options.annotations, "manifest annotations");
  const out = { ...options.annotations };
  const given = out[ARTIFACT_ANNOTATION.CREATED];
  if (given !== undefined) {
    if (!RFC3339_RE.test(given) || Number.isNaN(Date.parse(given))) {
      throw new TypeError(
        `Invalid ${ARTIFACT_ANNOTATION.CREATED} annotation ${
          JSON.stringify(given)
        }: expected an RFC 3339 date and time`,
      );
    }
  } else if (options.created !== false) {
    out[ARTIFACT_ANNOTATION.CREATED] = rfc3339(options.created ?? new Date());
  }
  return Object.keys(out).length ? out : undefined;
}

/** A blob to push: its descriptor and how to open its content. */
interface BlobToPush {
  descriptor: Descriptor;
  content: PushContent;
}

/** Hashes a file once; its content is then read again, verified, to push. */
async function fileBlob(
  path: string,
  mediaType: string,
  signal: AbortSignal | undefined,
): Promise<BlobToPush> {
  const hasher = new DigestHasher();
  const file = await openRead(path);
  try {
    const buffer = new Uint8Array(256 * 1024);
    for (;;) {
      signal?.throwIfAborted();
      const { bytesRead } = await file.read(buffer, 0, buffer.byteLength);
      if (bytesRead === 0) break;
      hasher.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await file.close();
  }
  const descriptor = { mediaType, digest: hasher.digest(), size: hasher.size };
  return {
    descriptor,
    content: async () =>
      verifiedFileStream(await openRead(path), {
        digest: descriptor.digest,
        size: descriptor.size,
        attempted: `read "${path}" (it changed since it was hashed)`,
        signal,
      }),
  };
}

function bytesBlob(bytes: Uint8Array, mediaType: string): BlobToPush {
  return {
    descriptor: { mediaType, digest: digestOf(bytes), size: bytes.byteLength },
    content: bytes,
  };
}

/** The default title of a path: itself when relative and inside, else its last segment. */
function defaultTitle(path: string): string {
  const own = checkTitle(path);
  return own.title ?? basename(path.replace(/\/+$/, ""));
}

/**
 * Pushes files as an artifact (an OCI image manifest with an artifact
 * type): blobs first (those the store has are not uploaded again), then
 * the manifest, tagged when asked. A directory becomes one tar+gzip layer
 * whose entries are named under its title, marked
 * `io.deis.oras.content.unpack: "true"` with the tar's digest in
 * `io.deis.oras.content.digest`, as oras packs it. Without files, the
 * empty blob is the one layer, as oras does.
 *
 * On a registry without the referrers API, pushing an artifact with a
 * subject also updates the `<alg>-<hex>` fallback index (the registry
 * client does it).
 *
 * @param store Where to push (any store).
 * @param files Paths, or files with a title, media type, annotations.
 * @param options Artifact type, config, annotations, subject, tag.
 * @returns The manifest's descriptor and what was pushed.
 * @throws {TypeError} When the artifact type is missing (and no config is
 * given), a media type or annotation is malformed, a title is unsafe or
 * repeated.
 * @throws {NotFoundError} (registry) or {StoreError} when the subject is not there.
 *
 * @example Two files and an annotation, into an OCI layout
 * ```ts
 * import { OciLayout, pushArtifact } from "jsr:@scope/docker-registry-client";
 *
 * const layout = await OciLayout.open("./art-oci", { create: true });
 * await pushArtifact(layout, ["README.md", { path: "chart.tgz", mediaType: "application/vnd.cncf.helm.chart.content.v1.tar+gzip" }], {
 *   artifactType: "application/vnd.example.bundle",
 *   annotations: { "org.opencontainers.image.source": "https://example.com/repo" },
 *   tag: "v1",
 * });
 * ```
 */
export async function pushArtifact(
  store: ImageStore,
  files: readonly (string | ArtifactFile)[],
  options: PushArtifactOptions = {},
): Promise<PushArtifactResult> {
  const { signal } = options;
  signal?.throwIfAborted();
  if (!Array.isArray(files)) throw new TypeError("files must be an array");
  const artifactType = options.artifactType;
  if (artifactType !== undefined) checkMediaType(artifactType, "artifact type");
  if (artifactType === undefined && options.config === undefined) {
    throw new TypeError(
      "An artifact needs an artifact type (or a config whose media type says what it is)",
    );
  }
  const annotations = manifestAnnotations(options);
  const inputs = files.map((f) => typeof f === "string" ? { path: f } : f);
  const titles = new Set<string>();
  const planned = inputs.map((f) => {
    if ((f.path === undefined) === (f.content === undefined)) {
      throw new TypeError("Each artifact file needs either a path or content");
    }
    const raw = f.title ?? (f.path !== undefined ? defaultTitle(f.path) : "");
    const checked = checkTitle(raw);
    if (checked.problem !== undefined) {
      throw new TypeError(
        `Invalid title ${JSON.stringify(raw)}: it ${checked.problem}`,
      );
    }
    if (titles.has(checked.title)) {
      throw new TypeError(
        `Two files of the artifact have the title ${
          JSON.stringify(checked.title)
        }`,
      );
    }
    titles.add(checked.title);
    if (f.mediaType !== undefined) checkMediaType(f.mediaType, "media type");
    checkAnnotations(f.annotations, `annotations of "${checked.title}"`);
    return { ...f, title: checked.title };
  });

  let subject: Descriptor | undefined;
  if (options.subject !== undefined) {
    const s = typeof options.subject === "string"
      ? await store.resolve(options.subject, { signal })
      : options.subject;
    if (!isDigest(s.digest)) {
      throw new TypeError(`Invalid subject digest ${JSON.stringify(s.digest)}`);
    }
    subject = { mediaType: s.mediaType, digest: s.digest, size: s.size };
  }

  const counts = { pushed: 0, existing: 0 };
  const count = (action: PushAction) => {
    if (action === "exists") counts.existing++;
    else counts.pushed++;
  };
  const pushBlob = async (blob: BlobToPush) =>
    count(await store.push(blob.descriptor, blob.content, { signal }));

  let config: Descriptor;
  if (options.config !== undefined) {
    const c = options.config;
    if ((c.path === undefined) === (c.content === undefined)) {
      throw new TypeError("The config needs either a path or content");
    }
    const mediaType = c.mediaType ?? ARTIFACT_MEDIA_TYPE.CONFIG;
    checkMediaType(mediaType, "config media type");
    const blob = c.path !== undefined
      ? await fileBlob(c.path, mediaType, signal)
      : bytesBlob(c.content!, mediaType);
    await pushBlob(blob);
    config = blob.descriptor;
  } else {
    await pushBlob({
      descriptor: EMPTY_JSON_DESCRIPTOR,
      content: EMPTY_JSON_BYTES,
    });
    config = { ...EMPTY_JSON_DESCRIPTOR };
  }

  const layers: Descriptor[] = [];
  for (const f of planned) {
    signal?.throwIfAborted();
    const title = { [ARTIFACT_ANNOTATION.TITLE]: f.title };
    if (f.content !== undefined) {
      const blob = bytesBlob(
        f.content,
        f.mediaType ?? ARTIFACT_MEDIA_TYPE.FILE,
      );
      await pushBlob(blob);
      layers.push({
        ...blob.descriptor,
        annotations: { ...f.annotations, ...title },
      });
      continue;
    }
    const info = await stat(f.path!);
    if (info.isDirectory()) {
      const packed = packDirectory(f.path!, f.title, signal);
      const d = await store.pushBlob(packed.stream, {
        mediaType: f.mediaType ?? ARTIFACT_MEDIA_TYPE.DIRECTORY,
        signal,
      });
      counts.pushed++;
      layers.push({
        mediaType: d.mediaType,
        digest: d.digest,
        size: d.size,
        annotations: {
          ...f.annotations,
          [ARTIFACT_ANNOTATION.CONTENT_DIGEST]: packed.tarDigest(),
          [ARTIFACT_ANNOTATION.UNPACK]: "true",
          ...title,
        },
      });
    } else {
      const blob = await fileBlob(
        f.path!,
        f.mediaType ?? ARTIFACT_MEDIA_TYPE.FILE,
        signal,
      );
      await pushBlob(blob);
      layers.push({
        ...blob.descriptor,
        annotations: { ...f.annotations, ...title },
      });
    }
  }
  if (layers.length === 0) {
    if (options.config !== undefined) {
      await pushBlob({
        descriptor: EMPTY_JSON_DESCRIPTOR,
        content: EMPTY_JSON_BYTES,
      });
    }
    layers.push({ ...EMPTY_JSON_DESCRIPTOR });
  }

  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.OCI_MANIFEST,
    ...(artifactType !== undefined ? { artifactType } : {}),
    config,
    layers,
    ...(subject ? { subject } : {}),
    ...(annotations ? { annotations } : {}),
  };
  const bytes = new TextEncoder().encode(JSON.stringify(manifest));
  const descriptor: Descriptor = {
    mediaType: MEDIA_TYPE.OCI_MANIFEST,
    digest: digestOf(bytes),
    size: bytes.byteLength,
    artifactType: artifactType ?? config.mediaType,
  };
  const ref = store.reference;
  const tag = options.tag ??
    (ref !== undefined && !isDigest(ref) ? ref : undefined);
  await store.push(descriptor, bytes, {
    signal,
    ...(tag !== undefined ? { tag } : { listed: true }),
  });
  return {
    descriptor,
    manifest,
    ...(tag !== undefined ? { tag } : {}),
    ...(subject ? { subject } : {}),
    blobsPushed: counts.pushed,
    blobsExisting: counts.existing,
  };
}
