/**
 * How a client reaches its registry — assembled here, in one place:
 *
 * - the base URL: the reference's scheme, else `options.scheme`, else
 *   `https` (plain `http` for loopback hosts, as docker does), on the
 *   registry's API host (Docker Hub: `registry-1.docker.io`);
 * - the transport: the injected `fetch` (or one trusting `caCerts`, through
 *   a `Deno.HttpClient` the client closes), wrapped by `composeTransport`
 *   (user agent, retry, redirects, timeouts);
 * - the auth state (`RegistryAuth`) over it, with the credentials: given
 *   ones, a provider, or — when none are given and Deno already grants env
 *   and read permission — docker's and podman's (`/credentials`); or the
 *   `auth` of another client of the same registry, shared as it is;
 * - the request plumbing of the repository (`RepoHttp`), which records
 *   Docker Hub's rate-limit headers of every response.
 *
 * @module
 */

import type {
  CredentialProvider,
  Credentials,
} from "../credentials/provider.ts";
import {
  parseRepoAndRef,
  type RepoInfo,
  type RepoRef,
} from "../ref/reference.ts";
import { quirksFor } from "../registries.ts";
import { type AuthOptions, RegistryAuth } from "../transport/auth.ts";
import { composeTransport } from "../transport/compose.ts";
import { isLoopbackHostPort } from "../transport/_loopback.ts";
import { RepoHttp } from "./_repo_http.ts";
import type { RepoContext } from "./_context.ts";
import type { ClientOptions, RateLimit } from "./options.ts";
import { readRateLimit } from "./rate_limit.ts";

/** A client's connection: its shared state, and what `close()` releases. */
export interface Connection extends RepoContext {
  /** The registry's base URL, e.g. `https://registry-1.docker.io`. */
  baseUrl: string;
  /** The HTTP client made for `caCerts`, if any; `close()` closes and clears it. */
  httpClient?: Deno.HttpClient;
}

/**
 * Parses the repository and assembles the transport, auth state and
 * request plumbing of a client.
 *
 * @param options The client's options.
 * @param onRateLimit Called with the budget of every response that has one.
 * @returns The connection.
 * @throws {InvalidReferenceError} When the repository does not parse.
 * @throws {TypeError} When `options.auth` belongs to another registry.
 */
export function connect(
  options: ClientOptions,
  onRateLimit: (limit: RateLimit) => void,
): Connection {
  const repo = typeof options.repo === "string"
    ? parseRepoAndRef(options.repo)
    : toRepoRef(options.repo);
  const index = repo.index;
  const scheme = options.scheme ?? index.scheme ??
    (isLoopbackHostPort(index.name) ? "http" : "https");
  const host = quirksFor(index.name).apiHost ?? index.name;
  const baseUrl = `${scheme}://${host}`;
  const name = repo.remoteName;
  let auth: RegistryAuth;
  let httpClient: Deno.HttpClient | undefined;
  if (options.auth) {
    const origin = new URL(baseUrl).origin;
    if (options.auth.origin !== origin) {
      throw new TypeError(
        `Cannot create a client for ${origin} with the auth state of ${options.auth.origin}`,
      );
    }
    // Shared: its transport (and its options) come with it.
    auth = options.auth;
  } else {
    let fetchFn = options.fetch;
    if (!fetchFn && options.caCerts?.length) {
      const client = Deno.createHttpClient({ caCerts: options.caCerts });
      httpClient = client;
      fetchFn = (request) => fetch(request, { client });
    }
    const inner = composeTransport({
      fetch: fetchFn,
      userAgent: options.userAgent,
      retry: options.retry,
      maxRedirects: options.maxRedirects,
      requestTimeoutMs: options.requestTimeoutMs,
    });
    auth = new RegistryAuth(inner, {
      registry: baseUrl,
      ...authOptionsFrom(options, index.name, name),
    });
  }
  const authTransport = auth.transport;
  const http = new RepoHttp(
    baseUrl,
    name,
    async (request) => {
      const res = await authTransport(request);
      const limit = readRateLimit(res.headers);
      if (limit) onRateLimit(limit);
      return res;
    },
    options.signal,
  );
  return { http, repo, auth, options, baseUrl, httpClient };
}

function toRepoRef(repo: RepoInfo): RepoRef {
  if ("canonicalRef" in repo) return repo as RepoRef;
  return parseRepoAndRef(repo.canonicalName, repo.index);
}

/** Where the credentials come from, by precedence. */
function authOptionsFrom(
  options: ClientOptions,
  registry: string,
  repository: string,
): Omit<AuthOptions, "registry"> {
  const explicit: Credentials | undefined =
    options.username !== undefined || options.password !== undefined
      ? { username: options.username, password: options.password }
      : undefined;
  const given = options.credentials;
  let credentials:
    | ((signal?: AbortSignal) => Promise<Credentials | undefined>)
    | undefined;
  if (explicit) credentials = () => Promise.resolve(explicit);
  else if (given && "resolve" in given) {
    credentials = (signal) =>
      (given as CredentialProvider).resolve({ registry, repository, signal });
  } else if (given) {
    credentials = () => Promise.resolve(given as Credentials);
  } else if (
    options.token === undefined && options.useDefaultCredentials !== false
  ) {
    credentials = (signal) => defaultCredentials(registry, repository, signal);
  }
  return {
    credentials,
    token: options.token,
    scopes: options.scopes,
    insecure: options.insecure,
    oauth2: options.oauth2,
  };
}

/**
 * The default credential chain (docker config, helpers, containers auth),
 * loaded only when env and read permissions are already granted.
 */
async function defaultCredentials(
  registry: string,
  repository: string,
  signal?: AbortSignal,
): Promise<Credentials | undefined> {
  const granted = (name: "env" | "read") =>
    Deno.permissions.querySync?.({ name }).state === "granted";
  if (!granted("env") || !granted("read")) return undefined;
  const { defaultCredentialChain } = await import(
    "../credentials/default_chain.ts"
  );
  return defaultCredentialChain().resolve({ registry, repository, signal });
}
