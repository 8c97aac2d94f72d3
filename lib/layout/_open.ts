// Private: opening a layout directory — is it a layout (and of a version we
// read), an empty or missing directory we may create one in, or something
// else — and creating one. Creating is safe with other processes creating
// the same layout at once: directories are made if missing, and
// `index.json` then `oci-layout` are each created whole only if absent
// (never replaced), so every creator succeeds and one layout results, whose
// entries no creator overwrites. `oci-layout` comes last: a directory that
// has it also has `index.json`.

import { mkdir, readdir } from "node:fs/promises";
import { join } from "@std/path/posix/join";
import { emptyIndex, MAX_JSON_BYTES } from "./_index.ts";
import { createExclusive, isMissing, TEMP_PREFIX } from "./_files.ts";
import { INDEX_LOCK } from "./_index_file.ts";
import {
  checkDirs,
  lstatNoFollow,
  readNoFollow,
  type UnsafePathFactory,
} from "./_paths.ts";
import { OciLayoutError } from "./options.ts";

/** The `imageLayoutVersion` written to `oci-layout`. */
export const OCI_IMAGE_LAYOUT_VERSION = "1.0.0";

/** The error for a path of the layout at `root` that may not be followed. */
export function unsafePath(root: string, attempted: string): UnsafePathFactory {
  return (path, problem) =>
    new OciLayoutError(attempted, `"${path}": ${problem}`, root, {
      code: "UNSAFE_PATH",
    });
}

/**
 * Whether a name may be found in a directory another process is making a
 * layout of (what {@linkcode initLayout} creates, and its temporary files).
 */
function isLayoutPart(name: string): boolean {
  return name === "blobs" || name === "index.json" || name === INDEX_LOCK ||
    name === `${INDEX_LOCK}.break` || name.startsWith(TEMP_PREFIX);
}

/**
 * What the directory holds: a layout (`ready`), a layout without
 * `index.json` that may be repaired (`missing-index`, only with `create`),
 * or nothing, or a layout another process is creating (`empty`, only with
 * `create`).
 *
 * @throws {OciLayoutError} When it is not a layout and may not become one,
 * or `oci-layout` or `index.json` is a symlink (code `UNSAFE_PATH`).
 */
export async function inspectLayoutDir(
  path: string,
  create: boolean | "on-write",
  retried = false,
): Promise<"ready" | "missing-index" | "empty"> {
  const attempted = `open OCI layout "${path}"`;
  const unsafe = unsafePath(path, attempted);
  let bytes: Uint8Array | undefined;
  try {
    bytes = await readNoFollow(
      join(path, "oci-layout"),
      unsafe,
      MAX_JSON_BYTES,
      () => new OciLayoutError(attempted, "oci-layout is too large", path),
    );
  } catch (err) {
    if (!isMissing(err)) throw err;
  }
  if (bytes === undefined) {
    if (!create) {
      throw new OciLayoutError(attempted, "no oci-layout file", path, {
        code: "NOT_FOUND",
      });
    }
    let entries: string[] = [];
    try {
      entries = await readdir(path);
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
    // Created by another process since it was looked for: look again.
    if (entries.includes("oci-layout") && !retried) {
      return await inspectLayoutDir(path, create, true);
    }
    const other = entries.find((name) => !isLayoutPart(name));
    if (other !== undefined) {
      throw new OciLayoutError(
        attempted,
        `the directory is not empty (holds "${other}") and is not an OCI layout`,
        path,
      );
    }
    return "empty";
  }
  let version: unknown;
  try {
    version = (JSON.parse(new TextDecoder().decode(bytes)) as {
      imageLayoutVersion?: unknown;
    })?.imageLayoutVersion;
  } catch (cause) {
    throw new OciLayoutError(attempted, "oci-layout is not JSON", path, {
      cause,
    });
  }
  if (typeof version !== "string" || !version.startsWith("1.")) {
    throw new OciLayoutError(
      attempted,
      `unsupported imageLayoutVersion ${JSON.stringify(version)}`,
      path,
    );
  }
  await checkDirs(path, ["blobs"], unsafe);
  const index = await lstatNoFollow(join(path, "index.json"), unsafe);
  if (index === undefined) {
    if (!create) {
      throw new OciLayoutError(attempted, "no index.json", path);
    }
    return "missing-index";
  }
  if (!index.isFile()) {
    throw unsafe(join(path, "index.json"), "it is not a regular file");
  }
  return "ready";
}

/**
 * Creates a layout, or completes one another process is creating:
 * `blobs/sha256/`, an empty `index.json` unless there is one, `oci-layout`
 * unless there is one.
 *
 * @throws {OciLayoutError} With code `UNSAFE_PATH` when `blobs` or
 * `blobs/sha256` is a symlink.
 */
export async function initLayout(path: string): Promise<void> {
  const unsafe = unsafePath(path, `create OCI layout "${path}"`);
  await mkdir(path, { recursive: true });
  // Checked before each mkdir: mkdir follows a link it is given.
  if (!(await checkDirs(path, ["blobs"], unsafe))) {
    await mkdir(join(path, "blobs"), { recursive: true });
  }
  if (!(await checkDirs(path, ["blobs", "sha256"], unsafe))) {
    await mkdir(join(path, "blobs", "sha256"), { recursive: true });
    await checkDirs(path, ["blobs", "sha256"], unsafe);
  }
  const enc = new TextEncoder();
  await createExclusive(
    path,
    "index.json",
    enc.encode(JSON.stringify(emptyIndex())),
  );
  await createExclusive(
    path,
    "oci-layout",
    enc.encode(
      JSON.stringify({ imageLayoutVersion: OCI_IMAGE_LAYOUT_VERSION }),
    ),
  );
}
