// Private: turning what callers pass (reference strings with client options,
// or clients they built) into clients, and `DIR:TAG` into a directory and a
// tag.

import { createClient, type RegistryClientV2 } from "../registry/client.ts";
import { isValidTag, parseRepoAndRef } from "../ref/reference.ts";
import type { StoreCopyOptions } from "../content/copy.ts";
import type { ImageClientOptions } from "./types.ts";

/**
 * Every key of an image operation's options that is not a client option:
 * the transfer options ({@linkcode StoreCopyOptions}), and the extras of
 * pull (`verifyExisting`) and copy (`src`, `dst`). Typed as a record of
 * exactly those keys, so a transfer option added to the interfaces and
 * not here fails to compile, rather than leaking into `createClient`.
 * (`signal` is both: the operation's, not the client's lifetime.)
 */
const NON_CLIENT: Record<
  keyof StoreCopyOptions | "verifyExisting" | "src" | "dst",
  true
> = {
  platform: true,
  concurrency: true,
  referrers: true,
  onProgress: true,
  signal: true,
  timeoutMs: true,
  maxIndexDepth: true,
  maxManifests: true,
  maxDescriptors: true,
  maxTotalManifestBytes: true,
  reference: true,
  tag: true,
  verifyExisting: true,
  src: true,
  dst: true,
};

/** The keys of the transfer options (and of per-operation extras). */
export const NON_CLIENT_KEYS: ReadonlySet<string> = new Set(
  Object.keys(NON_CLIENT),
);

/** The client options among an operation's options. */
export function clientOptionsOf(options: object): ImageClientOptions {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (!NON_CLIENT_KEYS.has(key) && value !== undefined) out[key] = value;
  }
  return out as ImageClientOptions;
}

/** A client for a reference string, or the client given. */
export function toClient(
  ref: string | RegistryClientV2,
  options: ImageClientOptions,
): RegistryClientV2 {
  if (typeof ref === "string") return createClient({ ...options, repo: ref });
  if (ref && typeof ref === "object" && "repo" in ref && "baseUrl" in ref) {
    return ref;
  }
  throw new TypeError(
    "Expected a reference string or a client from createClient()",
  );
}

/**
 * A client for a destination: one built here asks for `pull,push` on its
 * repository from its first token request, so a push needs one token, not a
 * pull token first and a push token at the first upload.
 */
export function toPushClient(
  ref: string | RegistryClientV2,
  options: ImageClientOptions,
): RegistryClientV2 {
  if (typeof ref !== "string") return toClient(ref, options);
  const repo = parseRepoAndRef(ref);
  return createClient({
    ...options,
    repo,
    scopes: [
      ...(options.scopes ?? []),
      `repository:${repo.remoteName}:pull,push`,
    ],
  });
}

/**
 * Splits `DIR:TAG` into the directory and the tag: the part after the last
 * `:` is a tag when it is a valid tag (no `/`) and something comes before
 * it. `./out:v1` → `./out`, `v1`; `./out` → `./out`, no tag.
 */
export function splitLayoutRef(
  text: string,
): { dir: string; tag?: string } {
  if (typeof text !== "string" || text === "") {
    throw new TypeError("The layout directory must be a non-empty string");
  }
  const colon = text.lastIndexOf(":");
  if (colon > 0) {
    const tag = text.slice(colon + 1);
    if (isValidTag(tag)) return { dir: text.slice(0, colon), tag };
  }
  return { dir: text };
}
