// Private: the tar entries of files on disk, reproducibly. A directory is
// walked whole first (names and metadata only, never content), its entries
// sorted bytewise by path (so readdir's order does not matter); each entry
// gets a fixed mtime, uid and gid 0 and no owner names (unless owners are
// kept: then their ids, named from /etc/passwd and /etc/group), its
// permission bits (setuid, setgid and sticky included);
// symlinks stay links (never followed), the second and later paths of one
// inode become hard links to the first, FIFOs and devices are kept, and
// sockets (which tar cannot hold) are left out. Content is opened when the
// tar writer reaches the entry.

import {
  lstat,
  open,
  readdir,
  readFile,
  readlink,
  stat,
} from "node:fs/promises";
import type { Stats } from "node:fs";
import { StoreError } from "../errors.ts";
import { type TarHeader, TYPEFLAG } from "../tar/header.ts";
import type { TarContentSource, TarWriteEntry } from "../tar/writer.ts";

/** How entries are written. */
export interface TreeOptions {
  /** The mtime of every entry, in seconds. */
  mtime: number;
  /** Keep uid and gid from the files, and their names (else 0 and none). */
  keepOwners: boolean;
  /** A path inside the layer to put everything under (`app/`), or `""`. */
  prefix: string;
  /** Cancels the walk. */
  signal?: AbortSignal;
}

/** One file found. */
interface Node {
  /** Path relative to the walked root, `/`-separated. */
  path: string;
  /** Its UTF-8 bytes, for sorting. */
  key: Uint8Array;
  /** Absolute path on disk. */
  abs: string;
  stats: Stats;
}

const encoder = new TextEncoder();

/** Bytewise order of UTF-8 paths. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.byteLength, b.byteLength);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return a.byteLength - b.byteLength;
}

/** A file on disk as a content source, read from its start. */
export async function fileSource(path: string): Promise<TarContentSource> {
  const handle = await open(path, "r");
  return {
    async read(into) {
      const { bytesRead } = await handle.read(into, 0, into.byteLength, null);
      return bytesRead;
    },
    close: () => handle.close(),
  };
}

/** Linux's major and minor numbers of a device (glibc's encoding). */
function deviceNumbers(rdev: number): { devmajor: number; devminor: number } {
  const high = Math.floor(rdev / 2 ** 32);
  const low = rdev % 2 ** 32;
  return {
    devmajor: ((low >>> 8) & 0xfff) | ((high & 0xfffff000) >>> 0),
    devminor: (low & 0xff) | ((low >>> 12) & 0xfff00),
  };
}

/**
 * The names of ids, from a file of `name:x:id:…` lines (`/etc/passwd`,
 * `/etc/group`); empty when it cannot be read.
 */
async function idNames(path: string): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return names;
  }
  for (const line of text.split("\n")) {
    const [name, , id] = line.split(":");
    if (name && id && /^\d+$/.test(id) && !names.has(Number(id))) {
      names.set(Number(id), name);
    }
  }
  return names;
}

/** Walks a directory: every path under it (not itself), lstat'ed. */
async function walk(root: string, signal?: AbortSignal): Promise<Node[]> {
  const found: Node[] = [];
  const visit = async (dir: string, rel: string): Promise<void> => {
    signal?.throwIfAborted();
    const names = await readdir(dir);
    for (const name of names) {
      const abs = `${dir}/${name}`;
      const path = rel ? `${rel}/${name}` : name;
      const stats = await lstat(abs);
      found.push({ path, key: encoder.encode(path), abs, stats });
      if (stats.isDirectory()) await visit(abs, path);
    }
  };
  await visit(root, "");
  return found;
}

/** The prefix as directory names: `"./app//x/"` → `["app", "app/x"]`. */
function prefixDirs(prefix: string): string[] {
  const parts = prefix.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.some((p) => p === "..")) {
    throw new RangeError(`Invalid layer prefix "${prefix}": it has a ".."`);
  }
  return parts.map((_, i) => parts.slice(0, i + 1).join("/"));
}

/**
 * The tar entries of `path`: a directory's content (sorted), or a single
 * file (named after it), under `options.prefix`.
 *
 * @throws {StoreError} When `path` is neither a file nor a directory.
 */
export async function treeEntries(
  path: string,
  options: TreeOptions,
): Promise<TarWriteEntry[]> {
  const root = await stat(path);
  const base = path.replace(/\/+$/, "") || "/";
  let nodes: Node[];
  if (root.isDirectory()) {
    nodes = await walk(base, options.signal);
    nodes.sort((a, b) => compareBytes(a.key, b.key));
  } else if (root.isFile()) {
    const name = base.split("/").pop()!;
    nodes = [{ path: name, key: encoder.encode(name), abs: base, stats: root }];
  } else {
    throw new StoreError(
      `build a layer of "${path}"`,
      "it is neither a file nor a directory",
      path,
    );
  }
  const dirs = prefixDirs(options.prefix);
  const under = dirs.length ? `${dirs.at(-1)}/` : "";
  const fixed = { mtime: options.mtime, uid: 0, gid: 0, uname: "", gname: "" };
  const entries: TarWriteEntry[] = dirs.map((name) => ({
    header: {
      ...fixed,
      name: `${name}/`,
      typeflag: TYPEFLAG.DIRECTORY,
      mode: 0o755,
    },
  }));
  const firstOfInode = new Map<string, string>();
  const [users, groups] = options.keepOwners
    ? await Promise.all([idNames("/etc/passwd"), idNames("/etc/group")])
    : [new Map<number, string>(), new Map<number, string>()];
  for (const node of nodes) {
    options.signal?.throwIfAborted();
    const s = node.stats;
    const name = under + node.path;
    const header: TarHeader = {
      ...fixed,
      name,
      typeflag: TYPEFLAG.FILE,
      mode: s.mode & 0o7777,
    };
    if (options.keepOwners) {
      header.uid = s.uid;
      header.gid = s.gid;
      header.uname = users.get(s.uid) ?? "";
      header.gname = groups.get(s.gid) ?? "";
    }
    if (s.isDirectory()) {
      header.name = `${name}/`;
      header.typeflag = TYPEFLAG.DIRECTORY;
      entries.push({ header });
    } else if (s.isSymbolicLink()) {
      header.typeflag = TYPEFLAG.SYMLINK;
      header.linkname = await readlink(node.abs);
      entries.push({ header });
    } else if (s.isFile()) {
      const inode = `${s.dev}:${s.ino}`;
      const first = s.nlink > 1 ? firstOfInode.get(inode) : undefined;
      if (first !== undefined) {
        header.typeflag = TYPEFLAG.HARDLINK;
        header.linkname = first;
        entries.push({ header });
        continue;
      }
      if (s.nlink > 1) firstOfInode.set(inode, name);
      header.size = s.size;
      const abs = node.abs;
      entries.push({ header, open: () => fileSource(abs) });
    } else if (s.isFIFO()) {
      header.typeflag = TYPEFLAG.FIFO;
      entries.push({ header });
    } else if (s.isCharacterDevice() || s.isBlockDevice()) {
      header.typeflag = s.isCharacterDevice()
        ? TYPEFLAG.CHAR_DEVICE
        : TYPEFLAG.BLOCK_DEVICE;
      Object.assign(header, deviceNumbers(s.rdev));
      entries.push({ header });
    }
    // Sockets: tar has no type for them.
  }
  return entries;
}
