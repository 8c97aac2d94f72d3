/**
 * How a client reaches its registry — assembled here, in one place:
 *
 * - the base URL: the reference's scheme, else `options.scheme`, else
 *   `https` (plain `http` for loopback hosts, as docker does), on the
 *   registry's API host (Docker Hub: `registry-1.docker.io`);
 * - the transport: the injected `fetch` (or one trusting `caCerts`: in Deno
 *   through a `Deno.HttpClient` the client closes, in Bun through fetch's
 *   `tls` option; Node's fetch has no such option), with `log` each request
 *   and response logged right above it (`withLog`), wrapped by
 *   `composeTransport` (user agent, retry, redirects, timeouts);
 * - the auth state (`RegistryAuth`) over it, with the credentials: given
 *   ones, a provider, or — when none are given (and, in Deno, env and read
 *   permissions are already granted) — docker's and podman's
 *   (`/credentials`); or the
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
import { isDeno, permissionGranted } from "../_runtime.ts";
import { quirksFor } from "../registries.ts";
import { type AuthOptions, RegistryAuth } from "../transport/auth.ts";
import { composeTransport } from "../transport/compose.ts";
import { withLog } from "../transport/log.ts";
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
  httpClient?: { close(): void };
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
  if (options.repo === undefined) {
    throw new TypeError("createClient() needs the repository: `repo`");
  }
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
  let httpClient: { close(): void } | undefined;
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
      const trusting = fetchTrusting(options.caCerts);
      httpClient = trusting.client;
      fetchFn = trusting.fetch;
    }
    // Right above fetch: every request on the wire is logged.
    if (options.log) fetchFn = withLog(fetchFn ?? defaultFetch, options.log);
    const inner = composeTransport({
      fetch: fetchFn,
      userAgent: options.userAgent,
      retry: options.retry,
      maxRedirects: options.maxRedirects,
      requestTimeoutMs: options.requestTimeoutMs,
      requestDeadlineMs: options.requestDeadlineMs,
      minSpeed: options.minSpeed,
      minSpeedWindowMs: options.minSpeedWindowMs,
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

function defaultFetch(request: Request): Promise<Response> {
  return fetch(request);
}

/**
 * A fetch that trusts `caCerts` besides the system's roots. Deno: a
 * `Deno.HttpClient` (closed with the client). Bun: fetch's `tls.ca`, which
 * replaces the default roots, so they are passed too. Node's fetch takes no
 * certificates per call: a clear error instead of a silent fallback.
 */
function fetchTrusting(caCerts: string[]): {
  fetch: (request: Request) => Promise<Response>;
  client?: { close(): void };
} {
  if (isDeno()) {
    const client = Deno.createHttpClient({ caCerts });
    return { fetch: (request) => fetch(request, { client }), client };
  }
  if ((globalThis as { Bun?: unknown }).Bun !== undefined) {
    let ca: Promise<string[]> | undefined;
    return {
      fetch: async (request) => {
        ca ??= import("node:tls").then((tls) => [
          ...tls.rootCertificates,
          ...caCerts,
        ]);
        return fetch(request, { tls: { ca: await ca } } as RequestInit);
      },
    };
  }
  throw new TypeError(
    "caCerts needs Deno or Bun: in Node, pass a fetch whose dispatcher " +
      "trusts the certificates (undici's Agent with connect.ca), or start " +
      "node with NODE_EXTRA_CA_CERTS=ca.pem",
  );
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
  if (!permissionGranted("env") || !permissionGranted("read")) {
    return undefined;
  }
  const { defaultCredentialChain } = await import(
    "../credentials/default_chain.ts"
  );
  return defaultCredentialChain().resolve({ registry, repository, signal });
}
