// Private: the call shapes of the earlier clients (the Deno port's
// `RegistryClientV2` and the Node client), turned into the client's own.
// Each facade method of `client.ts` calls one function here: the client's
// own positional forms pass straight through to the resource files; the
// object forms (`getManifest({ ref })`, `headBlob({ digest })` …) are
// normalised, and return what the port returned besides the client's own
// result (`resp`, `ress`, `location`). The public types of those shapes are
// in `seed_aliases.ts`.

import { redactUrl } from "../http/_redact.ts";
import { type Manifest, MEDIA_TYPE } from "../ref/media_types.ts";
import { parseRepoAndRef } from "../ref/reference.ts";
import type { LoginResult } from "../transport/auth.ts";
import type { RepoContext } from "./_context.ts";
import type { CallOptions } from "./_repo_http.ts";
import * as blobs from "./blobs.ts";
import * as manifests from "./manifests.ts";
import * as pings from "./ping.ts";
import type {
  BlobHead,
  BlobReadOptions,
  BlobReadStream,
  BlobSource,
  BlobUploadOptions,
  BlobUploadResult,
  ClientOptions,
  GetManifestOptions,
  ManifestResult,
  PutManifestOptions,
  PutManifestResult,
} from "./options.ts";
import type {
  LegacyBlobHead,
  LegacyBlobOptions,
  LegacyBlobReadStream,
  LegacyBlobUploadOptions,
  LegacyGetManifestOptions,
  LegacyManifestResult,
  LegacyPutManifestOptions,
  LegacyPutManifestResult,
  LegacyRefOptions,
  LoginOptions,
} from "./seed_aliases.ts";

/** The arguments of `getManifest`, in either form. */
export type GetManifestArgs = [
  ref?: string | LegacyGetManifestOptions,
  options?: GetManifestOptions,
];
/** The arguments of `headBlob`, in either form. */
export type HeadBlobArgs = [
  digest: string | LegacyBlobOptions,
  options?: CallOptions,
];
/** The arguments of `createBlobReadStream`, in either form. */
export type ReadArgs = [
  digest: string | LegacyBlobOptions,
  options?: BlobReadOptions,
];
/** The arguments of `putManifest`, in either form. */
export type PutManifestArgs = [
  ref: string | LegacyPutManifestOptions,
  manifest?: Manifest | Uint8Array,
  options?: PutManifestOptions,
];

/**
 * `createClient()`'s options with the earlier clients' spellings resolved:
 * `name` for `repo`, the port's `client` (a `Deno.HttpClient`) as the fetch,
 * and `scopes` given as actions (`["push", "pull"]`, the port's meaning) as
 * a scope on the repository.
 */
export function clientOptions(options: ClientOptions): ClientOptions {
  if (options === null || typeof options !== "object") {
    throw new TypeError("createClient() expects an options object");
  }
  const { name, client, ...rest } = options;
  const repo = rest.repo ?? name;
  if (repo === undefined || repo === null) {
    throw new TypeError(
      "createClient() needs the repository: `repo` (or `name`)",
    );
  }
  const out: ClientOptions = { ...rest, repo };
  if (client && !out.fetch) {
    out.fetch = (request) => fetch(request, { client } as RequestInit);
  }
  const scopes = out.scopes;
  if (scopes?.length && scopes.every((s) => !s.includes(":"))) {
    const remoteName = typeof repo === "string"
      ? parseRepoAndRef(repo).remoteName
      : repo.remoteName;
    out.scopes = [`repository:${remoteName}:${scopes.join(",")}`];
  }
  return out;
}

/** `login()`, with the port's `scope` joining `scopes`. */
export async function login(
  ctx: RepoContext,
  options: LoginOptions = {},
): Promise<LoginResult> {
  const { scope, pingRes: _ignored, ...rest } = options;
  const scopes = scope ? [...(rest.scopes ?? []), scope] : rest.scopes;
  return await pings.login(ctx, { ...rest, scopes });
}

/** `getManifest(ref, options)`, or the port's `getManifest({ ref, … })`. */
export async function getManifest(
  ctx: RepoContext,
  ref: string | LegacyGetManifestOptions | undefined,
  options: GetManifestOptions = {},
): Promise<ManifestResult | LegacyManifestResult> {
  if (!isObjectForm(ref)) {
    return await manifests.getManifest(ctx, ref as string, options);
  }
  const {
    ref: r,
    acceptManifestLists,
    acceptOCIManifests,
    maxSchemaVersion,
    followRedirects: _alwaysFollowed,
    ...rest
  } = ref as LegacyGetManifestOptions;
  const o = ctx.options;
  // The port's defaults: what the client was given, else off.
  const accepting: RepoContext = {
    ...ctx,
    options: {
      ...o,
      acceptManifestLists: acceptManifestLists ?? o.acceptManifestLists ??
        false,
      acceptOCIManifests: acceptOCIManifests ?? o.acceptOCIManifests ?? false,
      acceptSchema1: maxSchemaVersion === undefined
        ? o.acceptSchema1
        : maxSchemaVersion < 2,
    },
  };
  const { view, seen } = observed(accepting);
  const result = await manifests.getManifest(view, r, { ...rest, ...options });
  const last = seen.findLast(([q]) => q.method === "GET")?.[1];
  return { ...result, resp: copyOf(last, result.bytes) };
}

/** `headBlob(digest)`, or the port's `headBlob({ digest })` (responses first). */
export async function headBlob(
  ctx: RepoContext,
  digest: string | LegacyBlobOptions,
  options: CallOptions = {},
): Promise<BlobHead | LegacyBlobHead> {
  if (!isObjectForm(digest)) {
    return await blobs.headBlob(ctx, digest as string, options);
  }
  const { digest: d, ...rest } = digest as LegacyBlobOptions;
  const { view, seen } = observed(ctx);
  const head = await blobs.headBlob(view, d, { ...rest, ...options });
  return Object.assign(seen.map(([, res]) => copyOf(res)), head);
}

/** `createBlobReadStream(digest)`, or the port's `({ digest })` with `ress`. */
export async function createBlobReadStream(
  ctx: RepoContext,
  digest: string | LegacyBlobOptions,
  options: BlobReadOptions = {},
): Promise<BlobReadStream | LegacyBlobReadStream> {
  if (!isObjectForm(digest)) {
    return await blobs.createBlobReadStream(ctx, digest as string, options);
  }
  const { digest: d, ...rest } = digest as LegacyBlobOptions;
  const { view, seen } = observed(ctx);
  const result = await blobs.createBlobReadStream(view, d, {
    ...rest,
    ...options,
  });
  return { ...result, ress: seen.map(([, res]) => copyOf(res)) };
}

/** `deleteManifest(ref)`, or the port's `deleteManifest({ ref })`. */
export async function deleteManifest(
  ctx: RepoContext,
  ref: string | LegacyRefOptions,
  options: CallOptions = {},
): Promise<void> {
  if (!isObjectForm(ref)) {
    return await manifests.deleteManifest(ctx, ref as string, options);
  }
  const { ref: r, ...rest } = ref as LegacyRefOptions;
  await manifests.deleteManifest(ctx, r, { ...rest, ...options });
}

/**
 * `putManifest(ref, manifest, options)`, or the port's
 * `putManifest({ ref, manifestData, mediaType })` (the Node client's
 * `manifest` string too), with the `location` the registry answered.
 */
export async function putManifest(
  ctx: RepoContext,
  ref: string | LegacyPutManifestOptions,
  manifest?: Manifest | Uint8Array,
  options: PutManifestOptions = {},
): Promise<PutManifestResult | LegacyPutManifestResult> {
  if (!isObjectForm(ref)) {
    return await manifests.putManifest(ctx, ref as string, manifest!, options);
  }
  const {
    ref: r,
    manifestData,
    manifest: given,
    mediaType,
    schemaVersion,
    ...rest
  } = ref as LegacyPutManifestOptions;
  const body = manifestData ??
    (typeof given === "string" ? new TextEncoder().encode(given) : given);
  if (body === undefined) {
    throw new TypeError("putManifest() needs `manifestData` (or `manifest`)");
  }
  // The port's Content-Type by schema version, for a manifest without one.
  let type = mediaType;
  if (
    type === undefined && (schemaVersion === 1 || schemaVersion === 2) &&
    !hasMediaType(body)
  ) {
    type = schemaVersion === 2
      ? MEDIA_TYPE.DOCKER_MANIFEST
      : MEDIA_TYPE.DOCKER_MANIFEST_V1;
  }
  const { view, seen } = observed(ctx);
  const result = await manifests.putManifest(view, r, body, {
    ...rest,
    ...options,
    mediaType: type,
  });
  const put = seen.find(([q]) =>
    q.method === "PUT" && new URL(q.url).pathname.endsWith(`/manifests/${r}`)
  );
  const location = put?.[1].headers.get("location");
  return { ...result, location: location ? redactUrl(location) : null };
}

/**
 * `blobUpload(source, options)`, or the port's
 * `blobUpload({ digest, stream, contentLength })`.
 */
export async function blobUpload(
  ctx: RepoContext,
  source: BlobSource | LegacyBlobUploadOptions,
  options: BlobUploadOptions = {},
): Promise<BlobUploadResult> {
  if (!isObjectForm(source) || !("stream" in source)) {
    return await blobs.uploadBlob(ctx, source as BlobSource, options);
  }
  const { stream, contentLength, contentType: _octetStream, ...rest } =
    source as LegacyBlobUploadOptions;
  const body = stream instanceof ReadableStream || stream instanceof Uint8Array
    ? stream
    : ReadableStream.from(stream);
  return await blobs.uploadBlob(ctx, body, {
    ...rest,
    ...options,
    size: options.size ?? rest.size ?? contentLength,
  });
}

/** Whether an argument is one of the earlier clients' option objects. */
function isObjectForm(value: unknown): value is object {
  return typeof value === "object" && value !== null &&
    !(value instanceof ReadableStream) && !(value instanceof Uint8Array) &&
    !(value instanceof Blob) && !(value instanceof URL);
}

/** A view of the client that records each request and its response. */
function observed(
  ctx: RepoContext,
): { view: RepoContext; seen: [Request, Response][] } {
  const seen: [Request, Response][] = [];
  const http = ctx.http.observe((request, response) => {
    seen.push([request, response]);
  });
  return { view: { ...ctx, http }, seen };
}

/**
 * A response as the port returned it: status and headers (its body is read
 * by the client already; `body` gives the bytes read, if any).
 */
function copyOf(res: Response | undefined, bytes?: Uint8Array): Response {
  const body = (bytes ?? null) as BodyInit | null;
  if (res === undefined) return new Response(body);
  return new Response(body, {
    status: res.status,
    statusText: res.statusText,
    headers: res.headers,
  });
}

/** Whether a manifest (parsed, or its bytes) has a `mediaType` of its own. */
function hasMediaType(manifest: Manifest | Uint8Array): boolean {
  try {
    const parsed = manifest instanceof Uint8Array
      ? JSON.parse(new TextDecoder().decode(manifest))
      : manifest;
    return typeof parsed?.mediaType === "string";
  } catch {
    return false; // putManifest() reports what is wrong with it.
  }
}
