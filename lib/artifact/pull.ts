/**
 * Pulling an artifact into a directory: each layer with a title
 * (`org.opencontainers.image.title`) is written under that name, a packed
 * directory (`io.deis.oras.content.unpack: "true"`) is unpacked, and
 * nothing is ever written outside the directory.
 *
 * @example
 * ```ts
 * import { pullArtifact, RegistryStore } from "jsr:@scope/docker-registry-client";
 *
 * const result = await pullArtifact(new RegistryStore("http://127.0.0.1:5000/sbom:1"), "./out");
 * for (const f of result.files) console.log(f.path, f.kind);
 * ```
 *
 * @module
 */

import { lstat, mkdir, open, readdir, rename, rm } from "node:fs/promises";
import { cwd } from "node:process";
import { dirname } from "@std/path/posix/dirname";
import { isAbsolute } from "@std/path/posix/is-absolute";
import { join } from "@std/path/posix/join";
import { normalize } from "@std/path/posix/normalize";
import { StoreError, UnsafeArtifactError } from "../errors.ts";
import {
  type Descriptor,
  type ImageManifest,
  isImageManifest,
} from "../ref/media_types.ts";
import type { ReadOnlyImageStore, StoreCallOptions } from "../content/store.ts";
import { isVerified, verifyingStream } from "../content/verify.ts";
import { writeAll } from "../layout/_files.ts";
import { ownerTag, removeStale } from "../layout/_stale.ts";
import { ARTIFACT_ANNOTATION } from "./types.ts";
import { checkTitle, isWithin } from "./_paths.ts";
import { unpackLayer } from "./_unpack.ts";

/** Options of {@linkcode pullArtifact}. */
export interface PullArtifactOptions extends StoreCallOptions {
  /** The artifact's tag or digest; by default the store's reference. */
  reference?: string;
}

/** One file (or directory) written by {@linkcode pullArtifact}. */
export interface PulledFile {
  /** Its title in the artifact. */
  title: string;
  /** Where it was written. */
  path: string;
  /** A file, or a directory unpacked from a packed layer. */
  kind: "file" | "directory";
  /** The layer's descriptor. */
  layer: Descriptor;
}

/** What {@linkcode pullArtifact} did. */
export interface PullArtifactResult {
  /** The manifest's descriptor. */
  descriptor: Descriptor;
  /** The manifest. */
  manifest: ImageManifest;
  /** Its artifact type (else its config's media type). */
  artifactType: string;
  /** What was written, in the manifest's order. */
  files: PulledFile[];
  /** Layers without a title, not written. */
  skipped: number;
}

interface Planned {
  title: string;
  layer: Descriptor;
  unpack: boolean;
}

/**
 * The staging directory inside the target directory:
 * `.dreg-pull-<pid>-<start>-<random>`.
 */
const STAGE_PREFIX = ".dreg-pull-";

type Kind = "missing" | "directory" | "symlink" | "other";

async function kindOf(path: string): Promise<Kind> {
  try {
    const info = await lstat(path);
    return info.isSymbolicLink()
      ? "symlink"
      : info.isDirectory()
      ? "directory"
      : "other";
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ENOENT" || code === "ENOTDIR") return "missing";
    throw err;
  }
}

/** The titles of the layers, checked: safe, distinct, none inside another. */
function planLayers(
  manifest: ImageManifest,
  attempted: string,
  dir: string,
): { planned: Planned[]; skipped: number } {
  const planned: Planned[] = [];
  let skipped = 0;
  for (const layer of manifest.layers ?? []) {
    const raw = layer.annotations?.[ARTIFACT_ANNOTATION.TITLE];
    if (raw === undefined) {
      skipped++;
      continue;
    }
    const checked = checkTitle(raw);
    if (checked.problem !== undefined) {
      throw new UnsafeArtifactError(
        attempted,
        raw,
        `(a file title) ${checked.problem}`,
        dir,
      );
    }
    const title = checked.title;
    const clash = planned.find((p) =>
      isWithin(title, p.title) || isWithin(p.title, title)
    );
    if (clash) {
      throw new StoreError(
        attempted,
        `the titles ${JSON.stringify(clash.title)} and ${
          JSON.stringify(title)
        } overlap`,
        dir,
      );
    }
    planned.push({
      title,
      layer,
      unpack: layer.annotations?.[ARTIFACT_ANNOTATION.UNPACK] === "true",
    });
  }
  return { planned, skipped };
}

/**
 * Checks where `title` goes in `dir`: its parents must be directories (or
 * not exist yet), never symlinks; what is there already must be of the
 * kind written (a file replaces a file or a symlink, the link itself; a
 * directory merges into a directory).
 */
async function checkTarget(
  dir: string,
  title: string,
  directory: boolean,
  attempted: string,
): Promise<void> {
  const parts = title.split("/");
  for (let i = 1; i <= parts.length; i++) {
    const rel = parts.slice(0, i).join("/");
    const kind = await kindOf(join(dir, rel));
    if (kind === "missing") return;
    const last = i === parts.length;
    if (kind === "symlink" && !(last && !directory)) {
      throw new UnsafeArtifactError(
        attempted,
        title,
        `would be written through the symlink "${join(dir, rel)}"`,
        dir,
      );
    }
    if (!last && kind !== "directory") {
      throw new StoreError(
        attempted,
        `"${join(dir, rel)}" is in the way of "${title}" (not a directory)`,
        dir,
      );
    }
    if (last && directory !== (kind === "directory")) {
      throw new StoreError(
        attempted,
        `"${join(dir, rel)}" is in the way of "${title}" (${
          directory ? "not a directory" : "a directory"
        })`,
        dir,
      );
    }
  }
}

/** Makes the parents of `title` in `dir`, refusing symlinks on the way. */
async function makeParents(
  dir: string,
  title: string,
  attempted: string,
): Promise<void> {
  const parts = title.split("/").slice(0, -1);
  for (let i = 1; i <= parts.length; i++) {
    const path = join(dir, ...parts.slice(0, i));
    const kind = await kindOf(path);
    if (kind === "missing") await mkdir(path);
    else if (kind !== "directory") {
      throw new UnsafeArtifactError(
        attempted,
        title,
        `would be written through "${path}", which is not a directory`,
        dir,
      );
    }
  }
}

/**
 * Moves a staged tree into place: directories are merged (made when
 * missing), everything else is renamed over what is there (a symlink
 * there is replaced, never followed).
 */
async function moveInto(
  from: string,
  to: string,
  title: string,
  attempted: string,
  dir: string,
): Promise<void> {
  const isDir = (await lstat(from)).isDirectory();
  const kind = await kindOf(to);
  if (!isDir) {
    if (kind === "directory") {
      throw new StoreError(
        attempted,
        `"${to}" is a directory, in the way of a file of "${title}"`,
        dir,
      );
    }
    return await rename(from, to);
  }
  if (kind === "missing") return await rename(from, to);
  if (kind !== "directory") {
    throw new UnsafeArtifactError(
      attempted,
      title,
      `would be merged into "${to}", which is not a directory`,
      dir,
    );
  }
  for (const name of await readdir(from)) {
    await moveInto(join(from, name), join(to, name), title, attempted, dir);
  }
}

/**
 * Pulls an artifact into a directory. Every layer with a title is written
 * at `dir/<title>`; layers marked `io.deis.oras.content.unpack: "true"`
 * (packed directories, as oras pushes them) are unpacked there; layers
 * without a title (the config, oras's empty placeholder) are skipped.
 *
 * Nothing is written outside `dir`: a title that is absolute, empty or has
 * a `..` segment, a path through a symlink already in `dir`, a packed
 * entry outside its title, a symlink pointing outside it: all refused with
 * {@linkcode UnsafeArtifactError}, before anything is moved into `dir`.
 *
 * Every layer is downloaded, verified (digest and size, and the tar's
 * digest for packed directories) and unpacked first into a hidden staging
 * directory inside `dir` (so on the same file system), then moved into
 * place by renames once all of it is verified; the staging directory is
 * removed, on failure too, and one a pull that was killed left
 * (`.dreg-pull-<pid>-<start>-…`, its process gone) is removed by the next
 * pull into `dir`. The unit of atomicity is one file: a failure
 * before the moves leaves `dir` as it was (a `dir` made by the pull is
 * removed again), and each file appears whole or not at all. Existing
 * files of the same names are replaced; directories are merged.
 *
 * @param store Where the artifact is (any store).
 * @param dir The directory to write into (made when missing).
 * @param options The artifact's tag or digest, cancellation.
 * @returns What was written.
 * @throws {UnsafeArtifactError} When the artifact would write outside `dir`.
 * @throws {StoreError} When the manifest is not an image manifest, titles
 * overlap, or something in `dir` is in the way.
 * @throws {DigestMismatchError} When content does not match its digest.
 *
 * @example From an OCI layout
 * ```ts
 * import { OciLayout, pullArtifact } from "jsr:@scope/docker-registry-client";
 *
 * const layout = await OciLayout.open("./art-oci");
 * await pullArtifact(layout, "./out", { reference: "v1" });
 * ```
 */
export async function pullArtifact(
  store: ReadOnlyImageStore,
  dir: string,
  options: PullArtifactOptions = {},
): Promise<PullArtifactResult> {
  const { signal } = options;
  signal?.throwIfAborted();
  if (typeof dir !== "string" || dir === "") {
    throw new TypeError("pullArtifact needs a directory");
  }
  const root = normalize(isAbsolute(dir) ? dir : join(cwd(), dir));
  const ref = options.reference;
  const attempted = `pull artifact "${store.name}${
    ref === undefined ? "" : ref.includes(":") ? `@${ref}` : `:${ref}`
  }" into "${dir}"`;
  const data = await store.fetchManifest(options.reference, { signal });
  if (!isImageManifest(data.manifest)) {
    throw new StoreError(
      attempted,
      `it is not an artifact (an image manifest) but ${data.descriptor.mediaType}`,
      dir,
    );
  }
  const manifest = data.manifest;
  const { planned, skipped } = planLayers(manifest, attempted, dir);
  for (const p of planned) {
    await checkTarget(root, p.title, p.unpack, attempted);
  }

  const made = await mkdir(root, { recursive: true });
  // Staging directories of pulls that were killed go first; this one's
  // name tells a later run whether its writer is still running.
  await removeStale(
    root,
    (name) =>
      name.startsWith(STAGE_PREFIX) ? name.slice(STAGE_PREFIX.length) : null,
  );
  const stage = join(root, `${STAGE_PREFIX}${ownerTag()}`);
  await mkdir(stage);
  let moved = false;
  try {
    for (const p of planned) {
      signal?.throwIfAborted();
      const target = join(stage, p.title);
      await mkdir(dirname(target), { recursive: true });
      const fetched = await store.fetch(p.layer, { signal });
      // Stores hand out verified streams; one that does not is checked here.
      const stream = isVerified(fetched, p.layer.digest)
        ? fetched
        : verifyingStream(fetched, {
          digest: p.layer.digest,
          size: p.layer.size,
          attempted: `${attempted}: read "${p.title}"`,
        });
      if (p.unpack) {
        await unpackLayer(stream, stage, p.title, {
          attempted,
          dir,
          mediaType: p.layer.mediaType,
          tarDigest: p.layer.annotations?.[ARTIFACT_ANNOTATION.CONTENT_DIGEST],
          signal,
        });
        await mkdir(target, { recursive: true });
      } else {
        const file = await open(target, "wx", 0o644);
        try {
          for await (const chunk of stream) await writeAll(file, chunk);
        } finally {
          await file.close();
        }
      }
    }
    // Everything is verified: check again what is in the way, then move.
    for (const p of planned) {
      await checkTarget(root, p.title, p.unpack, attempted);
    }
    moved = true;
    for (const p of planned) {
      await makeParents(root, p.title, attempted);
      await moveInto(
        join(stage, p.title),
        join(root, p.title),
        p.title,
        attempted,
        dir,
      );
    }
  } catch (err) {
    await rm(stage, { recursive: true, force: true }).catch(() => {});
    if (!moved && made !== undefined) {
      await rm(made, { recursive: true, force: true }).catch(() => {});
    }
    throw err;
  }
  await rm(stage, { recursive: true, force: true });
  const config = manifest.config as Descriptor | undefined;
  return {
    descriptor: data.descriptor,
    manifest,
    artifactType: manifest.artifactType ?? config?.mediaType ?? "",
    files: planned.map((p) => ({
      title: p.title,
      path: join(dir, p.title),
      kind: p.unpack ? "directory" : "file",
      layer: p.layer,
    })),
    skipped,
  };
}
