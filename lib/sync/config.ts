/**
 * Sync files: several sources and destinations in one YAML or JSON file,
 * as regsync's configuration describes them, read and checked by
 * {@linkcode parseSyncConfig} / {@linkcode loadSyncConfig} and run by
 * {@linkcode syncAll}.
 *
 * ```yaml
 * version: 1                    # optional
 * concurrency: 4                # images at once
 * blobConcurrency: 4            # blobs at once per image
 * rateLimit:                    # when a source's pull budget is spent
 *   action: pause               # or stop
 *   reserve: 10                 # pulls left unspent
 *   checkEvery: 5m              # 500ms, 30s, 5m, 1h, or milliseconds
 *   maxPause: 6h
 * defaults:                     # for every entry that does not say
 *   tags: { semver: ">=1.0" }
 *   platform: all
 *   deleteMissing: false
 * credentials:                  # secrets come from the environment only
 *   registry.example.com:
 *     username: mirror          # or usernameEnv: MIRROR_USER
 *     passwordEnv: MIRROR_PASSWORD
 *   ghcr.io:
 *     tokenEnv: GHCR_TOKEN      # a bearer token, used as it is
 * sync:
 *   - source: docker.io/library/alpine
 *     destination: registry.example.com/mirror/alpine
 *     tags: { regex: "3\\.\\d+", exclude: ".*-rc.*" }
 *     platform: linux/amd64
 *   - source: 127.0.0.1:5000    # a registry: its catalog, or:
 *     repositories: [team/app, team/db]
 *     destination: oci:/srv/mirror
 *     deleteMissing: true
 * ```
 *
 * Every key is checked: an unknown key, a value of the wrong type, a name
 * that does not parse, an expression that does not compile or a range that
 * is not one is reported with the file and the path in the document
 * (`Invalid sync file "mirror.yaml": sync[1].tags.semver: …`). A `password`
 * or `token` written in the file is refused: name an environment variable
 * (`passwordEnv`, `tokenEnv`). Without credentials for a registry, the
 * usual lookup applies (docker and podman config files, credential
 * helpers).
 *
 * @example
 * ```ts
 * import { parseSyncConfig, syncAll } from "jsr:@scope/docker-registry-client";
 *
 * const config = parseSyncConfig(`
 * sync:
 *   - source: http://127.0.0.1:5000/app
 *     destination: http://127.0.0.1:5001/mirror/app
 * `);
 * console.log((await syncAll(config.pairs, config.options)).ok);
 * ```
 *
 * @module
 */

import { readFile } from "node:fs/promises";
import process from "node:process";
import { parse as parseYaml } from "@std/yaml/parse";
import { ParseError } from "../errors.ts";
import { parsePlatform } from "../ref/platform.ts";
import { isValidRepoName, parseIndex } from "../ref/reference.ts";
import { parseDestination, parseSource } from "./_endpoints.ts";
import type { RegistryOptions } from "./_clients.ts";
import type { RateLimitPolicy } from "./_rate_gate.ts";
import { type TagFilter, tagMatcher } from "./filters.ts";
import type { SyncOptions, SyncPair } from "./sync.ts";

/**
 * A sync file, read and checked.
 *
 * @example
 * ```ts
 * import { loadSyncConfig, type SyncConfig } from "jsr:@scope/docker-registry-client";
 *
 * const config: SyncConfig = await loadSyncConfig("mirror.yaml");
 * console.log(config.pairs.map((p) => `${p.source} -> ${p.destination}`));
 * ```
 */
export interface SyncConfig {
  /** The file it came from (for messages), or `<inline>`. */
  file: string;
  /** What to sync where. */
  pairs: SyncPair[];
  /**
   * The run's options from the file: concurrency, rate limit, defaults
   * (`tags`, `platform`, `deleteMissing`) and credentials (`registries`).
   */
  options: SyncOptions;
}

/**
 * Options of {@linkcode parseSyncConfig}.
 *
 * @example
 * ```ts
 * import { parseSyncConfig } from "jsr:@scope/docker-registry-client";
 *
 * parseSyncConfig("sync: [{source: a.io/x, destination: b.io/x}]", {
 *   file: "inline.yaml",
 *   env: { MIRROR_PASSWORD: "secret" },
 * });
 * ```
 */
export interface ParseSyncConfigOptions {
  /** The file name, for messages. @default {"<inline>"} */
  file?: string;
  /** `json` or `yaml` (YAML also reads JSON). @default {"yaml"} */
  format?: "json" | "yaml";
  /** Where `usernameEnv`, `passwordEnv` and `tokenEnv` are looked up. @default {process.env} */
  env?: Record<string, string | undefined>;
}

type Json = unknown;

/** Reports problems with the path in the document. */
class Checker {
  constructor(readonly file: string) {}

  fail(path: string, problem: string): never {
    throw new ParseError("sync file", this.file, `${path}: ${problem}`);
  }

  object(value: Json, path: string): Record<string, Json> {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      this.fail(path, `expected a mapping, got ${kind(value)}`);
    }
    return value as Record<string, Json>;
  }

  keys(value: Record<string, Json>, path: string, allowed: string[]): void {
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) {
        this.fail(
          path,
          `unknown key "${key}" (expected ${
            allowed.map((k) => `"${k}"`).join(", ")
          })`,
        );
      }
    }
  }

  string(value: Json, path: string): string {
    if (typeof value !== "string" || value.trim() === "") {
      this.fail(path, `expected a non-empty string, got ${kind(value)}`);
    }
    return value;
  }

  boolean(value: Json, path: string): boolean {
    if (typeof value !== "boolean") {
      this.fail(path, `expected true or false, got ${kind(value)}`);
    }
    return value;
  }

  integer(value: Json, path: string, min: number, max: number): number {
    if (
      typeof value !== "number" || !Number.isInteger(value) || value < min ||
      value > max
    ) {
      this.fail(
        path,
        `expected an integer from ${min} to ${max}, got ${kind(value)}`,
      );
    }
    return value;
  }

  /** `500ms`, `30s`, `5m`, `1h`, or a number of milliseconds. */
  duration(value: Json, path: string): number {
    if (typeof value === "number" && Number.isFinite(value) && value >= 0) {
      return value;
    }
    const m = typeof value === "string"
      ? /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value.trim())
      : null;
    if (!m) {
      this.fail(
        path,
        `expected a duration such as 500ms, 30s, 5m or 1h, got ${kind(value)}`,
      );
    }
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2]]!;
    return Math.round(Number(m[1]) * unit);
  }
}

function kind(value: Json): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "object") return "a mapping";
  return String(value);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const TOP_KEYS = [
  "version",
  "concurrency",
  "blobConcurrency",
  "rateLimit",
  "defaults",
  "credentials",
  "sync",
];
const ENTRY_KEYS = [
  "source",
  "destination",
  "repositories",
  "tags",
  "platform",
  "deleteMissing",
];

function tagsOf(c: Checker, value: Json, path: string): TagFilter {
  const o = c.object(value, path);
  c.keys(o, path, ["regex", "semver", "exclude"]);
  const filter: TagFilter = {};
  for (const key of ["regex", "semver", "exclude"] as const) {
    if (o[key] !== undefined) filter[key] = c.string(o[key], `${path}.${key}`);
  }
  for (const key of ["regex", "semver", "exclude"] as const) {
    if (filter[key] === undefined) continue;
    try {
      tagMatcher({ [key]: filter[key] });
    } catch (err) {
      c.fail(`${path}.${key}`, message(err));
    }
  }
  return filter;
}

function platformOf(c: Checker, value: Json, path: string): string {
  const text = c.string(value, path);
  if (text !== "all") {
    try {
      parsePlatform(text);
    } catch (err) {
      c.fail(path, message(err));
    }
  }
  return text;
}

function entryOf(c: Checker, value: Json, path: string): SyncPair {
  const o = c.object(value, path);
  c.keys(o, path, ENTRY_KEYS);
  for (const key of ["source", "destination"]) {
    if (o[key] === undefined) c.fail(path, `"${key}" is missing`);
  }
  const pair: SyncPair = {
    source: c.string(o.source, `${path}.source`),
    destination: c.string(o.destination, `${path}.destination`),
  };
  let source;
  try {
    source = parseSource(pair.source);
  } catch (err) {
    c.fail(`${path}.source`, message(err));
  }
  try {
    parseDestination(pair.destination, source);
  } catch (err) {
    c.fail(`${path}.destination`, message(err));
  }
  if (o.repositories !== undefined) {
    if (source.kind !== "registry") {
      c.fail(
        `${path}.repositories`,
        "repositories are listed only when the source is a registry (HOST)",
      );
    }
    if (!Array.isArray(o.repositories) || o.repositories.length === 0) {
      c.fail(`${path}.repositories`, "expected a non-empty list of names");
    }
    pair.repositories = o.repositories.map((r, i) => {
      const name = c.string(r, `${path}.repositories[${i}]`);
      if (!isValidRepoName(name)) {
        c.fail(
          `${path}.repositories[${i}]`,
          `"${name}" is not a repository name`,
        );
      }
      return name;
    });
  }
  if (o.tags !== undefined) pair.tags = tagsOf(c, o.tags, `${path}.tags`);
  if (o.platform !== undefined) {
    pair.platform = platformOf(c, o.platform, `${path}.platform`);
  }
  if (o.deleteMissing !== undefined) {
    pair.deleteMissing = c.boolean(o.deleteMissing, `${path}.deleteMissing`);
  }
  return pair;
}

function rateLimitOf(c: Checker, value: Json, path: string): RateLimitPolicy {
  const o = c.object(value, path);
  c.keys(o, path, ["action", "reserve", "checkEvery", "maxPause"]);
  const policy: RateLimitPolicy = {};
  if (o.action !== undefined) {
    if (o.action !== "pause" && o.action !== "stop") {
      c.fail(
        `${path}.action`,
        `expected "pause" or "stop", got ${kind(o.action)}`,
      );
    }
    policy.action = o.action;
  }
  if (o.reserve !== undefined) {
    policy.reserve = c.integer(o.reserve, `${path}.reserve`, 0, 1_000_000);
  }
  if (o.checkEvery !== undefined) {
    policy.checkEveryMs = c.duration(o.checkEvery, `${path}.checkEvery`);
  }
  if (o.maxPause !== undefined) {
    policy.maxPauseMs = c.duration(o.maxPause, `${path}.maxPause`);
  }
  return policy;
}

function credentialsOf(
  c: Checker,
  value: Json,
  path: string,
  env: Record<string, string | undefined>,
): Record<string, RegistryOptions> {
  const o = c.object(value, path);
  const out: Record<string, RegistryOptions> = {};
  for (const [host, entry] of Object.entries(o)) {
    const at = `${path}[${JSON.stringify(host)}]`;
    let name: string;
    try {
      name = parseIndex(host).name;
    } catch (err) {
      c.fail(at, message(err));
    }
    const e = c.object(entry, at);
    for (const secret of ["password", "token"]) {
      if (e[secret] !== undefined) {
        c.fail(
          `${at}.${secret}`,
          `secrets are not written in a sync file: name an environment variable with ${secret}Env`,
        );
      }
    }
    c.keys(e, at, ["username", "usernameEnv", "passwordEnv", "tokenEnv"]);
    const read = (key: string): string => {
      const variable = c.string(e[key], `${at}.${key}`);
      const v = env[variable];
      if (v === undefined || v === "") {
        c.fail(
          `${at}.${key}`,
          `the environment variable ${variable} is not set`,
        );
      }
      return v;
    };
    if (e.username !== undefined && e.usernameEnv !== undefined) {
      c.fail(at, "give username or usernameEnv, not both");
    }
    const options: RegistryOptions = {};
    if (e.tokenEnv !== undefined) {
      if (e.passwordEnv !== undefined) {
        c.fail(at, "give passwordEnv or tokenEnv, not both");
      }
      options.token = read("tokenEnv");
    }
    const username = e.usernameEnv !== undefined
      ? read("usernameEnv")
      : e.username !== undefined
      ? c.string(e.username, `${at}.username`)
      : undefined;
    if (e.passwordEnv !== undefined) {
      if (username === undefined) {
        c.fail(at, "passwordEnv needs username or usernameEnv");
      }
      options.password = read("passwordEnv");
    }
    if (username !== undefined) {
      if (options.password === undefined) {
        c.fail(at, "username needs passwordEnv");
      }
      options.username = username;
    }
    out[name] = options;
  }
  return out;
}

/**
 * Reads a sync file's text (YAML, or JSON) and checks it.
 *
 * @param text The file's content.
 * @param options The file name (for messages), the format, and the
 * environment credentials are read from.
 * @returns The pairs and the run's options, for {@linkcode syncAll}.
 * @throws {ParseError} On anything wrong, with the file and the path in
 * the document: `Invalid sync file "mirror.yaml": sync[0].tags.semver: …`.
 *
 * @example
 * ```ts
 * import { parseSyncConfig } from "jsr:@scope/docker-registry-client";
 *
 * const { pairs, options } = parseSyncConfig(
 *   '{"concurrency": 2, "sync": [{"source": "127.0.0.1:5000", "destination": "oci:./mirror"}]}',
 *   { format: "json" },
 * );
 * console.log(pairs.length, options.concurrency); // 1 2
 * ```
 */
export function parseSyncConfig(
  text: string,
  options: ParseSyncConfigOptions = {},
): SyncConfig {
  const file = options.file ?? "<inline>";
  const c: Checker = new Checker(file);
  let doc: Json;
  try {
    doc = options.format === "json" ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    c.fail("(document)", message(err).replace(/\s*\n[\s\S]*$/, ""));
  }
  const top = c.object(doc, "(document)");
  c.keys(top, "(document)", TOP_KEYS);
  if (top.version !== undefined && top.version !== 1) {
    c.fail("version", `only version 1 is known, got ${kind(top.version)}`);
  }
  const entries = top.sync;
  if (!Array.isArray(entries) || entries.length === 0) {
    c.fail("sync", "expected a non-empty list of {source, destination}");
  }
  const run: SyncOptions = {};
  if (top.concurrency !== undefined) {
    run.concurrency = c.integer(top.concurrency, "concurrency", 1, 64);
  }
  if (top.blobConcurrency !== undefined) {
    run.blobConcurrency = c.integer(
      top.blobConcurrency,
      "blobConcurrency",
      1,
      64,
    );
  }
  if (top.rateLimit !== undefined) {
    run.rateLimit = rateLimitOf(c, top.rateLimit, "rateLimit");
  }
  if (top.defaults !== undefined) {
    const d = c.object(top.defaults, "defaults");
    c.keys(d, "defaults", ["tags", "platform", "deleteMissing"]);
    if (d.tags !== undefined) run.tags = tagsOf(c, d.tags, "defaults.tags");
    if (d.platform !== undefined) {
      run.platform = platformOf(c, d.platform, "defaults.platform");
    }
    if (d.deleteMissing !== undefined) {
      run.deleteMissing = c.boolean(d.deleteMissing, "defaults.deleteMissing");
    }
  }
  if (top.credentials !== undefined) {
    run.registries = credentialsOf(
      c,
      top.credentials,
      "credentials",
      options.env ?? process.env,
    );
  }
  const pairs = entries.map((e, i) => entryOf(c, e, `sync[${i}]`));
  return { file, pairs, options: run };
}

/**
 * Reads a sync file (`.json` as JSON, anything else as YAML) and checks it.
 *
 * @param path The file.
 * @param options The environment credentials are read from.
 * @returns The pairs and the run's options, for {@linkcode syncAll}.
 * @throws {ParseError} On anything wrong in it (see {@linkcode parseSyncConfig}).
 * @throws {Error} When the file cannot be read.
 *
 * @example
 * ```ts
 * import { loadSyncConfig, syncAll } from "jsr:@scope/docker-registry-client";
 *
 * const config = await loadSyncConfig("mirror.yaml");
 * const summary = await syncAll(config.pairs, { ...config.options, dryRun: true });
 * console.log(summary.planned);
 * ```
 */
export async function loadSyncConfig(
  path: string,
  options: Pick<ParseSyncConfigOptions, "env"> = {},
): Promise<SyncConfig> {
  const text = await readFile(path, "utf8");
  return parseSyncConfig(text, {
    ...options,
    file: path,
    format: /\.json$/i.test(path) ? "json" : "yaml",
  });
}
