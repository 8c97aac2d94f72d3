/**
 * Opening a store from the names skopeo users know: a plain reference or
 * `docker://REF` (a registry repository), `oci:PATH[:TAG]` (an OCI image
 * layout), `oci-archive:PATH[:TAG]` (a tar of one) and
 * `docker-archive:PATH[:REF]` (`docker save` / `docker load`).
 *
 * @example Copy from a registry into a docker archive
 * ```ts
 * import { copy, openStore } from "jsr:@scope/docker-registry-client";
 *
 * const src = await openStore("docker://127.0.0.1:5000/app:1");
 * const dst = await openStore("docker-archive:app.tar:app:1", { write: true });
 * try {
 *   await copy(src, dst);
 * } finally {
 *   await dst.close();
 * }
 * ```
 *
 * @module
 */

import { isValidTag } from "../ref/reference.ts";
import type { ImageStore } from "./store.ts";
import type { RegistryStoreOptions } from "../registry/store.ts";

/** The transports {@linkcode openStore} understands. */
export const TRANSPORTS: readonly string[] = [
  "docker",
  "oci",
  "oci-archive",
  "docker-archive",
];

/** A store name split into its transport and the rest. */
export interface StoreName {
  /** `docker` (a registry), `oci`, `oci-archive` or `docker-archive`. */
  transport: "docker" | "oci" | "oci-archive" | "docker-archive";
  /** The reference (registry), or the path (the others). */
  path: string;
  /** The tag (`oci:`, `oci-archive:`) or reference (`docker-archive:`) after the path. */
  reference?: string;
}

/**
 * Splits `TRANSPORT:REST`. A name without a known transport is a registry
 * reference. For `oci:` and `oci-archive:`, what follows the last `:` is a
 * tag when it is a valid one; for `docker-archive:`, what follows the first
 * `:` after the path is a reference (`app:1`).
 *
 * @param name The name.
 * @returns Its parts.
 * @throws {TypeError} When the path is empty.
 *
 * @example
 * ```ts
 * import { parseStoreName } from "jsr:@scope/docker-registry-client";
 *
 * console.log(parseStoreName("oci:./app-oci:1")); // { transport: "oci", path: "./app-oci", reference: "1" }
 * ```
 */
export function parseStoreName(name: string): StoreName {
  const colon = name.indexOf(":");
  const transport = colon > 0 ? name.slice(0, colon) : "";
  let rest = name.slice(colon + 1);
  if (transport === "docker") {
    if (!rest.startsWith("//")) {
      throw new TypeError(`Invalid store name "${name}": use docker://REF`);
    }
    return { transport: "docker", path: rest.slice(2) };
  }
  if (transport === "oci" || transport === "oci-archive") {
    let reference: string | undefined;
    const last = rest.lastIndexOf(":");
    if (last > 0 && isValidTag(rest.slice(last + 1))) {
      reference = rest.slice(last + 1);
      rest = rest.slice(0, last);
    }
    if (rest === "") {
      throw new TypeError(`Invalid store name "${name}": no path`);
    }
    return { transport, path: rest, ...(reference ? { reference } : {}) };
  }
  if (transport === "docker-archive") {
    const at = rest.indexOf(":");
    const path = at < 0 ? rest : rest.slice(0, at);
    if (path === "") {
      throw new TypeError(`Invalid store name "${name}": no path`);
    }
    return at < 0
      ? { transport, path }
      : { transport, path, reference: rest.slice(at + 1) };
  }
  return { transport: "docker", path: name };
}

/** Options of {@linkcode openStore}. */
export interface OpenStoreOptions extends RegistryStoreOptions {
  /**
   * Open for writing: a registry asks for push access from its first token
   * request; a layout or an archive is created when missing (a layout at
   * its first write).
   * @default {false}
   */
  write?: boolean;
  /**
   * For a layout: hash a blob already there before relying on it (see
   * `OpenLayoutOptions.verifyExisting`).
   * @default {true}
   */
  verifyExisting?: boolean;
}

/**
 * Opens the store a name designates (see {@linkcode parseStoreName}). The
 * tag or reference in the name becomes the store's `reference`. Close
 * stores opened for writing: an archive is written at `close()`.
 *
 * @param name `REF`, `docker://REF`, `oci:PATH[:TAG]`, `oci-archive:PATH[:TAG]` or `docker-archive:PATH[:REF]`.
 * @param options Writing, and client options for a registry.
 * @returns The store.
 * @throws {InvalidReferenceError} When a registry reference does not parse.
 * @throws {StoreError} When a path is not a store of its kind.
 *
 * @example
 * ```ts
 * import { openStore } from "jsr:@scope/docker-registry-client";
 *
 * const store = await openStore("oci:./app-oci:1");
 * console.log(await store.resolve());
 * ```
 */
export async function openStore(
  name: string,
  options: OpenStoreOptions = {},
): Promise<ImageStore> {
  const { write = false, verifyExisting, ...rest } = options;
  const parsed = parseStoreName(name);
  const reference = parsed.reference;
  switch (parsed.transport) {
    case "docker": {
      const { RegistryStore } = await import("../registry/store.ts");
      return new RegistryStore(parsed.path, {
        ...rest,
        ...(write ? { access: "push" as const } : {}),
      });
    }
    case "oci": {
      const { OciLayout } = await import("../layout/oci_layout.ts");
      return await OciLayout.open(parsed.path, {
        ...(write ? { create: "on-write" as const } : {}),
        ...(verifyExisting !== undefined ? { verifyExisting } : {}),
        ...(reference !== undefined ? { reference } : {}),
      });
    }
    case "oci-archive": {
      const { OciArchive } = await import("../archive/oci_archive.ts");
      return await OciArchive.open(parsed.path, {
        create: write,
        ...(reference !== undefined ? { reference } : {}),
      });
    }
    case "docker-archive": {
      const { DockerArchive } = await import("../archive/docker_archive.ts");
      return await DockerArchive.open(parsed.path, {
        create: write,
        ...(reference !== undefined ? { reference } : {}),
      });
    }
  }
}
