/**
 * A client for container registries: the Docker Registry HTTP API V2 and the
 * OCI Distribution Spec, for Deno.
 *
 * - Reference parsing compatible with the earlier Node and Deno clients:
 *   {@linkcode parseRepo}, {@linkcode parseRepoAndRef} (and its synonym
 *   `parseRepoAndTag`), {@linkcode parseIndex}.
 * - A per-repository client, {@linkcode createClient}: tags and catalog with
 *   paging, manifests verified by digest, blobs streamed and verified,
 *   referrers, every common auth flow (anonymous and password bearer tokens,
 *   OAuth2, Basic).
 * - The pieces it is built from: `WWW-Authenticate` challenges and token
 *   scopes, digests and a streaming verifier, the transport layers.
 *
 * Reading credentials from docker/podman config files and credential helpers
 * lives behind the `/credentials` subpath, so importing this module needs no
 * read, env or run permission.
 *
 * @example Parse a reference
 * ```ts
 * import { parseRepoAndRef } from "jsr:@scope/docker-registry-client";
 *
 * const ref = parseRepoAndRef("busybox");
 * console.log(ref.remoteName, ref.tag, ref.canonicalRef); // library/busybox latest docker.io/busybox:latest
 * ```
 *
 * @example List tags and read a manifest
 * ```ts
 * import { createClient } from "jsr:@scope/docker-registry-client";
 *
 * const client = createClient({ repo: "mongo" });
 * const { tags } = await client.listTags();
 * const { digest, mediaType } = await client.getManifest(tags[0]);
 * console.log(digest, mediaType);
 * ```
 *
 * @module
 */

export * from "./lib/ref/reference.ts";
export * from "./lib/errors.ts";
export * from "./lib/ref/digest.ts";
export * from "./lib/http/challenge.ts";
export * from "./lib/ref/scope.ts";
export * from "./lib/http/link.ts";
export * from "./lib/ref/media_types.ts";
export * from "./lib/ref/platform.ts";
export * from "./lib/registries.ts";
export * from "./lib/registry/client.ts";
export * from "./lib/layout/oci_layout.ts";
export * from "./lib/content/mod.ts";
export * from "./lib/registry/store.ts";
export * from "./lib/archive/oci_archive.ts";
export * from "./lib/archive/docker_archive.ts";
export * from "./lib/image/mod.ts";
export * from "./lib/build/mod.ts";
export * from "./lib/artifact/mod.ts";
export * from "./lib/sync/mod.ts";
export * from "./lib/credentials/provider.ts";
export * from "./lib/transport/transport.ts";
export * from "./lib/transport/auth.ts";
export * from "./lib/transport/compose.ts";
export * from "./lib/transport/retry.ts";
export * from "./lib/transport/timeout.ts";
export * from "./lib/transport/redirects.ts";
export * from "./lib/transport/user_agent.ts";
export * from "./lib/transport/log.ts";
export * from "./lib/registry/seed_aliases.ts";
export * from "./lib/content/transports.ts";
