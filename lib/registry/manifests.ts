/**
 * Manifests by tag or digest (`/v2/<name>/manifests/<ref>`).
 *
 * Reading (`GET`): the body is refused before it is read whole when it is
 * over the cap (`maxManifestBytes`, 4 MiB by default); its digest is checked
 * against the reference when that is a digest, else against
 * `Docker-Content-Digest` when the registry sends a valid one; its
 * `mediaType` must agree with `Content-Type`. Schema 1 manifests are
 * digested without their signatures. From an index, a platform's entry can
 * be followed.
 *
 * `HEAD` gives digest, media type and size without the body; a registry
 * that leaves one of them out for a tag gets a `GET` instead.
 *
 * Pushes and deletes live in `manifest_push.ts`, loaded when first used.
 *
 * @module
 */

import { readBounded } from "../http/_body.ts";
import { contentLength } from "../http/_content_length.ts";
import { digestOfBytes, parseDigest } from "../ref/_digest_core.ts";
import {
  DigestMismatchError,
  InvalidResponseError,
  ManifestTooLargeError,
  NotFoundError,
} from "../errors.ts";
import { isObjectList } from "../ref/_manifest_checks.ts";
import {
  isImageIndex,
  type Manifest,
  MEDIA_TYPE,
  SCHEMA1_MEDIA_TYPES,
} from "../ref/media_types.ts";
import { selectPlatform } from "../ref/platform.ts";
import { type CallOptions, refSuffix } from "./_repo_http.ts";
import { maxManifestBytes, refOf, type RepoContext } from "./_context.ts";
import { parseJson } from "./_json.ts";
import type {
  ClientOptions,
  GetManifestOptions,
  ManifestHead,
  ManifestResult,
  PutManifestOptions,
  PutManifestResult,
} from "./options.ts";

/** A manifest request sent: the ref, the message prefix, the URL, the answer. */
export interface ManifestResponse {
  r: string;
  attempted: string;
  url: string;
  res: Response;
}

/** GETs or HEADs a manifest by tag or digest (default: the reference's own). */
export async function requestManifest(
  ctx: RepoContext,
  method: "GET" | "HEAD",
  ref: string | undefined,
  options: CallOptions,
  ok: readonly number[] = [200],
  what: string = `${method === "GET" ? "get" : "head"} manifest`,
): Promise<ManifestResponse> {
  const { http } = ctx;
  const r = refOf(ctx, ref);
  const attempted = `${what} "${http.name}${refSuffix(r)}"`;
  const url = http.url(`manifests/${r}`);
  const res = await http.send(
    attempted,
    http.request(method, url, options, {
      headers: { accept: manifestAccept(ctx.options) },
    }),
    ok,
  );
  return { r, attempted, url, res };
}

/** The `Accept` header of manifest requests, from the `accept*` options. */
export function manifestAccept(o: ClientOptions): string {
  const types: string[] = [MEDIA_TYPE.DOCKER_MANIFEST];
  if (o.acceptManifestLists !== false) {
    types.push(MEDIA_TYPE.DOCKER_MANIFEST_LIST);
  }
  if (o.acceptOCIManifests !== false) {
    types.push(MEDIA_TYPE.OCI_MANIFEST, MEDIA_TYPE.OCI_INDEX);
  }
  if (o.acceptSchema1) {
    types.push(
      MEDIA_TYPE.DOCKER_MANIFEST_V1_SIGNED,
      MEDIA_TYPE.DOCKER_MANIFEST_V1,
    );
  }
  return types.join(", ");
}

/**
 * Gets a manifest and verifies it (see the module doc); follows a
 * platform's entry of an index when asked.
 *
 * @internal Plumbing of `RegistryClientV2.getManifest`.
 * @param ctx The client's shared state.
 * @param ref A tag or digest; by default the reference's own.
 * @param options A platform, a size cap, cancellation.
 * @returns The parsed manifest, its media type, digest and exact bytes.
 * @throws {NotFoundError} When there is no such manifest (or platform).
 * @throws {DigestMismatchError} When the bytes do not match the digest.
 * @throws {ManifestTooLargeError} When the manifest is over the cap.
 * @throws {InvalidResponseError} On invalid JSON or a media type conflict.
 */
export async function getManifest(
  ctx: RepoContext,
  ref: string | undefined,
  options: GetManifestOptions,
): Promise<ManifestResult> {
  const { r, attempted, url, res } = await requestManifest(
    ctx,
    "GET",
    ref,
    options,
  );
  const bytes = await readBounded(
    res,
    options.maxBytes ?? maxManifestBytes(ctx),
    attempted,
    (a, l, s) => new ManifestTooLargeError(a, l, s),
  );
  const manifest = parseJson(bytes, attempted) as Manifest;
  if (
    typeof manifest !== "object" || manifest === null ||
    Array.isArray(manifest)
  ) {
    throw new InvalidResponseError(
      attempted,
      "the manifest is not a JSON object",
    );
  }
  const contentType = mediaTypeOf(res.headers.get("content-type"));
  const mediaType = manifestMediaType(manifest, contentType, attempted);
  const digest = await verifyManifestDigest(
    bytes,
    mediaType,
    r.includes(":") ? r : res.headers.get("docker-content-digest"),
    attempted,
  );
  if (!options.platform || !isImageIndex(manifest)) {
    return { manifest, mediaType, digest, bytes, size: bytes.byteLength };
  }
  if (!isObjectList(manifest.manifests)) {
    throw new InvalidResponseError(
      attempted,
      "an entry of the index's manifests is not an object",
    );
  }
  const entry = selectPlatform(manifest, options.platform);
  if (!entry) {
    const { os, architecture, variant } = options.platform;
    throw new NotFoundError({
      attempted: `${attempted} for platform ${
        [os, architecture, variant].filter(Boolean).join("/")
      }`,
      method: "GET",
      url,
      status: 404,
      errors: [{
        code: "MANIFEST_UNKNOWN",
        message: "no manifest for that platform in the index",
      }],
    });
  }
  return await getManifest(ctx, entry.digest, {
    ...options,
    platform: undefined,
  });
}

/**
 * A manifest's digest, media type and size from a `HEAD`; a `GET` when the
 * answer lacks one of them.
 *
 * @internal Plumbing of `RegistryClientV2.headManifest`.
 * @param ctx The client's shared state.
 * @param ref A tag or digest; by default the reference's own.
 * @param options Cancellation.
 * @returns `{digest, mediaType, size}`.
 * @throws {NotFoundError} When there is no such manifest.
 */
export async function headManifest(
  ctx: RepoContext,
  ref: string | undefined,
  options: CallOptions,
): Promise<ManifestHead> {
  const { r, res } = await requestManifest(ctx, "HEAD", ref, options);
  await res.body?.cancel();
  const header = res.headers.get("docker-content-digest");
  const digest = r.includes(":") ? r : header;
  const size = contentLength(res.headers);
  const mediaType = mediaTypeOf(res.headers.get("content-type"));
  if (digest === null || size === undefined || !mediaType) {
    const full = await getManifest(ctx, r, options);
    return { digest: full.digest, mediaType: full.mediaType, size: full.size };
  }
  parseDigest(digest);
  return { digest, mediaType, size };
}

/**
 * Pushes a manifest (see `manifest_push.ts`, loaded on first use).
 *
 * @internal Plumbing of `RegistryClientV2.putManifest`.
 * @param ctx The client's shared state.
 * @param ref A tag or digest.
 * @param manifest The parsed manifest or its exact bytes.
 * @param options A media type, a size cap, cancellation.
 * @returns The confirmed digest, size, media type and `OCI-Subject`.
 * @throws {TypeError} When `ref` is empty.
 */
export async function putManifest(
  ctx: RepoContext,
  ref: string,
  manifest: Manifest | Uint8Array,
  options: PutManifestOptions,
): Promise<PutManifestResult> {
  if (typeof ref !== "string" || ref === "") {
    throw new TypeError("putManifest() needs a tag or digest");
  }
  const r = ctx.http.ref(ref, ref);
  const { pushManifest } = await import("./manifest_push.ts");
  return await pushManifest(
    ctx.http,
    r,
    manifest,
    options,
    maxManifestBytes(ctx),
  );
}

/**
 * Deletes a manifest by digest or tag (see `manifest_push.ts`).
 *
 * @internal Plumbing of `RegistryClientV2.deleteManifest`.
 * @param ctx The client's shared state.
 * @param ref A tag or digest.
 * @param options Cancellation.
 * @returns When the registry has accepted the delete.
 * @throws {TypeError} When `ref` is empty.
 */
export async function deleteManifest(
  ctx: RepoContext,
  ref: string,
  options: CallOptions,
): Promise<void> {
  if (typeof ref !== "string" || ref === "") {
    throw new TypeError("deleteManifest() needs a tag or digest");
  }
  const r = ctx.http.ref(ref, ref);
  const { deleteManifestRef } = await import("./manifest_push.ts");
  await deleteManifestRef(
    ctx.http,
    r,
    options,
    async (tag) => (await headManifest(ctx, tag, options)).digest,
  );
}

/** The media type of a `Content-Type` value, lower-cased, parameters dropped. */
function mediaTypeOf(contentType: string | null): string {
  return (contentType ?? "").split(";")[0].trim().toLowerCase();
}

const KNOWN_MANIFEST_TYPES = new Set<string>([
  MEDIA_TYPE.DOCKER_MANIFEST,
  MEDIA_TYPE.DOCKER_MANIFEST_LIST,
  MEDIA_TYPE.OCI_MANIFEST,
  MEDIA_TYPE.OCI_INDEX,
  ...SCHEMA1_MEDIA_TYPES,
]);

/** The manifest's media type; refuses a body that contradicts `Content-Type`. */
function manifestMediaType(
  manifest: Manifest,
  contentType: string,
  attempted: string,
): string {
  const declared = (manifest as { mediaType?: unknown }).mediaType;
  if (declared !== undefined && typeof declared !== "string") {
    throw new InvalidResponseError(
      attempted,
      "the manifest's mediaType is not a string",
    );
  }
  if (
    declared && KNOWN_MANIFEST_TYPES.has(contentType) &&
    declared !== contentType
  ) {
    throw new InvalidResponseError(
      attempted,
      `the manifest's mediaType "${declared}" contradicts Content-Type "${contentType}"`,
    );
  }
  if (declared) return declared;
  if (KNOWN_MANIFEST_TYPES.has(contentType)) return contentType;
  if (manifest.schemaVersion === 1) return MEDIA_TYPE.DOCKER_MANIFEST_V1_SIGNED;
  return isImageIndex(manifest)
    ? MEDIA_TYPE.OCI_INDEX
    : MEDIA_TYPE.OCI_MANIFEST;
}

/** Checks the manifest's digest against what was expected; returns it. */
async function verifyManifestDigest(
  bytes: Uint8Array,
  mediaType: string,
  expected: string | null,
  attempted: string,
): Promise<string> {
  let algorithm: "sha256" | "sha512" = "sha256";
  if (expected !== null) {
    try {
      algorithm = parseDigest(expected).algorithm;
    } catch {
      expected = null; // A garbage Docker-Content-Digest is ignored.
    }
  }
  const actual =
    SCHEMA1_MEDIA_TYPES.includes(mediaType) && algorithm === "sha256"
      ? (await import("../ref/digest.ts")).digestFromManifestStr(
        new TextDecoder().decode(bytes),
      )
      : await digestOfBytes(bytes, algorithm);
  if (expected !== null && actual !== expected) {
    throw new DigestMismatchError(attempted, expected, actual);
  }
  return actual;
}
