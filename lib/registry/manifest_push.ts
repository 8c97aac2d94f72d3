/**
 * Manifest pushes and deletes, and the referrers fallback index.
 *
 * A push (`PUT /v2/<name>/manifests/<ref>`) takes the manifest parsed
 * (serialised with `JSON.stringify`) or as its exact bytes, up to the cap
 * (`maxManifestBytes`, 4 MiB by default). `Content-Type` is the manifest's
 * own `mediaType`, else `options.mediaType`, else an OCI index or manifest
 * by its shape (never a schema 1 default). The digest is computed locally,
 * checked against `ref` before sending when `ref` is a digest, and against
 * the `Docker-Content-Digest` the registry confirms.
 *
 * When a manifest with a `subject` is pushed to a registry that does not
 * answer `OCI-Subject` (no referrers API), the client keeps the index tagged
 * `<alg>-<hex>` of the subject's digest up to date itself: the manifest is
 * added (or replaced) with its `artifactType` and annotations.
 *
 * A delete by tag refused with 400 `DIGEST_INVALID` (distribution 2.x) or
 * with `UNSUPPORTED` resolves the tag (`headManifest`) and deletes the
 * manifest by digest, which removes every tag pointing at it. Any other
 * refusal is thrown as it came: a bare 405 means deletes are disabled.
 *
 * The public entry points are the methods of `RegistryClientV2`
 * (`putManifest`, `deleteManifest`), through `manifests.ts`, which loads
 * this module on first use; the types they take and return are in
 * `options.ts`.
 *
 * @module
 */

import { readBounded } from "../http/_body.ts";
import { type CallOptions, refSuffix, type RepoHttp } from "./_repo_http.ts";
import type { PutManifestOptions, PutManifestResult } from "./options.ts";
import { digestOfBytes, parseDigest } from "../ref/_digest_core.ts";
import {
  isJsonObject,
  isObjectList,
  MANIFEST_SIZE_CAP,
} from "../ref/_manifest_checks.ts";
import {
  DigestMismatchError,
  HttpError,
  InvalidResponseError,
  ManifestTooLargeError,
  NotFoundError,
} from "../errors.ts";
import {
  type Descriptor,
  type ImageIndex,
  type Manifest,
  MEDIA_TYPE,
} from "../ref/media_types.ts";

/** What a manifest looks like to the push: its bytes and the fields that matter. */
interface Prepared {
  bytes: Uint8Array;
  fields: Record<string, unknown>;
  mediaType: string;
}

function prepare(
  manifest: Manifest | Uint8Array,
  options: PutManifestOptions,
  limit: number,
  attempted: string,
): Prepared {
  let bytes: Uint8Array;
  let fields: unknown;
  if (manifest instanceof Uint8Array) {
    bytes = manifest;
    if (bytes.byteLength > limit) {
      throw new ManifestTooLargeError(attempted, limit, bytes.byteLength);
    }
    try {
      fields = JSON.parse(new TextDecoder().decode(bytes));
    } catch (cause) {
      throw new TypeError(
        `Cannot ${attempted}: the manifest bytes are not JSON`,
        { cause },
      );
    }
  } else {
    if (typeof manifest !== "object" || manifest === null) {
      throw new TypeError(
        `Cannot ${attempted}: a manifest must be an object or its bytes`,
      );
    }
    bytes = new TextEncoder().encode(JSON.stringify(manifest));
    if (bytes.byteLength > limit) {
      throw new ManifestTooLargeError(attempted, limit, bytes.byteLength);
    }
    fields = manifest;
  }
  if (!isJsonObject(fields)) {
    throw new TypeError(
      `Cannot ${attempted}: the manifest is not a JSON object`,
    );
  }
  const record = fields;
  checkSubject(record, attempted);
  return {
    bytes,
    fields: record,
    mediaType: mediaTypeFor(record, options, attempted),
  };
}

/**
 * A `subject` must name a valid digest: checked before the push, since the
 * referrers fallback index would otherwise fail only once the manifest is
 * stored.
 */
function checkSubject(
  fields: Record<string, unknown>,
  attempted: string,
): void {
  if (fields.subject === undefined) return;
  const subject = fields.subject;
  if (!isJsonObject(subject) || typeof subject.digest !== "string") {
    throw new TypeError(
      `Cannot ${attempted}: the manifest's subject is not a descriptor with a digest`,
    );
  }
  parseDigest(subject.digest);
}

/** `Content-Type`: the manifest's own `mediaType`, else the option, else its shape. */
function mediaTypeFor(
  fields: Record<string, unknown>,
  options: PutManifestOptions,
  attempted: string,
): string {
  const own = fields.mediaType;
  if (own !== undefined && typeof own !== "string") {
    throw new TypeError(
      `Cannot ${attempted}: the manifest's mediaType is not a string`,
    );
  }
  if (own) {
    if (options.mediaType && options.mediaType !== own) {
      throw new TypeError(
        `Cannot ${attempted}: mediaType "${options.mediaType}" contradicts the manifest's own "${own}"`,
      );
    }
    return own;
  }
  if (options.mediaType) return options.mediaType;
  if (fields.schemaVersion === 1) {
    throw new TypeError(
      `Cannot ${attempted}: a schema 1 manifest needs options.mediaType`,
    );
  }
  return Array.isArray(fields.manifests)
    ? MEDIA_TYPE.OCI_INDEX
    : MEDIA_TYPE.OCI_MANIFEST;
}

/** `PUT /v2/<name>/manifests/<ref>`; returns the response (drained). */
async function putBytes(
  http: RepoHttp,
  ref: string,
  bytes: Uint8Array,
  mediaType: string,
  digest: string,
  call: CallOptions,
  attempted: string,
): Promise<Response> {
  const res = await http.send(
    attempted,
    http.request("PUT", http.url(`manifests/${ref}`), call, {
      headers: { "content-type": mediaType },
      body: bytes as Uint8Array<ArrayBuffer>,
    }),
    [200, 201, 202, 204],
  );
  await res.body?.cancel();
  const confirmed = res.headers.get("docker-content-digest");
  if (confirmed !== null && confirmed !== digest) {
    let algorithm: "sha256" | "sha512" | undefined;
    try {
      algorithm = parseDigest(confirmed).algorithm;
    } catch {
      algorithm = undefined; // garbage is ignored, as on the read side
    }
    if (algorithm !== undefined) {
      const ours = algorithm === digest.split(":")[0]
        ? digest
        : await digestOfBytes(bytes, algorithm);
      if (ours !== confirmed) {
        throw new DigestMismatchError(
          `${attempted}: the registry confirmed another digest`,
          ours,
          confirmed,
        );
      }
    }
  }
  return res;
}

/**
 * Pushes a manifest to a tag or a digest, and keeps the referrers fallback
 * index when the manifest has a `subject` and the registry does not answer
 * `OCI-Subject`.
 *
 * @internal Plumbing of `RegistryClientV2.putManifest`.
 * @param http The repository's request plumbing.
 * @param ref A tag or digest (validated).
 * @param manifest The parsed manifest or its exact bytes.
 * @param options Media type, size cap, cancellation.
 * @param defaultMaxBytes The client's manifest cap.
 * @returns The digest (confirmed), size, media type, and `OCI-Subject`.
 * @throws {ManifestTooLargeError} When the manifest is over the cap.
 * @throws {DigestMismatchError} When `ref` is a digest the bytes do not
 * have, or the registry confirms another digest.
 */
export async function pushManifest(
  http: RepoHttp,
  ref: string,
  manifest: Manifest | Uint8Array,
  options: PutManifestOptions = {},
  defaultMaxBytes: number = MANIFEST_SIZE_CAP,
): Promise<PutManifestResult> {
  const attempted = `put manifest "${http.name}${refSuffix(ref)}"`;
  const limit = options.maxBytes ?? defaultMaxBytes;
  const { bytes, fields, mediaType } = prepare(
    manifest,
    options,
    limit,
    attempted,
  );
  let digest: string;
  if (ref.includes(":")) {
    const { algorithm } = parseDigest(ref);
    digest = await digestOfBytes(bytes, algorithm);
    if (digest !== ref) throw new DigestMismatchError(attempted, ref, digest);
  } else {
    digest = await digestOfBytes(bytes);
  }
  const call: CallOptions = { signal: options.signal };
  const res = await putBytes(
    http,
    ref,
    bytes,
    mediaType,
    digest,
    call,
    attempted,
  );
  const answered = res.headers.get("oci-subject") ?? undefined;
  const result: PutManifestResult = {
    digest,
    size: bytes.byteLength,
    mediaType,
    ...(answered ? { subject: answered } : {}),
  };
  const subject = (fields.subject as { digest?: unknown } | undefined)?.digest;
  if (typeof subject === "string" && answered === undefined) {
    await addReferrer(
      http,
      subject,
      referrerDescriptor(fields, mediaType, digest, bytes.byteLength),
      call,
      limit,
    );
  }
  return result;
}

/**
 * The descriptor of a referrer in a referrers index: media type, digest,
 * size, artifact type (the manifest's `artifactType`, else its config's
 * media type for an image manifest) and the manifest's annotations.
 *
 * @internal Used by the referrers fallback.
 * @param fields The referrer manifest.
 * @param mediaType Its media type.
 * @param digest Its digest.
 * @param size Its size in bytes.
 * @returns The descriptor.
 */
export function referrerDescriptor(
  fields: Record<string, unknown>,
  mediaType: string,
  digest: string,
  size: number,
): Descriptor {
  const descriptor: Descriptor = { mediaType, digest, size };
  const config = fields.config as { mediaType?: unknown } | undefined;
  const artifactType = typeof fields.artifactType === "string"
    ? fields.artifactType
    : typeof config?.mediaType === "string"
    ? config.mediaType
    : undefined;
  if (artifactType) descriptor.artifactType = artifactType;
  const annotations = fields.annotations;
  if (
    typeof annotations === "object" && annotations !== null &&
    !Array.isArray(annotations) && Object.keys(annotations).length > 0
  ) {
    descriptor.annotations = annotations as Record<string, string>;
  }
  return descriptor;
}

/** Adds (or replaces) a referrer in the `<alg>-<hex>` fallback index. */
async function addReferrer(
  http: RepoHttp,
  subject: string,
  descriptor: Descriptor,
  call: CallOptions,
  limit: number,
): Promise<void> {
  const { algorithm, encoded } = parseDigest(subject);
  const tag = `${algorithm}-${encoded}`;
  const attempted = `update referrers fallback tag "${http.name}:${tag}"`;
  const res = await http.send(
    attempted,
    http.request("GET", http.url(`manifests/${tag}`), call, {
      headers: { accept: MEDIA_TYPE.OCI_INDEX },
    }),
    [200, 404],
  );
  let index: ImageIndex;
  if (res.status === 404) {
    await res.body?.cancel();
    index = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPE.OCI_INDEX,
      manifests: [],
    };
  } else {
    const body = await readBounded(
      res,
      limit,
      attempted,
      (a, l, s) => new ManifestTooLargeError(a, l, s),
    );
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder().decode(body));
    } catch (cause) {
      throw new InvalidResponseError(attempted, "the tag does not hold JSON", {
        cause,
      });
    }
    if (!isJsonObject(parsed) || !Array.isArray(parsed.manifests)) {
      throw new InvalidResponseError(
        attempted,
        "the tag does not hold an image index",
      );
    }
    if (!isObjectList(parsed.manifests)) {
      throw new InvalidResponseError(
        attempted,
        "an entry of the index's manifests is not an object",
      );
    }
    index = parsed as unknown as ImageIndex;
  }
  const existing = index.manifests.find((d) => d.digest === descriptor.digest);
  if (existing && sameDescriptor(existing, descriptor)) return;
  const updated: ImageIndex = {
    ...index,
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.OCI_INDEX,
    manifests: [
      ...index.manifests.filter((d) => d.digest !== descriptor.digest),
      descriptor,
    ],
  };
  const bytes = new TextEncoder().encode(JSON.stringify(updated));
  if (bytes.byteLength > limit) {
    throw new ManifestTooLargeError(attempted, limit, bytes.byteLength);
  }
  await putBytes(
    http,
    tag,
    bytes,
    MEDIA_TYPE.OCI_INDEX,
    await digestOfBytes(bytes),
    call,
    attempted,
  );
}

function sameDescriptor(a: Descriptor, b: Descriptor): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.keys(value).sort().map((k) => [
      k,
      canonical((value as Record<string, unknown>)[k]),
    ]),
  );
}

/**
 * Deletes a manifest by digest, or by tag: registries that refuse tag
 * deletes (400 `DIGEST_INVALID`, as distribution 2.x answers, or any
 * `UNSUPPORTED` answer) get the tag resolved with `resolve` and the manifest
 * deleted by digest. Any other refusal — a 405 without `UNSUPPORTED` among
 * them (deletes disabled) — is thrown as it came.
 *
 * @internal Plumbing of `RegistryClientV2.deleteManifest`.
 * @param http The repository's request plumbing.
 * @param ref A tag or digest (validated).
 * @param call Cancellation.
 * @param resolve Resolves a tag to its digest (`headManifest`).
 * @returns When the registry has accepted the delete.
 * @throws {NotFoundError} When there is no such manifest.
 */
export async function deleteManifestRef(
  http: RepoHttp,
  ref: string,
  call: CallOptions,
  resolve: (tag: string) => Promise<string>,
): Promise<void> {
  const attempted = `delete manifest "${http.name}${refSuffix(ref)}"`;
  try {
    await deleteOne(http, ref, call, attempted);
    return;
  } catch (err) {
    if (ref.includes(":") || !refusesTagDelete(err)) throw err;
  }
  const digest = await resolve(ref);
  await deleteOne(
    http,
    digest,
    call,
    `delete manifest "${http.name}${refSuffix(ref)}" (resolved to ${digest})`,
  );
}

async function deleteOne(
  http: RepoHttp,
  ref: string,
  call: CallOptions,
  attempted: string,
): Promise<void> {
  const res = await http.send(
    attempted,
    http.request("DELETE", http.url(`manifests/${ref}`), call),
    [200, 202, 204],
  );
  await res.body?.cancel();
}

/** Whether a failed tag delete asks for a delete by digest instead. */
function refusesTagDelete(err: unknown): boolean {
  if (!(err instanceof HttpError) || err instanceof NotFoundError) return false;
  if (err.status === 400 && err.codes.includes("DIGEST_INVALID")) return true;
  return err.codes.includes("UNSUPPORTED");
}
