// Private: reading docker's and podman's credential files. Nothing here puts
// a secret (or file content that could hold one) into an error.

import { readFile } from "node:fs/promises";
import { decodeBase64, encodeBase64 } from "@std/encoding/base64";
import { join } from "@std/path/posix/join";
import { isNotCapable, osName, readEnv } from "../_runtime.ts";
import { CredentialsError } from "../errors.ts";
import { findRegistryKey } from "./_keys.ts";
import { isValidHelperName } from "./_helper_exec.ts";
import type { CredentialEnv, Credentials } from "./provider.ts";

/** Reads one environment variable. */
export type EnvReader = (name: string) => string | undefined;

/** Turns the `env` option into a reader; the default is the process's environment. */
export function envReader(env: CredentialEnv | undefined): EnvReader {
  if (env === undefined) return readEnv;
  if (typeof env === "function") return env;
  return (name) => Object.hasOwn(env, name) ? env[name] : undefined;
}

/** An environment variable, with an empty value treated as unset. */
export function envValue(env: EnvReader, name: string): string | undefined {
  const value = env(name);
  return value === undefined || value === "" ? undefined : value;
}

/**
 * The `PATH` to find and run a helper with: read from the `env` option when
 * one is given, else `undefined` (the helper inherits the process's).
 */
export function helperPath(env: CredentialEnv | undefined): string | undefined {
  return env === undefined ? undefined : envValue(envReader(env), "PATH");
}

/** The user's home directory from the environment, if known. */
export function homeDir(env: EnvReader): string | undefined {
  return envValue(env, "HOME") ??
    (osName() === "windows" ? envValue(env, "USERPROFILE") : undefined);
}

/** docker's config file: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. */
export function dockerConfigPath(
  env: EnvReader,
  path: string | undefined,
): string | undefined {
  if (path !== undefined) return path;
  const dir = envValue(env, "DOCKER_CONFIG");
  if (dir !== undefined) return join(dir, "config.json");
  const home = homeDir(env);
  return home === undefined ? undefined : join(home, ".docker", "config.json");
}

/**
 * podman's `auth.json` files, in the order they are read
 * (containers/image's `getAuthFilePaths`); `path` alone when given.
 */
export function containersAuthPaths(
  env: EnvReader,
  path: string | undefined,
): string[] {
  if (path !== undefined) return [path];
  const explicit = envValue(env, "REGISTRY_AUTH_FILE");
  if (explicit !== undefined) return [explicit];
  const paths: string[] = [];
  const home = homeDir(env);
  if (osName() === "linux") {
    const runtimeDir = envValue(env, "XDG_RUNTIME_DIR");
    if (runtimeDir !== undefined) {
      paths.push(join(runtimeDir, "containers", "auth.json"));
    }
  } else if (home !== undefined) {
    paths.push(join(home, ".config", "containers", "auth.json"));
  }
  const configHome = envValue(env, "XDG_CONFIG_HOME") ??
    (home === undefined ? undefined : join(home, ".config"));
  if (configHome !== undefined) {
    paths.push(join(configHome, "containers", "auth.json"));
  }
  return [...new Set(paths)];
}

/** A JSON object as read from a file. */
export type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * Parses a credentials file's text. The parser's own message is not kept: V8
 * quotes the text around the error, which may be a secret.
 */
export function parseConfigText(
  text: string,
  what: string,
  path: string,
): JsonObject {
  if (text.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CredentialsError(
      `read ${what} "${path}"`,
      "it is not valid JSON",
    );
  }
  if (!isObject(parsed)) {
    throw new CredentialsError(
      `read ${what} "${path}"`,
      "its top level is not a JSON object",
    );
  }
  return parsed;
}

/**
 * Reads and parses a credentials file. A missing file gives `undefined`;
 * an empty one an empty object, as docker reads it.
 */
export async function readConfigFile(
  path: string,
  what: string,
): Promise<JsonObject | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if (errorCode(err) === "ENOENT") return undefined;
    throw fileError(`read ${what} "${path}"`, err);
  }
  return parseConfigText(text, what, path);
}

/** The `code` of a file-system error (`ENOENT`, `EACCES`, …), if any. */
export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** A `CredentialsError` for a failed file operation. */
export function fileError(
  attempted: string,
  err: unknown,
  permission = "--allow-read",
): CredentialsError {
  if (isNotCapable(err)) {
    return new CredentialsError(
      attempted,
      `Deno lacks the permission (${permission})`,
      { cause: err },
    );
  }
  const code = errorCode(err);
  const problem = code === "EACCES" || code === "EPERM"
    ? "permission denied"
    : code === "EISDIR"
    ? "it is a directory"
    : err instanceof Error
    ? err.message
    : String(err);
  return new CredentialsError(attempted, problem, { cause: err });
}

/** A field that must be an object when present. */
export function objectField(
  config: JsonObject,
  field: string,
  what: string,
  path: string,
): JsonObject | undefined {
  const value = config[field];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) {
    throw new CredentialsError(
      `read ${what} "${path}"`,
      `"${field}" is not a JSON object`,
    );
  }
  return value;
}

/** A field that must be an object of strings when present (`credHelpers`). */
export function stringMapField(
  config: JsonObject,
  field: string,
  what: string,
  path: string,
): Record<string, string> | undefined {
  const value = objectField(config, field, what, path);
  if (value === undefined) return undefined;
  for (const [key, helper] of Object.entries(value)) {
    if (typeof helper !== "string") {
      throw new CredentialsError(
        `read ${what} "${path}"`,
        `"${field}" entry "${key}" is not a string`,
      );
    }
  }
  return value as Record<string, string>;
}

/** A field that must be a string when present (`credsStore`). */
export function stringField(
  config: JsonObject,
  field: string,
  what: string,
  path: string,
): string | undefined {
  const value = config[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") {
    throw new CredentialsError(
      `read ${what} "${path}"`,
      `"${field}" is not a string`,
    );
  }
  return value;
}

/** Base64 of the UTF-8 bytes of `user:password`, as docker writes `auth`. */
export function encodeAuth(username: string, password: string): string {
  return encodeBase64(`${username}:${password}`);
}

function optionalString(
  entry: JsonObject,
  field: string,
  attempted: string,
): string | undefined {
  const value = entry[field];
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") {
    throw new CredentialsError(attempted, `"${field}" is not a string`);
  }
  return value;
}

/**
 * Decodes one `auths` entry: `auth` (base64 of `user:password`, split at the
 * first `:`) or `username`/`password`, plus `identitytoken` and
 * `registrytoken`. An empty entry (docker's placeholder when a helper holds
 * the secret) gives `undefined`.
 */
export function decodeAuthEntry(
  entry: unknown,
  key: string,
  what: string,
  path: string,
): Credentials | undefined {
  const attempted = `read the credentials for "${key}" in ${what} "${path}"`;
  if (!isObject(entry)) {
    throw new CredentialsError(attempted, "the entry is not a JSON object");
  }
  const credentials: Credentials = {};
  const auth = optionalString(entry, "auth", attempted);
  if (auth !== undefined) {
    let bytes: Uint8Array;
    try {
      // Line breaks and spaces are skipped, as atob and docker (\r, \n) do:
      // `base64` wraps long values.
      bytes = decodeBase64(auth.replace(/[\t\n\f\r ]/g, ""));
    } catch {
      throw new CredentialsError(attempted, '"auth" is not valid base64');
    }
    const decoded = new TextDecoder().decode(bytes);
    const colon = decoded.indexOf(":");
    if (colon === -1) {
      throw new CredentialsError(
        attempted,
        '"auth" does not decode to "user:password" (no ":")',
      );
    }
    if (colon === 0) {
      throw new CredentialsError(
        attempted,
        '"auth" decodes to an empty user name',
      );
    }
    credentials.username = decoded.slice(0, colon);
    // docker trims NUL padding some tools left behind.
    credentials.password = decoded.slice(colon + 1).replace(/^\0+|\0+$/g, "");
  } else {
    const username = optionalString(entry, "username", attempted);
    const password = optionalString(entry, "password", attempted);
    if (username !== undefined) credentials.username = username;
    if (password !== undefined) credentials.password = password;
  }
  const identityToken = optionalString(entry, "identitytoken", attempted);
  if (identityToken !== undefined) credentials.identityToken = identityToken;
  const registryToken = optionalString(entry, "registrytoken", attempted);
  if (registryToken !== undefined) credentials.registryToken = registryToken;
  return Object.keys(credentials).length === 0 ? undefined : credentials;
}

/**
 * The helper docker's config assigns a registry: `credHelpers[registry]`,
 * else `credsStore`; none means `auths`. An empty `credHelpers` entry
 * selects `auths` even when `credsStore` is set, as in docker.
 */
export function helperFor(
  credHelpers: Record<string, string> | undefined,
  credsStore: string | undefined,
  registry: string,
): string | undefined {
  if (credHelpers !== undefined) {
    const key = findRegistryKey(credHelpers, registry);
    if (key !== undefined) return credHelpers[key] || undefined;
  }
  return credsStore || undefined;
}

/**
 * Checks a helper name read from a credentials file: a file must not make us
 * run a program other than `docker-credential-<name>`.
 */
export function checkHelperName(
  helper: string,
  what: string,
  path: string,
): void {
  if (!isValidHelperName(helper)) {
    throw new CredentialsError(
      `read ${what} "${path}"`,
      `the credential helper name ${
        JSON.stringify(helper)
      } is not a plain program-name suffix`,
    );
  }
}

/**
 * The checked helper docker's config names for a registry (see
 * {@linkcode helperFor}), reading `credHelpers` and then `credsStore`.
 */
export function dockerConfigHelper(
  config: JsonObject,
  registry: string,
  what: string,
  path: string,
): string | undefined {
  const credHelpers = stringMapField(config, "credHelpers", what, path);
  const credsStore = stringField(config, "credsStore", what, path);
  const helper = helperFor(credHelpers, credsStore, registry);
  if (helper !== undefined) checkHelperName(helper, what, path);
  return helper;
}
