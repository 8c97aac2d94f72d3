// Private: what the resource functions of one client share — its request
// plumbing, its parsed reference, its auth state and its options — and the
// defaults they read from those options.

import type { RepoRef } from "../ref/reference.ts";
import type { RegistryAuth } from "../transport/auth.ts";
import type { RepoHttp } from "./_repo_http.ts";
import { type ClientOptions, DEFAULT_MAX_MANIFEST_BYTES } from "./options.ts";

/** One client's shared state, handed to every resource function. */
export interface RepoContext {
  /** The request plumbing of the repository (base URL, name, signal). */
  readonly http: RepoHttp;
  /** The parsed reference: registry, name, default tag or digest. */
  readonly repo: RepoRef;
  /** The auth state (ping answer, tokens, credentials). */
  readonly auth: RegistryAuth;
  /** The options the client was created with. */
  readonly options: ClientOptions;
}

/** The largest manifest (or referrers page) read or written, in bytes. */
export function maxManifestBytes(ctx: RepoContext): number {
  return ctx.options.maxManifestBytes ?? DEFAULT_MAX_MANIFEST_BYTES;
}

/** The most pages a listing follows: the call's bound, else the client's. */
export function maxPages(ctx: RepoContext, call?: number): number {
  return call ?? ctx.options.maxPages ?? 10_000;
}

/** The tag or digest a call works on: its own, else the reference's, else `latest`. */
export function refOf(ctx: RepoContext, ref: string | undefined): string {
  return ctx.http.ref(ref, ctx.repo.digest ?? ctx.repo.tag ?? "latest");
}
