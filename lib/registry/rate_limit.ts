/**
 * Docker Hub's pull budget: `RateLimit-Limit: 100;w=21600` and
 * `RateLimit-Remaining: 76;w=21600` on manifest answers. Every response
 * that carries them updates `RegistryClientV2.rateLimit` (the transport of
 * `connection.ts` reads them); `checkRateLimit` asks with a `HEAD`, which
 * Docker Hub does not count.
 *
 * @module
 */

import type { CallOptions } from "./_repo_http.ts";
import type { RepoContext } from "./_context.ts";
import { requestManifest } from "./manifests.ts";
import type { RateLimit } from "./options.ts";

/** The budget a response announces; `undefined` when it has no `RateLimit-Limit`. */
export function readRateLimit(headers: Headers): RateLimit | undefined {
  const limit = headers.get("ratelimit-limit");
  if (limit === null) return undefined;
  const [count, ...params] = limit.split(";");
  const parsed: RateLimit = { limit: Number(count.trim()) };
  if (!Number.isFinite(parsed.limit)) return undefined;
  const w = params.map((p) => p.trim()).find((p) => p.startsWith("w="));
  if (w) parsed.windowSeconds = Number(w.slice(2));
  const remaining = headers.get("ratelimit-remaining");
  if (remaining !== null) {
    const r = Number(remaining.split(";")[0].trim());
    if (Number.isFinite(r)) parsed.remaining = r;
  }
  return parsed;
}

/**
 * Asks for the budget with a `HEAD` on a manifest; a 404 still answers.
 *
 * @internal Plumbing of `RegistryClientV2.checkRateLimit`.
 * @param ctx The client's shared state.
 * @param ref A tag or digest; by default the reference's own.
 * @param options Cancellation.
 * @returns The budget, or `undefined` when the registry sends none.
 * @throws {TooManyRequestsError} When even the `HEAD` is refused.
 */
export async function checkRateLimit(
  ctx: RepoContext,
  ref: string | undefined,
  options: CallOptions,
): Promise<RateLimit | undefined> {
  const { res } = await requestManifest(
    ctx,
    "HEAD",
    ref,
    options,
    [200, 404],
    "check the rate limit with",
  );
  await res.body?.cancel();
  return readRateLimit(res.headers);
}
