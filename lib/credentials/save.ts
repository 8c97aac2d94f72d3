/**
 * Writing credentials where `docker login` writes them: through the helper
 * docker's config names for the registry (`credHelpers`, else `credsStore`),
 * or as `auths[key].auth` (base64 of `user:password`) in the config file.
 *
 * Needs `--allow-read` and `--allow-write` for the config file, `--allow-env`
 * unless `env` is given, and `--allow-run` when a helper is configured.
 *
 * @module
 */

import { dirname } from "@std/path/posix/dirname";
import { CredentialsError } from "../errors.ts";
import {
  dockerConfigHelper,
  dockerConfigPath,
  encodeAuth,
  envReader,
  fileError,
  helperPath,
  type JsonObject,
  objectField,
  readConfigFile,
} from "./_config_file.ts";
import { helperStore } from "./_helper_exec.ts";
import { dockerServerUrl } from "./_keys.ts";
import type { CredentialEnv } from "./provider.ts";

/** Options of {@linkcode saveDockerCredentials}. */
export interface SaveDockerCredentialsOptions {
  /** Write this file instead of `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`. */
  path?: string;
  /**
   * Where `HOME`, `DOCKER_CONFIG` and `PATH` (to find and run helpers) are
   * read from.
   *
   * @default {Deno.env.get}
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

/** Writes the file through a temporary file and a rename. */
async function writeConfig(path: string, config: JsonObject): Promise<void> {
  const attempted = `write ${WHAT} "${path}"`;
  let target = path;
  let mode = 0o600;
  try {
    target = await Deno.realPath(path);
    const info = await Deno.stat(target);
    if (info.mode !== null) mode = info.mode & 0o777;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) {
      throw fileError(attempted, err, PERMISSIONS);
    }
    try {
      await Deno.mkdir(dirname(path), { recursive: true, mode: 0o700 });
    } catch (mkdirErr) {
      throw fileError(attempted, mkdirErr, PERMISSIONS);
    }
  }
  let temp: string | undefined;
  try {
    temp = await Deno.makeTempFile({
      dir: dirname(target),
      prefix: ".config.json.",
      suffix: ".tmp",
    });
    await Deno.writeTextFile(temp, JSON.stringify(config, null, "\t"));
    if (Deno.build.os !== "windows") await Deno.chmod(temp, mode);
    await Deno.rename(temp, target);
  } catch (err) {
    if (temp !== undefined) await Deno.remove(temp).catch(() => {});
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
