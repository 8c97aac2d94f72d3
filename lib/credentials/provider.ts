/**
 * The credentials interface the client consumes, and the two providers that
 * need no permissions: fixed credentials and a chain of providers.
 *
 * A {@linkcode CredentialProvider} answers one question: which credentials,
 * if any, to use for a registry (and optionally a repository on it). It
 * answers `undefined` when it has nothing, so that a chain can ask the next
 * one, and throws when it cannot tell (a malformed file, a broken helper).
 *
 * This module reads no file, no environment variable and runs no process.
 *
 * @module
 */

import { canonicalRegistry } from "./_keys.ts";

/**
 * What a registry can be authenticated with. Any combination may be set; the
 * client picks what the registry's challenge asks for.
 */
export interface Credentials {
  /** The user name for Basic authentication or the token server's password grant. */
  username?: string;
  /** The password for Basic authentication or the token server's password grant. */
  password?: string;
  /**
   * A refresh token for the OAuth2 `refresh_token` grant: docker's
   * `identitytoken`, or a helper's answer with the user name `<token>`.
   */
  identityToken?: string;
  /** A bearer token used as is: docker's `registrytoken`. */
  registryToken?: string;
}

/** What a {@linkcode CredentialProvider} is asked for. */
export interface CredentialRequest {
  /**
   * The index name as parsed from the reference: `docker.io`, `quay.io`,
   * `127.0.0.1:5000`.
   */
  registry: string;
  /** The repository's remote name, e.g. `library/alpine` or `org/repo`. */
  repository?: string;
  /** Cancels the lookup (a credential helper in flight is killed). */
  signal?: AbortSignal;
}

/**
 * A source of credentials: fixed values, docker's config file, a credential
 * helper, podman's `auth.json`, or a chain of those.
 */
export interface CredentialProvider {
  /** A short name for messages, e.g. `docker-config`. */
  readonly name: string;
  /**
   * Finds the credentials for a registry.
   *
   * @param request The registry, the repository and a signal.
   * @returns The credentials, or `undefined` when this provider has none
   * (anonymous access, or let the next provider answer).
   * @throws {CredentialsError} When the source is broken: a malformed file,
   * a helper that fails, hangs or prints garbage.
   */
  resolve(request: CredentialRequest): Promise<Credentials | undefined>;
}

/**
 * Where providers read environment variables (`HOME`, `DOCKER_CONFIG`,
 * `REGISTRY_AUTH_FILE`, `XDG_RUNTIME_DIR`, `XDG_CONFIG_HOME`, `PATH`): a
 * record, or a function such as `Deno.env.get`. The default is the process's
 * environment (`Deno.env` in Deno, `process.env` in Node and Bun); in Deno it
 * needs `--allow-env`, and a variable Deno is not allowed to read counts as
 * unset, so without the permission the file providers find no file and
 * answer `undefined`.
 */
export type CredentialEnv =
  | Record<string, string | undefined>
  | ((name: string) => string | undefined);

/** Options of {@linkcode staticCredentials}. */
export interface StaticCredentialsOptions {
  /**
   * Answer only for this registry (`host[:port]`; a scheme or path is
   * ignored; the Docker Hub names `docker.io`, `index.docker.io` and
   * `registry-1.docker.io` are one registry).
   *
   * @default {undefined} every registry
   */
  registry?: string;
}

function checkCredentials(credentials: Credentials): Credentials {
  if (credentials === null || typeof credentials !== "object") {
    throw new TypeError("Credentials must be an object");
  }
  const copy: Credentials = {};
  for (
    const field of [
      "username",
      "password",
      "identityToken",
      "registryToken",
    ] as const
  ) {
    const value = credentials[field];
    if (value === undefined) continue;
    if (typeof value !== "string") {
      throw new TypeError(`Credentials field "${field}" must be a string`);
    }
    copy[field] = value;
  }
  if (
    !copy.username && !copy.password && !copy.identityToken &&
    !copy.registryToken
  ) {
    throw new TypeError(
      "Credentials need a username, a password, an identityToken or a registryToken",
    );
  }
  return copy;
}

/**
 * A provider that always answers with the same credentials, for every
 * registry or for one.
 *
 * @param credentials The credentials to answer with; copied, so later
 * changes to the object have no effect.
 * @param options `registry` to answer only for one registry.
 * @returns A provider that needs no permissions.
 * @throws {TypeError} When `credentials` has no field set or a field that is
 * not a string.
 *
 * @example Fixed credentials for one registry
 * ```ts
 * import { staticCredentials } from "jsr:@scope/docker-registry-client/credentials";
 *
 * const provider = staticCredentials(
 *   { username: "bob", password: Deno.env.get("QUAY_PASSWORD") },
 *   { registry: "quay.io" },
 * );
 * console.log(await provider.resolve({ registry: "quay.io" })); // { username: "bob", ... }
 * console.log(await provider.resolve({ registry: "ghcr.io" })); // undefined
 * ```
 */
export function staticCredentials(
  credentials: Credentials,
  options: StaticCredentialsOptions = {},
): CredentialProvider {
  const fixed = checkCredentials(credentials);
  const only = options.registry === undefined
    ? undefined
    : canonicalRegistry(options.registry);
  if (only === "") {
    throw new TypeError("The registry option must not be empty");
  }
  return {
    name: only === undefined ? "static" : `static(${only})`,
    resolve(request: CredentialRequest): Promise<Credentials | undefined> {
      if (request.signal?.aborted) return Promise.reject(request.signal.reason);
      if (only !== undefined && canonicalRegistry(request.registry) !== only) {
        return Promise.resolve(undefined);
      }
      return Promise.resolve({ ...fixed });
    },
  };
}

/**
 * A provider that asks several providers in turn and answers with the first
 * answer that is not `undefined`.
 *
 * An error from a provider stops the chain and propagates: a broken source
 * is reported, not skipped.
 *
 * @param providers The providers, in the order to ask them.
 * @returns A provider; with no providers it always answers `undefined`.
 * @throws {TypeError} When an argument is not a provider.
 *
 * @example Explicit credentials first, then docker's config
 * ```ts
 * import {
 *   chainProviders,
 *   dockerConfigProvider,
 *   staticCredentials,
 * } from "jsr:@scope/docker-registry-client/credentials";
 *
 * const provider = chainProviders(
 *   staticCredentials({ registryToken: "abc" }, { registry: "127.0.0.1:5000" }),
 *   dockerConfigProvider(),
 * );
 * console.log(await provider.resolve({ registry: "docker.io", repository: "library/alpine" }));
 * ```
 */
export function chainProviders(
  ...providers: CredentialProvider[]
): CredentialProvider {
  for (const provider of providers) {
    if (
      provider === null || typeof provider !== "object" ||
      typeof provider.resolve !== "function"
    ) {
      throw new TypeError("chainProviders() takes credential providers");
    }
  }
  const list = [...providers];
  return {
    name: `chain(${list.map((p) => p.name).join(", ")})`,
    async resolve(
      request: CredentialRequest,
    ): Promise<Credentials | undefined> {
      for (const provider of list) {
        request.signal?.throwIfAborted();
        const found = await provider.resolve(request);
        if (found !== undefined) return found;
      }
      return undefined;
    },
  };
}
