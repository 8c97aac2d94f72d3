// Private: what the source and destination names of a sync designate, and
// where each source repository goes.
//
// Sources: a registry (`HOST`, `http://HOST:PORT`: its catalog, or the
// repositories listed), a repository (`HOST/PATH`, `docker://…`, a Docker
// Hub name such as `alpine`; with `:TAG`, only that tag), or another store
// (`oci:DIR`, `oci-archive:FILE`, `docker-archive:FILE`).
//
// Destinations: for a registry source, a registry and an optional prefix
// (`HOST[/PREFIX]`: each repository keeps its path under it) or a directory
// of OCI layouts (`oci:DIR`: one layout per repository at `DIR/<path>`);
// for one repository, the repository it becomes (`HOST/PATH`; a bare
// `HOST` keeps the source's path) or a store (`oci:DIR`, an archive).

import {
  isValidRepoName,
  parseIndex,
  parseRepoAndRef,
} from "../ref/reference.ts";
import type { RegistryIndex } from "../ref/reference.ts";
import { parseStoreName } from "../content/transports.ts";

/** A parsed source. */
export type SourceSpec =
  | { kind: "registry"; index: RegistryIndex }
  | {
    kind: "repository";
    index: RegistryIndex;
    name: string;
    tag?: string;
  }
  | { kind: "store"; name: string; tag?: string };

/** A parsed destination. */
export type DestinationSpec =
  | { kind: "registry"; index: RegistryIndex; prefix: string }
  | { kind: "layouts"; dir: string }
  | { kind: "repository"; index: RegistryIndex; name: string }
  | { kind: "store"; name: string };

/** Where one source repository goes. */
export type Target =
  | { kind: "repository"; index: RegistryIndex; name: string }
  | { kind: "layout"; dir: string }
  | { kind: "store"; name: string };

/** `HOST`, `HOST:PORT`, `[::1]:5000`, `localhost`, with an optional scheme and `/`. */
function registryOnly(text: string): boolean {
  const bare = text.replace(/^[a-z]+:\/\//i, "").replace(/\/+$/, "");
  if (bare === "" || bare.includes("/")) return false;
  return bare.includes(".") || bare.includes(":") || bare === "localhost" ||
    bare.startsWith("[");
}

/** Splits `[scheme://]HOST[/PATH]` into the index and the path. */
function splitHost(text: string): { index: RegistryIndex; path: string } {
  const schemeEnd = text.indexOf("://");
  const start = schemeEnd < 0 ? 0 : schemeEnd + 3;
  const slash = text.indexOf("/", start);
  const host = slash < 0 ? text : text.slice(0, slash);
  const path = slash < 0 ? "" : text.slice(slash + 1).replace(/\/+$/, "");
  return { index: parseIndex(host), path };
}

/**
 * Parses a source name.
 *
 * @throws {TypeError} On a digest (a sync copies tags), or a malformed name.
 * @throws {InvalidReferenceError} When a reference does not parse.
 */
export function parseSource(text: string): SourceSpec {
  if (typeof text !== "string" || text.trim() === "") {
    throw new TypeError("Invalid sync source: it is empty");
  }
  const store = parseStoreName(text);
  if (store.transport !== "docker") {
    return {
      kind: "store",
      name: text,
      ...(store.reference !== undefined ? { tag: store.reference } : {}),
    };
  }
  const rest = store.path;
  if (registryOnly(rest)) {
    return { kind: "registry", index: splitHost(rest).index };
  }
  const ref = parseRepoAndRef(rest);
  if (ref.digest !== undefined) {
    throw new TypeError(
      `Invalid sync source "${text}": a sync copies tags, not a digest (use copy for one image)`,
    );
  }
  const explicitTag = ref.tag !== undefined && rest.endsWith(`:${ref.tag}`);
  return {
    kind: "repository",
    index: ref.index,
    name: ref.remoteName,
    ...(explicitTag ? { tag: ref.tag } : {}),
  };
}

/**
 * Parses a destination name for a source.
 *
 * @throws {TypeError} When the destination cannot receive that source.
 * @throws {InvalidReferenceError} When a reference does not parse.
 */
export function parseDestination(
  text: string,
  source: SourceSpec,
): DestinationSpec {
  if (typeof text !== "string" || text.trim() === "") {
    throw new TypeError("Invalid sync destination: it is empty");
  }
  const store = parseStoreName(text);
  if (source.kind === "registry") {
    if (store.transport === "oci") {
      if (store.reference !== undefined) {
        throw new TypeError(
          `Invalid sync destination "${text}": a directory of layouts takes no tag`,
        );
      }
      return { kind: "layouts", dir: store.path };
    }
    if (store.transport !== "docker") {
      throw new TypeError(
        `Invalid sync destination "${text}": a registry is synced to a registry (HOST[/PREFIX]) or to a directory of OCI layouts (oci:DIR)`,
      );
    }
    const { index, path } = splitHost(store.path);
    if (path !== "" && !isValidRepoName(`${path}/x`)) {
      throw new TypeError(
        `Invalid sync destination "${text}": "${path}" is not a valid repository prefix`,
      );
    }
    return { kind: "registry", index, prefix: path };
  }
  if (store.transport !== "docker") {
    if (store.reference !== undefined) {
      throw new TypeError(
        `Invalid sync destination "${text}": the destination's tags are the source's; drop ":${store.reference}"`,
      );
    }
    return { kind: "store", name: text };
  }
  if (registryOnly(store.path)) {
    if (source.kind !== "repository") {
      throw new TypeError(
        `Invalid sync destination "${text}": name the repository the source "${source.name}" goes to`,
      );
    }
    return {
      kind: "repository",
      index: splitHost(store.path).index,
      name: source.name,
    };
  }
  const ref = parseRepoAndRef(store.path);
  if (ref.digest !== undefined || store.path.endsWith(`:${ref.tag}`)) {
    throw new TypeError(
      `Invalid sync destination "${text}": the destination's tags are the source's; name the repository only`,
    );
  }
  return { kind: "repository", index: ref.index, name: ref.remoteName };
}

/**
 * Where a repository of a registry source goes (`name` is its path on the
 * source registry), or where the one repository of any other source goes.
 */
export function targetOf(
  destination: DestinationSpec,
  name: string | undefined,
): Target {
  switch (destination.kind) {
    case "registry":
      return {
        kind: "repository",
        index: destination.index,
        name: destination.prefix ? `${destination.prefix}/${name}` : name!,
      };
    case "layouts":
      return {
        kind: "layout",
        dir: `${destination.dir.replace(/\/+$/, "")}/${name}`,
      };
    case "repository":
      return destination;
    case "store":
      return destination;
  }
}
