/**
 * Helpers shared by the fake registry's own tests (`lib/testing/*_test.ts`):
 * media types, digests, the OCI error codes of an answer, a seeded image,
 * and upload sessions opened with plain `fetch`. Private test support: not
 * published.
 *
 * @module
 */

import { assertEquals } from "@std/assert";
import { createHash } from "node:crypto";
import type { FakeRegistry } from "../lib/testing/fake_registry.ts";

/** The OCI image manifest media type. */
export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
/** The OCI image index media type. */
export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
/** The Docker schema 2 manifest media type. */
export const DOCKER_MANIFEST =
  "application/vnd.docker.distribution.manifest.v2+json";
/** The OCI empty descriptor media type. */
export const EMPTY_CONFIG = "application/vnd.oci.empty.v1+json";

const encoder = new TextEncoder();

/** The UTF-8 bytes of a string. */
export const bytesOf = (s: string): Uint8Array => encoder.encode(s);

/** The sha256 digest of bytes or of a string's UTF-8 bytes. */
export function sha256(data: Uint8Array | string): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

/** The OCI error codes of an error answer (consumes the body). */
export async function codes(res: Response): Promise<string[]> {
  const body = await res.json() as { errors: { code: string }[] };
  return body.errors.map((e) => e.code);
}

/** Seeds an empty config blob and returns an image manifest using it. */
export function seedImage(
  registry: FakeRegistry,
  repo: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const config = registry.seedBlob(repo, "{}");
  const layer = registry.seedBlob(repo, "layer-bytes");
  return {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: EMPTY_CONFIG, digest: config, size: 2 },
    layers: [{
      mediaType: "application/octet-stream",
      digest: layer,
      size: 11,
    }],
    ...extra,
  };
}

/** Opens an upload session; returns its absolute Location. */
export async function openUpload(
  registry: FakeRegistry,
  repo: string,
  headers: HeadersInit = {},
): Promise<string> {
  const res = await fetch(`${registry.url}/v2/${repo}/blobs/uploads/`, {
    method: "POST",
    headers,
  });
  await res.body?.cancel();
  assertEquals(res.status, 202);
  return new URL(res.headers.get("location")!, registry.url).href;
}

/** `location` with `digest` set in its query, as the closing PUT needs. */
export function withDigest(location: string, digest: string): string {
  const url = new URL(location);
  url.searchParams.set("digest", digest);
  return url.href;
}

/** Fetches a token with GET; returns the JSON answer. */
export async function getToken(
  registry: FakeRegistry,
  scopes: string[],
  basic?: string,
  extra = "",
): Promise<Record<string, unknown>> {
  const query = scopes.map((s) => `&scope=${encodeURIComponent(s)}`).join("");
  const res = await fetch(
    `${registry.url}/token?service=fake${query}${extra}`,
    {
      headers: basic ? { authorization: `Basic ${btoa(basic)}` } : {},
    },
  );
  assertEquals(res.status, 200);
  return await res.json();
}
