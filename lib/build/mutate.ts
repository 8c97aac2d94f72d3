/**
 * Changing an image's metadata without touching its layers:
 * {@linkcode mutate} sets or removes labels, annotations, environment
 * variables, the entrypoint and command, working directory, user, exposed
 * ports, volumes, stop signal, creation time and platform. The result is a
 * new config and manifest; every layer stays where it is (and is copied only
 * when the destination is another store that lacks it).
 *
 * @example Label an image in place
 * ```ts
 * import { mutate, RegistryStore } from "jsr:@scope/docker-registry-client";
 *
 * const store = new RegistryStore("http://127.0.0.1:5000/app:1", { access: "push" });
 * const result = await mutate(store, store, {
 *   labels: { "org.opencontainers.image.version": "1.0.0", "stale": null },
 *   env: { MODE: "production" },
 *   tag: "1-labelled",
 * });
 * console.log(result.descriptor.digest);
 * ```
 *
 * @module
 */

import type { ImageStore, ReadOnlyImageStore } from "../content/store.ts";
import type { PlatformSpec } from "../ref/platform.ts";
import { type ImageDraft, platformOf, rewrite, timestamp } from "./_image.ts";
import type {
  BuildOptions,
  BuildResult,
  ContainerConfig,
  EmptyObject,
  ImageConfig,
} from "./types.ts";

/**
 * What {@linkcode mutate} changes. In the maps, `null` removes a key; a
 * field left out is not touched; `null` for a single value removes it.
 */
export interface ImageChanges {
  /** Labels (`config.Labels`) to set, or remove with `null`. */
  labels?: Record<string, string | null>;
  /**
   * Annotations of each image manifest written, to set or remove with
   * `null`.
   */
  annotations?: Record<string, string | null>;
  /**
   * Annotations of the index itself (when the source is an index and every
   * platform is changed), to set or remove with `null`.
   */
  indexAnnotations?: Record<string, string | null>;
  /**
   * Environment variables to set (`KEY: value`) or remove (`KEY: null`).
   * A variable set again keeps its place; new ones go at the end.
   */
  env?: Record<string, string | null>;
  /** The entrypoint (an argument list); `null` removes it. */
  entrypoint?: string[] | null;
  /** The command / default arguments; `null` removes it. */
  cmd?: string[] | null;
  /** The working directory; `null` removes it. */
  workingDir?: string | null;
  /** The user; `null` removes it. */
  user?: string | null;
  /**
   * Ports to expose (`true`) or stop exposing (`false`): `8080/tcp`,
   * `53/udp`; a bare number is TCP.
   */
  exposedPorts?: Record<string, boolean>;
  /** Volumes to declare (`true`) or drop (`false`): `/data`. */
  volumes?: Record<string, boolean>;
  /** The stop signal (`SIGTERM`); `null` removes it. */
  stopSignal?: string | null;
  /**
   * The creation time: a date, seconds since 1970, or RFC 3339 text;
   * `null` removes it.
   */
  created?: Date | string | number | null;
  /**
   * The platform the config declares (`os/arch[/variant]`). Only for one
   * image: from an index, choose a platform with `platform`.
   */
  setPlatform?: string | PlatformSpec;
}

/** Options of {@linkcode mutate}: which image, where it goes, what changes. */
export interface MutateOptions extends BuildOptions, ImageChanges {}

/** A port as the config keys it: `8080/tcp`. */
function portKey(port: string): string {
  const m = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/i.exec(port.trim());
  if (!m || Number(m[1]) > 65535) {
    throw new TypeError(
      `Invalid port "${port.slice(0, 40)}": expected PORT[/tcp|udp|sctp]`,
    );
  }
  return `${Number(m[1])}/${(m[2] ?? "tcp").toLowerCase()}`;
}

function checkArgs(what: string, value: unknown): void {
  if (
    value !== null &&
    (!Array.isArray(value) || value.some((a) => typeof a !== "string"))
  ) {
    throw new TypeError(`Invalid ${what}: expected a list of strings or null`);
  }
}

function applyMap(
  current: Record<string, string> | undefined,
  changes: Record<string, string | null>,
): Record<string, string> | undefined {
  const next = { ...(current ?? {}) };
  for (const [k, v] of Object.entries(changes)) {
    if (v === null) delete next[k];
    else next[k] = String(v);
  }
  return Object.keys(next).length > 0 || current !== undefined
    ? next
    : undefined;
}

function applySet(
  current: Record<string, EmptyObject> | undefined,
  changes: Record<string, boolean>,
  key: (k: string) => string,
): Record<string, EmptyObject> | undefined {
  const next = { ...(current ?? {}) };
  for (const [k, on] of Object.entries(changes)) {
    if (on) next[key(k)] = {};
    else delete next[key(k)];
  }
  return Object.keys(next).length > 0 ? next : undefined;
}

function applyEnv(
  current: string[] | undefined,
  changes: Record<string, string | null>,
): string[] {
  const next = [...(current ?? [])];
  for (const [k, v] of Object.entries(changes)) {
    if (k === "" || k.includes("=")) {
      throw new TypeError(`Invalid environment variable name "${k}"`);
    }
    const at = next.findIndex((e) => e === k || e.startsWith(`${k}=`));
    if (v === null) {
      if (at >= 0) next.splice(at, 1);
    } else if (at >= 0) next[at] = `${k}=${v}`;
    else next.push(`${k}=${v}`);
  }
  return next;
}

/** Sets or removes one field of the container config. */
function setField<K extends keyof ContainerConfig>(
  c: ContainerConfig,
  field: K,
  value: ContainerConfig[K] | null | undefined,
): void {
  if (value === undefined) return;
  if (value === null) delete c[field];
  else c[field] = value;
}

/**
 * Applies the changes to one image's config and manifest (in place).
 *
 * @param draft The image being changed.
 * @param changes What to change.
 */
function applyChanges(draft: ImageDraft, changes: ImageChanges): void {
  const config: ImageConfig = draft.config;
  const c: ContainerConfig = { ...(config.config ?? {}) };
  if (changes.labels) {
    const labels = applyMap(c.Labels ?? undefined, changes.labels);
    if (labels && Object.keys(labels).length > 0) c.Labels = labels;
    else delete c.Labels;
  }
  if (changes.env) c.Env = applyEnv(c.Env ?? undefined, changes.env);
  if (changes.entrypoint !== undefined) {
    checkArgs("entrypoint", changes.entrypoint);
    setField(c, "Entrypoint", changes.entrypoint);
  }
  if (changes.cmd !== undefined) {
    checkArgs("cmd", changes.cmd);
    setField(c, "Cmd", changes.cmd);
  }
  setField(c, "WorkingDir", changes.workingDir);
  setField(c, "User", changes.user);
  setField(c, "StopSignal", changes.stopSignal);
  if (changes.exposedPorts) {
    const ports = applySet(
      c.ExposedPorts ?? undefined,
      changes.exposedPorts,
      portKey,
    );
    if (ports) c.ExposedPorts = ports;
    else delete c.ExposedPorts;
  }
  if (changes.volumes) {
    const volumes = applySet(c.Volumes ?? undefined, changes.volumes, (v) => {
      if (v === "") throw new TypeError("Invalid volume: empty path");
      return v;
    });
    if (volumes) c.Volumes = volumes;
    else delete c.Volumes;
  }
  if (config.config !== undefined || Object.keys(c).length > 0) {
    config.config = c;
  }
  if (changes.created === null) delete config.created;
  else if (changes.created !== undefined) {
    config.created = timestamp(changes.created);
  }
  if (changes.setPlatform !== undefined) {
    const p = platformOf(changes.setPlatform);
    config.os = p.os;
    config.architecture = p.architecture;
    if (p.variant) config.variant = p.variant;
    else delete config.variant;
  }
  if (changes.annotations) {
    const a = applyMap(draft.manifest.annotations, changes.annotations);
    if (a && Object.keys(a).length > 0) draft.manifest.annotations = a;
    else delete draft.manifest.annotations;
  }
}

/**
 * Changes an image's config (labels, env, entrypoint, cmd, working
 * directory, user, ports, volumes, stop signal, creation time, platform)
 * and manifest annotations, and writes the result at the destination. No
 * layer is uploaded again: a destination that has them (the same store, or
 * the same repository) gets only the new config and manifest; another store
 * gets the layers it lacks, streamed from the source.
 *
 * From an index, every platform's image is changed and a new index written
 * (its own annotations set with `indexAnnotations`), unless `platform`
 * chooses one image.
 *
 * @param source Where the image is.
 * @param target Where the result goes (may be the same store).
 * @param options Which image, the tag written, and the changes.
 * @returns The manifest written and each image manifest changed.
 * @throws {TypeError} On a malformed change (a port, an env name, a time),
 * or `setPlatform` for every image of an index.
 * @throws {NotFoundError} (registry) or {StoreError} (others) when the image is not there.
 *
 * @example Set the entrypoint and expose a port, into another repository
 * ```ts
 * import { mutate, RegistryStore } from "jsr:@scope/docker-registry-client";
 *
 * await mutate(
 *   new RegistryStore("http://127.0.0.1:5000/app:1"),
 *   new RegistryStore("http://127.0.0.1:5000/app-server:1", { access: "push" }),
 *   { entrypoint: ["/app", "serve"], cmd: null, exposedPorts: { "8080/tcp": true } },
 * );
 * ```
 */
export async function mutate(
  source: ReadOnlyImageStore,
  target: ImageStore,
  options: MutateOptions = {},
): Promise<BuildResult> {
  const { indexAnnotations } = options;
  return await rewrite(
    source,
    target,
    {
      ...options,
      indexDefault: "all",
      verb: "mutate",
      check(kind) {
        if (kind === "index" && options.setPlatform !== undefined) {
          throw new TypeError(
            `Cannot set the platform of every image of the index "${source.name}": choose one image with the platform option`,
          );
        }
        if (
          kind === "image" && indexAnnotations &&
          Object.keys(indexAnnotations).length > 0
        ) {
          throw new TypeError(
            `Cannot annotate the index of "${source.name}": the image written is not an index`,
          );
        }
      },
    },
    (draft) => applyChanges(draft, options),
    indexAnnotations
      ? (index) => {
        const a = applyMap(index.annotations, indexAnnotations);
        if (a && Object.keys(a).length > 0) index.annotations = a;
        else delete index.annotations;
      }
      : undefined,
  );
}
