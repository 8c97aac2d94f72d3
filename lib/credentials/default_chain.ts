/**
 * The default chain: docker's config (with its credential helpers), then
 * podman's `auth.json`.
 *
 * @module
 */

import { containersAuthProvider } from "./containers_auth.ts";
import { dockerConfigProvider } from "./docker_config.ts";
import {
  chainProviders,
  type CredentialEnv,
  type CredentialProvider,
} from "./provider.ts";

/** Options of {@linkcode defaultCredentialChain}. */
export interface DefaultCredentialChainOptions {
  /**
   * Where environment variables are read from (`HOME`, `DOCKER_CONFIG`,
   * `DOCKER_AUTH_CONFIG`, `REGISTRY_AUTH_FILE`, `XDG_RUNTIME_DIR`,
   * `XDG_CONFIG_HOME`, `PATH`).
   *
   * @default {the process's environment}
   */
  env?: CredentialEnv;
  /**
   * Kill a credential helper and fail when it has not answered after this
   * many milliseconds.
   *
   * @default {10000}
   */
  helperTimeoutMs?: number;
  /** Read this file instead of docker's default config file. */
  dockerConfigPath?: string;
  /** Read only this file instead of podman's default `auth.json` files. */
  containersAuthPath?: string;
}

/**
 * The credentials docker and podman would use: docker's config file and the
 * helpers it names, then podman's `auth.json` files. The first source with
 * an answer wins; a broken source (malformed file, failing helper) throws.
 *
 * @param options The environment, the helper timeout, other files.
 * @returns A provider.
 * @throws {TypeError} When `helperTimeoutMs` is not a positive number.
 *
 * @example Whatever `docker login` or `podman login` saved
 * ```ts
 * import { defaultCredentialChain } from "jsr:@scope/docker-registry-client/credentials";
 *
 * const credentials = defaultCredentialChain();
 * console.log(await credentials.resolve({ registry: "ghcr.io", repository: "org/app" }));
 * ```
 */
export function defaultCredentialChain(
  options: DefaultCredentialChainOptions = {},
): CredentialProvider {
  const chain = chainProviders(
    dockerConfigProvider({
      path: options.dockerConfigPath,
      env: options.env,
      helperTimeoutMs: options.helperTimeoutMs,
    }),
    containersAuthProvider({
      path: options.containersAuthPath,
      env: options.env,
      helperTimeoutMs: options.helperTimeoutMs,
    }),
  );
  return { name: "default", resolve: chain.resolve };
}
