// Private: indexing a tar file in place. The headers are read one by one
// (the content between them is skipped, never read), so opening an archive
// of any size costs one small read per entry; content is later read by
// offset. Understands ustar (with its name prefix), PAX extended headers
// (`x`: path, linkpath, size; `g` is skipped), GNU long names (`L`, `K`) and
// GNU base-256 sizes. Every entry name is checked: an absolute name, a `..`
// segment or a NUL is refused, never followed.

import type { FileHandle } from "node:fs/promises";
import { StoreError } from "../errors.ts";

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

const decoder = new TextDecoder("utf-8", { fatal: false });

/**
 * The normalised name of an entry, or `undefined` for the archive's root
 * (`./`).
 *
 * @throws {StoreError} When the name is absolute, has a `..` segment or a
 * NUL, or is otherwise one that would leave the archive's root.
 */
export function safeEntryName(
  raw: string,
  attempted: string,
  store: string,
): string | undefined {
  const refuse = (why: string) =>
    new StoreError(
      attempted,
      `the archive holds an entry named ${
        JSON.stringify(raw)
      }, which ${why}; refusing it`,
      store,
    );
  if (raw.includes("\0")) throw refuse("contains a NUL");
  if (raw.startsWith("/") || /^[A-Za-z]:/.test(raw) || raw.startsWith("\\")) {
    throw refuse("is absolute");
  }
  const parts = raw.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.some((p) => p === ".." || p.split("\\").includes(".."))) {
    throw refuse("leaves the archive's root");
  }
  return parts.length ? parts.join("/") : undefined;
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
  if (target.startsWith("/")) return undefined;
  // A hardlink names its target from the archive's root.
  const base = hard ? [] : linkName.split("/").slice(0, -1);
  for (const part of target.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (!base.length) return undefined;
      base.pop();
    } else base.push(part);
  }
  return base.length ? base.join("/") : undefined;
}

/** Reads a file at offsets through a window, for scanning headers. */
class WindowReader {
  #file: FileHandle;
  #buffer = new Uint8Array(WINDOW);
  #start = 0;
  #length = 0;

  constructor(file: FileHandle) {
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

/** The text of a NUL-terminated header field. */
function text(block: Uint8Array, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return decoder.decode(end < 0 ? field : field.subarray(0, end));
}

/** A numeric header field: octal, or GNU base-256 when its top bit is set. */
function number(block: Uint8Array, start: number, length: number): number {
  const field = block.subarray(start, start + length);
  if (field[0] & 0x80) {
    let value = field[0] & 0x7f;
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i];
    return Number.isSafeInteger(value) ? value : Number.NaN;
  }
  const digits = decoder.decode(field).replace(/[\0 ]+$/, "").replace(
    /^[\0 ]+/,
    "",
  );
  if (digits === "") return 0;
  return /^[0-7]+$/.test(digits) ? parseInt(digits, 8) : Number.NaN;
}

/** Whether the header's checksum (unsigned or, as old tars did, signed) holds. */
function checksumHolds(block: Uint8Array): boolean {
  const expected = number(block, 148, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 32 : block[i];
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return expected === unsigned || expected === signed;
}

/** The records of a PAX extended header: `"<len> <key>=<value>\n"`. */
function paxRecords(bytes: Uint8Array): Map<string, string> | undefined {
  const out = new Map<string, string>();
  let at = 0;
  while (at < bytes.byteLength) {
    if (bytes[at] === 0) break;
    const space = bytes.indexOf(32, at);
    if (space < 0) return undefined;
    const length = Number(decoder.decode(bytes.subarray(at, space)));
    if (!Number.isSafeInteger(length) || length <= space - at) return undefined;
    const record = bytes.subarray(space + 1, at + length);
    if (at + length > bytes.byteLength || record.at(-1) !== 10) {
      return undefined;
    }
    const line = decoder.decode(record.subarray(0, -1));
    const eq = line.indexOf("=");
    if (eq < 0) return undefined;
    out.set(line.slice(0, eq), line.slice(eq + 1));
    at += length;
  }
  return out;
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
  file: FileHandle,
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
    if (block.every((b) => b === 0)) break;
    if (!checksumHolds(block)) {
      throw malformed("a header's checksum does not match", position);
    }
    const flag = String.fromCharCode(block[156]);
    let size = number(block, 124, 12);
    if (pax?.has("size")) {
      const s = Number(pax.get("size"));
      size = /^[0-9]+$/.test(pax.get("size")!) && Number.isSafeInteger(s)
        ? s
        : Number.NaN;
    }
    if (!Number.isSafeInteger(size) || size < 0) {
      throw malformed("a header's size does not parse", position);
    }
    // Links, directories, devices and FIFOs carry no content, whatever the
    // header's size says (as Go's archive/tar reads them).
    if ("123456".includes(flag)) size = 0;
    const offset = position + BLOCK;
    const next = offset + Math.ceil(size / BLOCK) * BLOCK;
    if (offset + size > fileSize) {
      throw malformed("an entry runs past the end of the file", position);
    }
    if (flag === "x" || flag === "g" || flag === "L" || flag === "K") {
      if (size > MAX_META) {
        throw malformed(`a ${flag} header is over ${MAX_META} bytes`, position);
      }
      const bytes = (await reader.read(offset, size)).slice();
      if (flag === "x") {
        pax = paxRecords(bytes);
        if (!pax) throw malformed("a PAX header does not parse", position);
      } else if (flag === "L") {
        longName = text(bytes, 0, bytes.byteLength);
      } else if (flag === "K") {
        longLink = text(bytes, 0, bytes.byteLength);
      } else if (!paxRecords(bytes)) {
        throw malformed("a PAX global header does not parse", position);
      }
      position = next;
      continue;
    }
    const ustar = block[257] === 0x75 && block[258] === 0x73 &&
      block[259] === 0x74 && block[260] === 0x61 && block[261] === 0x72 &&
      block[262] === 0;
    let name = text(block, 0, 100);
    const prefix = ustar ? text(block, 345, 155) : "";
    if (prefix) name = `${prefix}/${name}`;
    name = pax?.get("path") ?? longName ?? name;
    const linkname = pax?.get("linkpath") ?? longLink ?? text(block, 157, 100);
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
