/**
 * Credentials from docker's config file, `$DOCKER_CONFIG/config.json` or
 * `~/.docker/config.json`, read the way the docker CLI reads it:
 *
 * 1. `DOCKER_AUTH_CONFIG` (an environment variable holding
 *    `{"auths": {...}}`), when set and it has the registry;
 * 2. `credHelpers[registry]`, the helper for that registry;
 * 3. `credsStore`, the default helper;
 * 4. `auths[registry]`: `auth` (base64 of `user:password`) or
 *    `username`/`password`, with `identitytoken` and `registrytoken`.
 *
 * When a helper is configured for a registry, its answer is final: docker
 * leaves an empty placeholder in `auths` then. Docker Hub is filed under
 * `https://index.docker.io/v1/`; keys written with a scheme or a path
 * (`https://quay.io/v1/`) match their host.
 *
 * Needs `--allow-read` for the file, `--allow-env` unless `env` is given, and
 * `--allow-run` when a helper is configured.
 *
 * @module
 */

import { dockerServerUrl, findRegistryKey } from "./_keys.ts";
import {
  decodeAuthEntry,
  dockerConfigHelper,
  dockerConfigPath,
  type EnvReader,
  envReader,
  envValue,
  helperPath,
  objectField,
  parseConfigText,
  readConfigFile,
} from "./_config_file.ts";
import { helperGet, helperTimeout } from "./_helper_exec.ts";
import type {
  CredentialEnv,
  CredentialProvider,
  CredentialRequest,
  Credentials,
} from "./provider.ts";

/** Options of {@linkcode dockerConfigProvider}. */
export interface DockerConfigProviderOptions {
  /**
   * Read this file instead of `$DOCKER_CONFIG/config.json` or
   * `~/.docker/config.json` (`DOCKER_AUTH_CONFIG` is then ignored too).
   */
  path?: string;
  /**
   * Where `HOME`, `DOCKER_CONFIG`, `DOCKER_AUTH_CONFIG` and `PATH` (to find
   * and run helpers) are read from.
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
}

const WHAT = "docker config";

/** `DOCKER_AUTH_CONFIG`, which docker reads before its file and helpers. */
function fromAuthConfigEnv(
  env: EnvReader,
  registry: string,
): Credentials | undefined {
  const text = envValue(env, "DOCKER_AUTH_CONFIG");
  if (text === undefined) return undefined;
  const where = "the environment variable";
  const config = parseConfigText(text, where, "DOCKER_AUTH_CONFIG");
  const auths = objectField(config, "auths", where, "DOCKER_AUTH_CONFIG");
  if (auths === undefined) return undefined;
  const key = findRegistryKey(auths, registry);
  if (key === undefined) return undefined;
  return decodeAuthEntry(auths[key], key, where, "DOCKER_AUTH_CONFIG");
}

/**
 * A provider that reads docker's config file (and the helpers it names) on
 * every call, so a later `docker login` is seen.
 *
 * A missing file answers `undefined`.
 *
 * @param options The file, the environment, the helper timeout.
 * @returns A provider.
 * @throws {TypeError} When `helperTimeoutMs` is not a positive number.
 *
 * @example Docker's credentials for Docker Hub
 * ```ts
 * import { dockerConfigProvider } from "jsr:@scope/docker-registry-client/credentials";
 *
 * const docker = dockerConfigProvider();
 * const creds = await docker.resolve({ registry: "docker.io", repository: "library/alpine" });
 * console.log(creds === undefined ? "anonymous" : `as ${creds.username}`);
 * ```
 *
 * @example A config file of your own, a helper timeout and a test environment
 * ```ts
 * import { dockerConfigProvider } from "jsr:@scope/docker-registry-client/credentials";
 *
 * const docker = dockerConfigProvider({
 *   path: "./ci/docker-config.json",
 *   env: { PATH: "/usr/local/bin:/usr/bin" },
 *   helperTimeoutMs: 3_000,
 * });
 * console.log(await docker.resolve({ registry: "ghcr.io" }));
 * ```
 */
export function dockerConfigProvider(
  options: DockerConfigProviderOptions = {},
): CredentialProvider {
  const helperTimeoutMs = helperTimeout(
    options.helperTimeoutMs,
    "helperTimeoutMs",
  );
  return {
    name: "docker-config",
    async resolve(
      request: CredentialRequest,
    ): Promise<Credentials | undefined> {
      request.signal?.throwIfAborted();
      const env = envReader(options.env);
      const registry = request.registry;
      if (options.path === undefined) {
        const inline = fromAuthConfigEnv(env, registry);
        if (inline !== undefined) return inline;
      }
      const path = dockerConfigPath(env, options.path);
      if (path === undefined) return undefined;
      const config = await readConfigFile(path, WHAT);
      if (config === undefined) return undefined;
      const auths = objectField(config, "auths", WHAT, path);

      const helper = dockerConfigHelper(config, registry, WHAT, path);
      if (helper !== undefined) {
        return await helperGet(helper, dockerServerUrl(registry), {
          timeoutMs: helperTimeoutMs,
          signal: request.signal,
          path: helperPath(options.env),
        });
      }
      if (auths === undefined) return undefined;
      const key = findRegistryKey(auths, registry);
      if (key === undefined) return undefined;
      return decodeAuthEntry(auths[key], key, WHAT, path);
    },
  };
}
