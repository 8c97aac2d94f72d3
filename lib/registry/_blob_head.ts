// Private: the one `HEAD` of a blob (`HEAD /v2/<name>/blobs/<digest>`):
// whether the registry has it, and its size and media type. The client's
// `headBlob`/`hasBlob` (`blobs.ts`) and the uploads' existence checks
// (`uploads/`) all ask through it.

import { contentLength } from "../http/_content_length.ts";
import { parseDigest } from "../ref/_digest_core.ts";
import type { CallOptions, RepoHttp } from "./_repo_http.ts";

/** What a `HEAD` of a blob tells: its size and media type, when sent. */
export interface BlobStat {
  /** `Content-Length`, when the registry sends a valid one. */
  size?: number;
  /** `Content-Type`, when the registry sends one. */
  mediaType?: string;
}

/**
 * `HEAD` a blob: the one existence and size check, for reads and uploads.
 *
 * @param http The repository's request plumbing.
 * @param digest The blob's digest.
 * @param call Cancellation.
 * @param o `missing: "undefined"` answers a 404 with `undefined` rather than
 *   a `NotFoundError`; `attempted` names the call in messages.
 * @returns The size and media type the registry sends (either may be absent).
 * @throws {NotFoundError} On a 404, unless `missing` is `"undefined"`.
 */
export async function statBlob(
  http: RepoHttp,
  digest: string,
  call: CallOptions | undefined,
  o: { missing?: "throw" | "undefined"; attempted?: string } = {},
): Promise<BlobStat | undefined> {
  parseDigest(digest);
  const res = await http.send(
    o.attempted ?? `head blob "${http.name}@${digest}"`,
    http.request("HEAD", http.url(`blobs/${digest}`), call),
    o.missing === "undefined" ? [200, 404] : [200],
  );
  await res.body?.cancel();
  if (res.status === 404) return undefined;
  const size = contentLength(res.headers);
  const mediaType = res.headers.get("content-type") ?? undefined;
  return {
    ...(size !== undefined ? { size } : {}),
    ...(mediaType ? { mediaType } : {}),
  };
}
