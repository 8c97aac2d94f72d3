/**
 * Credentials from podman's (containers') `auth.json`, as described in
 * containers-auth.json(5).
 *
 * Files, in order: `$REGISTRY_AUTH_FILE` alone when set; otherwise
 * `$XDG_RUNTIME_DIR/containers/auth.json` (Linux), then
 * `$XDG_CONFIG_HOME/containers/auth.json` (`~/.config/containers/auth.json`).
 * docker's config, which podman also falls back to, is left to
 * `dockerConfigProvider` in the default chain.
 *
 * In each file, `credHelpers[registry]` names a helper for the registry;
 * otherwise the most specific `auths` key wins: `quay.io/org/repo`, then
 * `quay.io/org`, then `quay.io` (then keys with a scheme or path, such as
 * `https://quay.io/v1/`, by host). Docker Hub is `docker.io` here. A file
 * without an answer passes the question to the next.
 *
 * Needs `--allow-read`, `--allow-env` unless `env` is given, and
 * `--allow-run` when a helper is configured.
 *
 * @module
 */

import { canonicalRegistry } from "./_keys.ts";
import {
  checkHelperName,
  containersAuthPaths,
  decodeAuthEntry,
  envReader,
  helperPath,
  objectField,
  readConfigFile,
  stringMapField,
} from "./_config_file.ts";
import { helperGet, helperTimeout } from "./_helper_exec.ts";
import type {
  CredentialEnv,
  CredentialProvider,
  CredentialRequest,
  Credentials,
} from "./provider.ts";

/** Options of {@linkcode containersAuthProvider}. */
export interface ContainersAuthProviderOptions {
  /** Read only this file. */
  path?: string;
  /**
   * Where `REGISTRY_AUTH_FILE`, `XDG_RUNTIME_DIR`, `XDG_CONFIG_HOME`, `HOME`
   * and `PATH` (to find and run helpers) are read from.
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

const WHAT = "containers auth file";

/**
 * The `auths` keys to try, best first: the repository, its namespaces, the
 * registry.
 */
function lookupKeys(
  registry: string,
  repository: string | undefined,
): string[] {
  const keys = [registry];
  if (repository !== undefined && repository !== "") {
    const parts = repository.split("/");
    for (let i = 1; i <= parts.length; i++) {
      keys.unshift(`${registry}/${parts.slice(0, i).join("/")}`);
    }
  }
  return keys;
}

/**
 * The registry of a key that did not match exactly: a URL
 * (`https://quay.io/v1/`) by its host, a bare host by its canonical name
 * (`index.docker.io` is Docker Hub). Namespace keys have none.
 */
function looseKeyRegistry(key: string): string | undefined {
  if (/^https?:\/\//i.test(key) || !key.includes("/")) {
    return canonicalRegistry(key);
  }
  return undefined;
}

/**
 * A provider that reads podman's `auth.json` files (and the helpers they
 * name) on every call.
 *
 * Missing files answer `undefined`.
 *
 * @param options The file, the environment, the helper timeout.
 * @returns A provider.
 * @throws {TypeError} When `helperTimeoutMs` is not a positive number.
 *
 * @example Podman's credentials for a repository on Quay
 * ```ts
 * import { containersAuthProvider } from "jsr:@scope/docker-registry-client/credentials";
 *
 * const podman = containersAuthProvider();
 * const creds = await podman.resolve({ registry: "quay.io", repository: "org/repo" });
 * console.log(creds?.username);
 * ```
 */
export function containersAuthProvider(
  options: ContainersAuthProviderOptions = {},
): CredentialProvider {
  const helperTimeoutMs = helperTimeout(
    options.helperTimeoutMs,
    "helperTimeoutMs",
  );
  return {
    name: "containers-auth",
    async resolve(
      request: CredentialRequest,
    ): Promise<Credentials | undefined> {
      request.signal?.throwIfAborted();
      const env = envReader(options.env);
      const registry = canonicalRegistry(request.registry);
      const keys = lookupKeys(registry, request.repository);
      for (const path of containersAuthPaths(env, options.path)) {
        request.signal?.throwIfAborted();
        const config = await readConfigFile(path, WHAT);
        if (config === undefined) continue;
        const auths = objectField(config, "auths", WHAT, path) ?? {};
        const credHelpers = stringMapField(config, "credHelpers", WHAT, path);

        if (credHelpers !== undefined && Object.hasOwn(credHelpers, registry)) {
          const helper = credHelpers[registry];
          checkHelperName(helper, WHAT, path);
          const found = await helperGet(helper, registry, {
            timeoutMs: helperTimeoutMs,
            signal: request.signal,
            path: helperPath(options.env),
          });
          if (found !== undefined) return found;
          continue;
        }

        let key = keys.find((candidate) => Object.hasOwn(auths, candidate));
        key ??= Object.keys(auths).find((k) =>
          looseKeyRegistry(k) === registry
        );
        if (key === undefined) continue;
        const found = decodeAuthEntry(auths[key], key, WHAT, path);
        if (found !== undefined) return found;
      }
      return undefined;
    },
  };
}
