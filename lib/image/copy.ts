/**
 * Copying an image from one repository to another, on one registry or
 * between two, streamed without touching the disk.
 *
 * @example
 * ```ts
 * import { copyImage } from "jsr:@scope/docker-registry-client";
 *
 * const result = await copyImage("http://127.0.0.1:5000/foo:1", "http://127.0.0.1:5001/bar:1");
 * console.log(result.digest);
 * ```
 *
 * @module
 */

import { createClient, type RegistryClientV2 } from "../registry/client.ts";
import { RegistryStore } from "../registry/store.ts";
import type { ImageStore, ReadOnlyImageStore } from "../content/store.ts";
import { clientOptionsOf, toClient, toPushClient } from "./_clients.ts";
import {
  copy,
  type ImageTransferResult,
  type TransferOptions,
} from "../content/copy.ts";
import type { ImageClientOptions } from "./types.ts";

/** Options of {@linkcode copyImage}. */
export interface CopyOptions extends TransferOptions, ImageClientOptions {
  /** Client options for the source only (over the shared ones). */
  src?: ImageClientOptions;
  /** Client options for the destination only (over the shared ones). */
  dst?: ImageClientOptions;
}

/**
 * Copies an image (an index with its manifests, or one manifest, with
 * configs and layers; referrers on request) from one repository to another.
 * Blobs go straight from the source's response into the destination's
 * upload, verified while they stream, a few at a time; blobs the
 * destination has are skipped, and on one registry they are mounted from
 * the source repository instead of copied. Manifests keep their exact bytes
 * (and digests). With `platform`, only that platform's manifest is copied
 * from an index and stands alone under the destination tag, as with
 * `crane copy --platform`.
 *
 * The shared client options (`username`, `password`, `insecure` …) apply to
 * both sides (credentials only go where a registry asks for them); `src` and
 * `dst` override them per side. Clients built with `createClient` may be
 * passed instead of strings, and so may any store (an `OciLayout`, an
 * archive, a `MemoryStore` …): the copy then runs between them.
 *
 * @param src The source: `http://127.0.0.1:5000/foo:1`, `quay.io/a/b@sha256:…`, a client, or a store.
 * @param dst The destination: a reference (its tag, or digest), a client, or a store.
 * @param options Platform, concurrency, referrers, progress, credentials.
 * @returns The digest copied and what was transferred.
 * @throws {NotFoundError} When the source image is not there.
 * @throws {DigestMismatchError} When content does not match its digest, or
 * the destination names a different digest.
 * @throws {RegistryError} On any registry failure.
 *
 * @example Between registries, with different credentials
 * ```ts
 * import { copyImage } from "jsr:@scope/docker-registry-client";
 *
 * await copyImage("http://127.0.0.1:5000/foo:1", "registry.example.com/foo:1", {
 *   dst: { username: "me", password: Deno.env.get("REGISTRY_PASSWORD") },
 *   platform: "linux/amd64",
 *   concurrency: 8,
 * });
 * ```
 */
export async function copyImage(
  src: string | RegistryClientV2 | ReadOnlyImageStore,
  dst: string | RegistryClientV2 | ImageStore,
  options: CopyOptions = {},
): Promise<ImageTransferResult> {
  const shared = clientOptionsOf(options);
  const srcOptions = { ...shared, ...options.src };
  const dstOptions = { ...shared, ...options.dst };
  const target = isStore(dst)
    ? dst
    : new RegistryStore(toPushClient(dst, dstOptions));
  const source = isStore(src) ? src : new RegistryStore(
    typeof src === "string" && typeof dst === "string" &&
      target instanceof RegistryStore &&
      sameCredentials(srcOptions, dstOptions)
      ? sharingAuth(src, srcOptions, target.client)
      : toClient(src, srcOptions),
  );
  return await copy(source, target, {
    ...options,
    reference: undefined,
    tag: undefined,
  });
}

/** Whether a value is a store (not a reference string or a client). */
function isStore<T extends ReadOnlyImageStore>(
  value: string | RegistryClientV2 | T,
): value is T {
  return typeof value === "object" && value !== null && "kind" in value &&
    "fetchManifest" in value;
}

/**
 * The source client, sharing the destination's auth state when both are on
 * one registry (one identity): one ping, and tokens asked for with the
 * destination's `pull,push` scope from the first one (the destination's
 * client asks for it up front), so that the pull and the push share a token.
 */
function sharingAuth(
  src: string,
  options: ImageClientOptions,
  target: RegistryClientV2,
): RegistryClientV2 {
  const source = toClient(src, options);
  if (source.baseUrl !== target.baseUrl) return source;
  return createClient({ ...options, repo: source.repo, auth: target.auth });
}

function sameCredentials(
  a: ImageClientOptions,
  b: ImageClientOptions,
): boolean {
  return a.username === b.username && a.password === b.password &&
    a.token === b.token && a.credentials === b.credentials &&
    a.insecure === b.insecure && a.oauth2 === b.oauth2 &&
    a.fetch === b.fetch;
}
