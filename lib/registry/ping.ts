/**
 * The registry's base endpoint (`GET /v2/`): whether it speaks the V2 API,
 * and how it authenticates. The answer is asked once per registry and
 * shared with the auth layer (`RegistryAuth.ping`), which reads the
 * `WWW-Authenticate` challenges of a 401 to choose bearer or basic.
 * `login` authenticates ahead of the first request.
 *
 * @module
 */

import type { LoginResult } from "../transport/auth.ts";
import { ConnectionError, RegistryError } from "../errors.ts";
import { asRegistryError, type CallOptions } from "./_repo_http.ts";
import type { RepoContext } from "./_context.ts";
import type { PingInfo } from "./options.ts";

/**
 * Pings the registry, once per registry (later calls share the answer).
 *
 * @internal Plumbing of `RegistryClientV2.ping`.
 * @param ctx The client's shared state.
 * @param options Cancellation.
 * @returns The status, V2 support and the auth schemes offered.
 * @throws {ConnectionError} When the registry cannot be reached.
 * @throws {HttpError} When it answers neither 200 nor 401.
 */
export async function ping(
  ctx: RepoContext,
  options: CallOptions | undefined,
): Promise<PingInfo> {
  let result;
  const signal = ctx.http.signal(options);
  try {
    result = await ctx.auth.ping(signal);
  } catch (err) {
    if (signal?.aborted) throw err;
    throw asRegistryError(err, `ping ${ctx.http.baseUrl}`);
  }
  return {
    status: result.status,
    supportsV2: result.supportsV2,
    authSchemes: result.challenges.map((c) => c.scheme),
    headers: result.headers,
  };
}

/**
 * Whether the registry speaks the V2 API; an answer that is not one is
 * `false`, a registry out of reach still throws.
 *
 * @internal Plumbing of `RegistryClientV2.supportsV2`.
 * @param ctx The client's shared state.
 * @param options Cancellation.
 * @returns `true` when `GET /v2/` answers 200 or 401 as V2 registries do.
 * @throws {ConnectionError} When the registry cannot be reached.
 */
export async function supportsV2(
  ctx: RepoContext,
  options: CallOptions | undefined,
): Promise<boolean> {
  try {
    return (await ping(ctx, options)).supportsV2;
  } catch (err) {
    if (err instanceof RegistryError && !(err instanceof ConnectionError)) {
      return false;
    }
    throw err;
  }
}

/**
 * Authenticates now: a token for pull on the repository (and `scopes`), or
 * a check of the Basic credentials.
 *
 * @internal Plumbing of `RegistryClientV2.login`.
 * @param ctx The client's shared state.
 * @param options Extra scopes and cancellation.
 * @returns How the registry authenticates and the scopes obtained.
 * @throws {AuthenticationError} When the credentials are refused.
 */
export async function login(
  ctx: RepoContext,
  options: CallOptions & { scopes?: string[] },
): Promise<LoginResult> {
  const scopes = options.scopes ?? [`repository:${ctx.http.name}:pull`];
  const signal = ctx.http.signal(options);
  try {
    return await ctx.auth.login(scopes, signal);
  } catch (err) {
    if (signal?.aborted) throw err;
    throw asRegistryError(err, `log in to ${ctx.http.baseUrl}`);
  }
}
