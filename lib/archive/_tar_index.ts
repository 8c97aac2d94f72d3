// Private: indexing a tar file in place. The headers are read one by one
// (the content between them is skipped, never read), so opening an archive
// of any size costs one small read per entry; content is later read by
// offset. Understands ustar (with its name prefix), PAX extended headers
// (`x`: path, linkpath, size; `g` is skipped), GNU long names (`L`, `K`) and
// GNU base-256 sizes, through the package's one tar header codec
// (`../tar/header.ts`). Every entry name is checked: an absolute name, a
// `..` segment or a NUL is refused, never followed.

import type { ReadHandle } from "../layout/_read_handle.ts";
import { StoreError, UnsafeTarEntryError } from "../errors.ts";
import {
  applyExtensions,
  decodeHeaderBlock,
  type HeaderBlock,
  isZeroBlock,
  parsePaxRecords,
  readText,
  TarHeaderError,
} from "../tar/header.ts";
import { checkEntryName, resolveLinkTarget } from "../tar/paths.ts";

/** What an entry is. */
export type TarEntryType =
  | "file"
  | "directory"
  | "symlink"
  | "hardlink"
  | "other";

/** One entry of a tar file: where its content is. */
export interface TarEntry {
  /** The name, normalised (no leading `./`, no trailing `/`). */
  name: string;
  /** What it is. */
  type: TarEntryType;
  /** Where its content starts in the file. */
  offset: number;
  /** The size of its content. */
  size: number;
  /** The target of a symlink or hardlink, as written. */
  linkname?: string;
}

const BLOCK = 512;
/** How much is read at once while scanning headers. */
const WINDOW = 64 * 1024;
/** The largest PAX header or GNU long name read. */
const MAX_META = 1024 * 1024;

/**
 * The normalised name of an entry, or `undefined` for the archive's root
 * (`./`).
 *
 * @throws {UnsafeTarEntryError} When the name is absolute, has a `..`
 * segment or a NUL, or is otherwise one that would leave the archive's root.
 */
export function safeEntryName(
  raw: string,
  attempted: string,
  store: string,
): string | undefined {
  const checked = checkEntryName(raw);
  if (checked.problem !== undefined) {
    throw new UnsafeTarEntryError(attempted, raw, checked.problem, store);
  }
  return checked.name === "." ? undefined : checked.name;
}

/**
 * Resolves a link's target against the link's own directory, inside the
 * archive: `undefined` when it would leave the archive's root.
 */
export function resolveInArchive(
  linkName: string,
  target: string,
  hard: boolean,
): string | undefined {
  return resolveLinkTarget(linkName, target, hard);
}

/** Reads a file at offsets through a window, for scanning headers. */
class WindowReader {
  #file: ReadHandle;
  #buffer = new Uint8Array(WINDOW);
  #start = 0;
  #length = 0;

  constructor(file: ReadHandle) {
    this.#file = file;
  }

  /** Exactly `length` bytes at `position` (a view valid until the next call). */
  async read(position: number, length: number): Promise<Uint8Array> {
    if (
      position >= this.#start &&
      position + length <= this.#start + this.#length
    ) {
      const at = position - this.#start;
      return this.#buffer.subarray(at, at + length);
    }
    const into = length > WINDOW ? new Uint8Array(length) : this.#buffer;
    let got = 0;
    while (got < into.byteLength) {
      const { bytesRead } = await this.#file.read(
        into,
        got,
        into.byteLength - got,
        position + got,
      );
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    if (into === this.#buffer) {
      this.#start = position;
      this.#length = got;
    } else {
      this.#length = 0;
    }
    if (got < length) return into.subarray(0, got);
    return into.subarray(0, length);
  }
}

/** PAX records, or `undefined` when they do not parse. */
function paxRecords(bytes: Uint8Array): Map<string, string> | undefined {
  try {
    return parsePaxRecords(bytes);
  } catch (err) {
    if (err instanceof TarHeaderError) return undefined;
    throw err;
  }
}

function typeOf(flag: string): TarEntryType {
  switch (flag) {
    case "0":
    case "\0":
    case "7":
      return "file";
    case "1":
      return "hardlink";
    case "2":
      return "symlink";
    case "5":
      return "directory";
    default:
      return "other";
  }
}

/**
 * Indexes a tar file: every entry's name, type, content offset and size,
 * by name (a later entry of the same name replaces an earlier one, as tar
 * does). Only headers are read.
 *
 * @param file The open tar file.
 * @param fileSize Its size.
 * @param attempted For messages: what was being done.
 * @param store For messages: the archive.
 * @throws {StoreError} When the file is not a tar (bad checksum, an entry
 * running past the end, a malformed PAX header) or an entry's name is
 * unsafe.
 */
export async function indexTar(
  file: ReadHandle,
  fileSize: number,
  attempted: string,
  store: string,
): Promise<Map<string, TarEntry>> {
  const malformed = (problem: string, at: number) =>
    new StoreError(
      attempted,
      `the archive is not a valid tar file: ${problem} (at byte ${at})`,
      store,
    );
  const reader = new WindowReader(file);
  const entries = new Map<string, TarEntry>();
  let position = 0;
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax: Map<string, string> | undefined;
  for (;;) {
    if (position + BLOCK > fileSize) {
      // A missing end-of-archive marker is tolerated (as GNU tar does);
      // trailing bytes that are not a whole header are not.
      if (position === fileSize) break;
      throw malformed("it ends in the middle of a header", position);
    }
    const block = await reader.read(position, BLOCK);
    if (isZeroBlock(block)) break;
    let decoded: HeaderBlock;
    try {
      decoded = decodeHeaderBlock(block);
    } catch (err) {
      if (err instanceof TarHeaderError) throw malformed(err.message, position);
      throw err;
    }
    const flag = decoded.typeflag;
    if (flag === "x" || flag === "g" || flag === "L" || flag === "K") {
      const size = decoded.size;
      const offset = position + BLOCK;
      if (offset + size > fileSize) {
        throw malformed("an entry runs past the end of the file", position);
      }
      if (size > MAX_META) {
        throw malformed(`a ${flag} header is over ${MAX_META} bytes`, position);
      }
      const bytes = (await reader.read(offset, size)).slice();
      if (flag === "x") {
        pax = paxRecords(bytes);
        if (!pax) throw malformed("a PAX header does not parse", position);
      } else if (flag === "L") {
        longName = readText(bytes);
      } else if (flag === "K") {
        longLink = readText(bytes);
      } else if (!paxRecords(bytes)) {
        throw malformed("a PAX global header does not parse", position);
      }
      position = offset + Math.ceil(size / BLOCK) * BLOCK;
      continue;
    }
    let header;
    try {
      header = applyExtensions(decoded, pax, {
        name: longName,
        linkname: longLink,
      });
    } catch (err) {
      if (err instanceof TarHeaderError) {
        throw malformed("a header's size does not parse", position);
      }
      throw err;
    }
    // Links, directories, devices and FIFOs carry no content, whatever the
    // header's size says (as Go's archive/tar reads them).
    const size = "123456".includes(flag) ? 0 : header.size ?? 0;
    const offset = position + BLOCK;
    const next = offset + Math.ceil(size / BLOCK) * BLOCK;
    if (offset + size > fileSize) {
      throw malformed("an entry runs past the end of the file", position);
    }
    const name = header.name;
    const linkname = header.linkname ?? "";
    pax = undefined;
    longName = undefined;
    longLink = undefined;
    const safe = safeEntryName(name, attempted, store);
    const type = typeOf(flag);
    if (safe !== undefined) {
      const entry: TarEntry = {
        name: safe,
        type,
        offset,
        size,
      };
      if (type === "symlink" || type === "hardlink") entry.linkname = linkname;
      entries.set(safe, entry);
    }
    position = next;
  }
  return entries;
}

/** Whether the first bytes are gzip's magic number. */
export function isGzip(head: Uint8Array): boolean {
  return head.byteLength >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}
