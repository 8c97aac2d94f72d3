// Private: opening a layout directory — is it a layout (and of a version we
// read), an empty or missing directory we may create one in, or something
// else — and creating one.

import { mkdir, readdir, readFile, stat } from "node:fs/promises";
import { join } from "@std/path/posix/join";
import { emptyIndex } from "./_index.ts";
import { atomicWrite, isMissing } from "./_files.ts";
import { OciLayoutError } from "./options.ts";

/** The `imageLayoutVersion` written to `oci-layout`. */
export const OCI_IMAGE_LAYOUT_VERSION = "1.0.0";

/**
 * What the directory holds: a layout (`ready`), a layout without
 * `index.json` that may be repaired (`missing-index`, only with `create`),
 * or nothing (`empty`, only with `create`).
 *
 * @throws {OciLayoutError} When it is not a layout and may not become one.
 */
export async function inspectLayoutDir(
  path: string,
  create: boolean | "on-write",
): Promise<"ready" | "missing-index" | "empty"> {
  const attempted = `open OCI layout "${path}"`;
  let text: string | undefined;
  try {
    text = await readFile(join(path, "oci-layout"), "utf8");
  } catch (err) {
    if (!isMissing(err)) throw err;
  }
  if (text === undefined) {
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
    if (entries.length) {
      throw new OciLayoutError(
        attempted,
        `the directory is not empty (holds "${
          entries[0]
        }") and is not an OCI layout`,
        path,
      );
    }
    return "empty";
  }
  let version: unknown;
  try {
    version = (JSON.parse(text) as { imageLayoutVersion?: unknown })
      ?.imageLayoutVersion;
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
  try {
    await stat(join(path, "index.json"));
  } catch (err) {
    if (!isMissing(err) || !create) {
      throw new OciLayoutError(attempted, "no index.json", path, {
        cause: err,
      });
    }
    return "missing-index";
  }
  return "ready";
}

/** Creates a layout: `blobs/sha256/`, an empty `index.json`, `oci-layout`. */
export async function initLayout(path: string): Promise<void> {
  await mkdir(join(path, "blobs", "sha256"), { recursive: true });
  await atomicWrite(
    path,
    "index.json",
    new TextEncoder().encode(JSON.stringify(emptyIndex())),
  );
  await atomicWrite(
    path,
    "oci-layout",
    new TextEncoder().encode(
      JSON.stringify({ imageLayoutVersion: OCI_IMAGE_LAYOUT_VERSION }),
    ),
  );
}
