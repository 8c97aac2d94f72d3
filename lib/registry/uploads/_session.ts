// Private: upload sessions and what the registry holds. Opening a session
// (`POST`, single-request `POST ?digest=`, mount `POST ?mount=&from=`),
// following its `Location`, asking where it stands (`GET <location>`),
// cancelling it (`DELETE <location>`), and checking the digest the
// registry confirms. Whether a blob is already there is `statBlob` of
// `../_blob_head.ts`, the one `HEAD` of a blob.

import type { CallOptions, RepoHttp } from "../_repo_http.ts";
import { parseDigest } from "../../ref/_digest_core.ts";
import { parseLength } from "../../http/_content_length.ts";
import {
  DigestMismatchError,
  HttpError,
  InvalidResponseError,
} from "../../errors.ts";

/** The cancelling `DELETE` gives up after this long. */
const CANCEL_TIMEOUT_MS = 10_000;

/** Statuses of a refused single-request upload: fall back to a session. */
const SINGLE_POST_REFUSED = new Set([400, 405, 413, 415, 501]);

/** The content type of every upload body. */
export const OCTET_STREAM = "application/octet-stream";

/** An open upload session. */
export interface Session {
  /** Where the next request goes: the latest `Location`, absolute. */
  location: string;
  /** `OCI-Chunk-Min-Length`, when the registry announced it. */
  minChunk?: number;
}

/** How a session was opened (or made unnecessary). */
export type Opened =
  | { done: "mounted" | "created" }
  | { done?: undefined; session: Session };

/** `Location`, resolved against the URL it answers; its query kept. */
export function locationOf(
  res: Response,
  requestUrl: string,
  attempted: string,
  fallback?: string,
): string {
  const header = res.headers.get("location");
  if (header === null || header.trim() === "") {
    if (fallback !== undefined) return fallback;
    throw new InvalidResponseError(
      attempted,
      `${res.status} without a Location header`,
    );
  }
  try {
    return new URL(header.trim(), requestUrl).href;
  } catch (cause) {
    throw new InvalidResponseError(
      attempted,
      "the Location header is not a URL",
      { cause },
    );
  }
}

/** The location with `digest=` appended, the rest of its query untouched. */
export function withDigest(location: string, digest: string): string {
  const hash = location.indexOf("#");
  const base = hash >= 0 ? location.slice(0, hash) : location;
  const sep = !base.includes("?")
    ? "?"
    : base.endsWith("?") || base.endsWith("&")
    ? ""
    : "&";
  return `${base}${sep}digest=${encodeURIComponent(digest)}`;
}

function sessionFrom(
  res: Response,
  requestUrl: string,
  attempted: string,
): Session {
  const location = locationOf(res, requestUrl, attempted);
  const min = parseLength(res.headers.get("oci-chunk-min-length"));
  return {
    location,
    ...(min !== undefined && min > 0 ? { minChunk: min } : {}),
  };
}

/** `POST /v2/<name>/blobs/uploads/`: a new session. */
export async function startSession(
  http: RepoHttp,
  call: CallOptions | undefined,
  attempted: string,
): Promise<Session> {
  const url = http.url("blobs/uploads/");
  const res = await http.send(
    attempted,
    http.request("POST", url, call, { headers: { "content-length": "0" } }),
    [202],
  );
  await res.body?.cancel();
  return sessionFrom(res, url, attempted);
}

/**
 * `POST ?digest=` with a small body: 201 means done; 202 means the registry
 * opened a session instead (and dropped the body); a refusal falls back to
 * an ordinary `POST`.
 */
export async function singlePost(
  http: RepoHttp,
  bytes: Uint8Array,
  digest: string,
  call: CallOptions | undefined,
  attempted: string,
): Promise<Opened> {
  const url = `${http.url("blobs/uploads/")}?digest=${
    encodeURIComponent(digest)
  }`;
  let res: Response;
  try {
    res = await http.send(
      attempted,
      http.request("POST", url, call, {
        headers: { "content-type": OCTET_STREAM },
        body: bytes as Uint8Array<ArrayBuffer>,
      }),
      [201, 202],
    );
  } catch (err) {
    if (err instanceof HttpError && SINGLE_POST_REFUSED.has(err.status)) {
      return { session: await startSession(http, call, attempted) };
    }
    throw err;
  }
  await res.body?.cancel();
  if (res.status === 201) {
    checkConfirmed(res, digest, attempted);
    return { done: "created" };
  }
  return { session: sessionFrom(res, url, attempted) };
}

/** `POST ?mount=&from=`: 201 mounted; 202 an ordinary session. */
export async function mountSession(
  http: RepoHttp,
  digest: string,
  fromRepo: string,
  call: CallOptions | undefined,
  attempted: string,
): Promise<Opened> {
  const url = `${http.url("blobs/uploads/")}?mount=${
    encodeURIComponent(digest)
  }&from=${encodeURIComponent(fromRepo)}`;
  const res = await http.send(
    attempted,
    http.request("POST", url, call, { headers: { "content-length": "0" } }),
    [201, 202],
  );
  await res.body?.cancel();
  if (res.status === 201) return { done: "mounted" };
  return { session: sessionFrom(res, url, attempted) };
}

/** Where the upload stands: `GET <location>` (204, `Range: 0-N`). */
export async function uploadStatus(
  http: RepoHttp,
  location: string,
  call: CallOptions | undefined,
  attempted: string,
): Promise<{ offset: number; end: number | undefined; location: string }> {
  const res = await http.send(
    `${attempted} (upload status)`,
    http.request("GET", location, call),
    [200, 204],
  );
  await res.body?.cancel();
  const range = res.headers.get("range");
  let end: number | undefined;
  if (range !== null) {
    const m = /^(?:bytes=)?(\d+)-(\d+)$/.exec(range.trim());
    if (m === null || Number(m[1]) !== 0) {
      throw new InvalidResponseError(
        `${attempted} (upload status)`,
        `the Range header "${range.slice(0, 64)}" is not 0-N`,
      );
    }
    end = Number(m[2]);
  }
  return {
    offset: end === undefined ? 0 : end + 1,
    end,
    location: locationOf(res, location, attempted, location),
  };
}

/** `DELETE <location>`, best effort: never throws. */
export async function cancelSession(
  http: RepoHttp,
  location: string,
): Promise<void> {
  try {
    const res = await http.send(
      "cancel blob upload",
      http.request("DELETE", location, {
        signal: AbortSignal.timeout(CANCEL_TIMEOUT_MS),
      }),
      [200, 202, 204, 404],
    );
    await res.body?.cancel();
  } catch {
    // Best effort: the registry purges abandoned uploads anyway.
  }
}

/** Checks `Docker-Content-Digest` of a created blob against ours. */
export function checkConfirmed(
  res: Response,
  digest: string,
  attempted: string,
): void {
  const confirmed = res.headers.get("docker-content-digest");
  if (confirmed === null || confirmed === digest) return;
  let valid = true;
  try {
    parseDigest(confirmed);
  } catch {
    valid = false; // garbage is ignored, as on the read side
  }
  if (valid && confirmed.split(":")[0] === digest.split(":")[0]) {
    throw new DigestMismatchError(
      `${attempted}: the registry confirmed another digest`,
      digest,
      confirmed,
    );
  }
}
