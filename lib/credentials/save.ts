/**
 * Writing credentials where `docker login` writes them: through the helper
 * docker's config names for the registry (`credHelpers`, else `credsStore`),
 * or as `auths[key].auth` (base64 of `user:password`) in the config file;
 * and removing them as `docker logout` (and `podman logout`) do.
 *
 * Needs `--allow-read` and `--allow-write` for the config file, `--allow-env`
 * unless `env` is given, and `--allow-run` when a helper is configured.
 *
 * @module
 */

import { mkdir, realpath, stat } from "node:fs/promises";
import { dirname } from "@std/path/posix/dirname";
import { writeFileAtomically } from "../layout/_atomic_file.ts";
import { CredentialsError } from "../errors.ts";
import {
  containersAuthPaths,
  dockerConfigHelper,
  dockerConfigPath,
  encodeAuth,
  envReader,
  errorCode,
  fileError,
  helperPath,
  type JsonObject,
  objectField,
  readConfigFile,
} from "./_config_file.ts";
import { helperErase, helperStore } from "./_helper_exec.ts";
import { canonicalRegistry, dockerServerUrl, sameRegistry } from "./_keys.ts";
import type { CredentialEnv } from "./provider.ts";

/** Options of {@linkcode saveDockerCredentials}. */
export interface SaveDockerCredentialsOptions {
  /** Write this file instead of `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`. */
  path?: string;
  /**
   * Where `HOME`, `DOCKER_CONFIG` and `PATH` (to find and run helpers) are
   * read from.
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
  /** Cancels the save (a helper in flight is killed). */
  signal?: AbortSignal;
}

/** Where {@linkcode saveDockerCredentials} put the credentials. */
export interface SavedDockerCredentials {
  /** `file` for docker's config file, `helper:<name>` for a credential helper. */
  stored: "file" | `helper:${string}`;
  /**
   * The config file written: it holds the credentials, or, with a helper,
   * the empty placeholder entry docker leaves there.
   */
  path?: string;
}

const WHAT = "docker config";
const PERMISSIONS = "--allow-read and --allow-write";

function isEmptyEntry(entry: unknown): boolean {
  return entry !== null && typeof entry === "object" &&
    !Array.isArray(entry) && Object.keys(entry).length === 0;
}

/** Writes the file through a temporary file and a rename, with its mode kept. */
async function writeConfig(
  path: string,
  config: JsonObject,
  what = WHAT,
): Promise<void> {
  const attempted = `write ${what} "${path}"`;
  let target = path;
  let mode = 0o600;
  try {
    target = await realpath(path);
    mode = (await stat(target)).mode & 0o777;
  } catch (err) {
    if (errorCode(err) !== "ENOENT") {
      throw fileError(attempted, err, PERMISSIONS);
    }
    try {
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    } catch (mkdirErr) {
      throw fileError(attempted, mkdirErr, PERMISSIONS);
    }
  }
  // Through a temporary file beside it, `.<name>.tmp-<pid>-<start>-…`
  // (one left by a writer that was killed is removed here).
  try {
    await writeFileAtomically(
      target,
      new TextEncoder().encode(JSON.stringify(config, null, "\t")),
      { mode },
    );
  } catch (err) {
    throw fileError(attempted, err, PERMISSIONS);
  }
}

/**
 * Saves a user name and password for a registry the way `docker login` does.
 *
 * - When docker's config names a helper for the registry
 *   (`credHelpers[host]`, else `credsStore`), runs
 *   `docker-credential-<name> store` and leaves the empty placeholder
 *   `auths[key] = {}` in the file, replacing any secret that was there.
 * - Otherwise writes `auths[key] = {"auth": base64("user:password")}`.
 *
 * The key is `https://index.docker.io/v1/` for Docker Hub and the registry's
 * `host[:port]` otherwise. The directory and file are created when missing
 * (the file with mode 0600, the directory 0700); every other key of the file
 * is kept; an existing file keeps its mode. The file is replaced atomically.
 *
 * @param registry The registry: `docker.io`, `quay.io`, `127.0.0.1:5000`
 * (a scheme or path is ignored).
 * @param credentials The user name (not empty, without `:`) and password.
 * @param options The file, the environment, the helper timeout, a signal.
 * @returns Where the credentials went.
 * @throws {TypeError} When an argument is empty or the user name holds `:`.
 * @throws {CredentialsError} When the config file is malformed or cannot be
 * written, or the helper fails.
 *
 * @example Log in to a local registry
 * ```ts
 * import { saveDockerCredentials } from "jsr:@scope/docker-registry-client/credentials";
 *
 * const saved = await saveDockerCredentials("127.0.0.1:5000", {
 *   username: "bob",
 *   password: Deno.env.get("REGISTRY_PASSWORD") ?? "",
 * });
 * console.log(saved); // { stored: "file", path: "/home/bob/.docker/config.json" }
 * ```
 */
export async function saveDockerCredentials(
  registry: string,
  credentials: { username: string; password: string },
  options: SaveDockerCredentialsOptions = {},
): Promise<SavedDockerCredentials> {
  if (typeof registry !== "string" || registry.trim() === "") {
    throw new TypeError("The registry must be a non-empty string");
  }
  const { username, password } = credentials ?? {};
  if (typeof username !== "string" || username === "") {
    throw new TypeError("The username must be a non-empty string");
  }
  if (username.includes(":")) {
    throw new TypeError('The username must not contain ":"');
  }
  if (typeof password !== "string" || password === "") {
    throw new TypeError("The password must be a non-empty string");
  }
  options.signal?.throwIfAborted();
  const env = envReader(options.env);
  const path = dockerConfigPath(env, options.path);
  if (path === undefined) {
    throw new CredentialsError(
      "find docker's config file",
      "neither DOCKER_CONFIG nor HOME is set",
    );
  }
  const config = await readConfigFile(path, WHAT) ?? {};
  const auths = objectField(config, "auths", WHAT, path) ?? {};
  const key = dockerServerUrl(registry);

  const helper = dockerConfigHelper(config, registry, WHAT, path);
  if (helper !== undefined) {
    await helperStore(helper, key, username, password, {
      timeoutMs: options.helperTimeoutMs,
      signal: options.signal,
      path: helperPath(options.env),
    });
    if (!isEmptyEntry(auths[key])) {
      auths[key] = {};
      config.auths = auths;
      await writeConfig(path, config);
    }
    return { stored: `helper:${helper}`, path };
  }

  auths[key] = { auth: encodeAuth(username, password) };
  config.auths = auths;
  await writeConfig(path, config);
  return { stored: "file", path };
}

/** Options of {@linkcode removeDockerCredentials}. */
export interface RemoveDockerCredentialsOptions {
  /** Edit this file instead of `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`. */
  path?: string;
  /**
   * Edit only this podman `auth.json` instead of the ones podman reads
   * (`$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`,
   * `$XDG_CONFIG_HOME/containers/auth.json`).
   */
  containersAuthPath?: string;
  /**
   * Where `HOME`, `DOCKER_CONFIG`, `REGISTRY_AUTH_FILE`, `XDG_RUNTIME_DIR`,
   * `XDG_CONFIG_HOME` and `PATH` (to find and run helpers) are read from.
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
  /** Cancels the removal (a helper in flight is killed). */
  signal?: AbortSignal;
}

/** What {@linkcode removeDockerCredentials} removed. */
export interface RemovedDockerCredentials {
  /**
   * Where credentials were removed: config files by path, credential helpers
   * as `helper:<name>`. Empty when none held any for the registry.
   */
  removed: string[];
}

/** Removes the `auths` keys `matches` accepts; whether there were any. */
function dropKeys(
  config: JsonObject,
  what: string,
  path: string,
  matches: (key: string) => boolean,
): boolean {
  const auths = objectField(config, "auths", what, path);
  if (auths === undefined) return false;
  const keys = Object.keys(auths).filter(matches);
  for (const key of keys) delete auths[key];
  return keys.length > 0;
}

/**
 * Removes the saved credentials of a registry, as `docker logout` does, and
 * podman's too:
 *
 * - when docker's config names a helper for the registry, runs
 *   `docker-credential-<name> erase` with the server URL on stdin;
 * - removes every `auths` entry of docker's config file for the registry
 *   (`host`, `http://host`, `https://host/…`; Docker Hub's
 *   `https://index.docker.io/v1/`);
 * - removes the registry's entries (not those of single repositories) from
 *   podman's `auth.json` files.
 *
 * Files are rewritten atomically and keep their other keys and their mode;
 * a missing file is skipped.
 *
 * @param registry The registry: `docker.io`, `quay.io`, `127.0.0.1:5000`
 * (a scheme or path is ignored).
 * @param options Other files, the environment, the helper timeout, a signal.
 * @returns Where credentials were removed.
 * @throws {TypeError} When `registry` is empty.
 * @throws {CredentialsError} When a file is malformed or cannot be written,
 * or the helper fails.
 *
 * @example Log out of a local registry
 * ```ts
 * import { removeDockerCredentials } from "jsr:@scope/docker-registry-client/credentials";
 *
 * const { removed } = await removeDockerCredentials("127.0.0.1:5000");
 * console.log(removed.length ? `removed from ${removed.join(", ")}` : "not logged in");
 * ```
 */
export async function removeDockerCredentials(
  registry: string,
  options: RemoveDockerCredentialsOptions = {},
): Promise<RemovedDockerCredentials> {
  if (typeof registry !== "string" || registry.trim() === "") {
    throw new TypeError("The registry must be a non-empty string");
  }
  options.signal?.throwIfAborted();
  const env = envReader(options.env);
  const removed: string[] = [];

  const path = dockerConfigPath(env, options.path);
  const config = path === undefined
    ? undefined
    : await readConfigFile(path, WHAT);
  if (path !== undefined && config !== undefined) {
    const helper = dockerConfigHelper(config, registry, WHAT, path);
    if (helper !== undefined) {
      const erased = await helperErase(helper, dockerServerUrl(registry), {
        timeoutMs: options.helperTimeoutMs,
        signal: options.signal,
        path: helperPath(options.env),
      });
      if (erased) removed.push(`helper:${helper}`);
    }
    if (dropKeys(config, WHAT, path, (key) => sameRegistry(key, registry))) {
      await writeConfig(path, config);
      removed.push(path);
    }
  }

  const podman = "containers auth file";
  const wanted = canonicalRegistry(registry);
  const registryKey = (key: string) =>
    (!key.includes("/") || /^https?:\/\//i.test(key)) &&
    canonicalRegistry(key) === wanted;
  for (const file of containersAuthPaths(env, options.containersAuthPath)) {
    options.signal?.throwIfAborted();
    const auth = await readConfigFile(file, podman);
    if (auth === undefined || !dropKeys(auth, podman, file, registryKey)) {
      continue;
    }
    await writeConfig(file, auth, podman);
    removed.push(file);
  }
  return { removed };
}
