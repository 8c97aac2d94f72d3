/**
 * The tar header codec of the package, the one place a tar header is read
 * or written: ustar headers (512-byte blocks, with the name prefix), PAX
 * extended headers (`x` records: long names and link targets, large sizes,
 * ids and times, extended attributes), GNU long names (`L`, `K`, read only)
 * and GNU base-256 numbers.
 *
 * Encoding is deterministic: the same header always gives the same bytes
 * (PAX records sorted by key, fixed names and times for the PAX header
 * itself), so that layers built from the same files have the same digest.
 *
 * @example Encode a header and decode it back
 * ```ts
 * import { encodeHeader } from "./header.ts";
 *
 * const bytes = encodeHeader({ name: "a/" + "b".repeat(200), typeflag: "0", size: 5 });
 * console.log(bytes.byteLength); // 1536: a PAX header, its records, the entry's header
 * ```
 *
 * @module
 */

/** The size of a tar block. */
export const BLOCK_SIZE = 512;

/** The type flags this package names. */
export const TYPEFLAG = {
  /** A regular file. */
  FILE: "0",
  /** A hard link to an earlier entry. */
  HARDLINK: "1",
  /** A symbolic link. */
  SYMLINK: "2",
  /** A character device. */
  CHAR_DEVICE: "3",
  /** A block device. */
  BLOCK_DEVICE: "4",
  /** A directory. */
  DIRECTORY: "5",
  /** A FIFO. */
  FIFO: "6",
  /** A PAX extended header for the next entry. */
  PAX: "x",
  /** A PAX global header. */
  PAX_GLOBAL: "g",
  /** A GNU long name for the next entry. */
  GNU_LONG_NAME: "L",
  /** A GNU long link target for the next entry. */
  GNU_LONG_LINK: "K",
} as const;

/**
 * One entry's header, with the PAX records that extend it already applied.
 * Names are as written in the archive (see `normalizeEntryName` in
 * `./paths.ts` for what readers make of them).
 */
export interface TarHeader {
  /** The entry's name (any length: a long one goes into a PAX record). */
  name: string;
  /** The type flag: `"0"` file, `"5"` directory, `"2"` symlink … ({@linkcode TYPEFLAG}). */
  typeflag: string;
  /** Permission bits, setuid, setgid and sticky included. @default {0o644} */
  mode?: number;
  /** @default {0} */
  uid?: number;
  /** @default {0} */
  gid?: number;
  /** The content's size (0 for what has none). @default {0} */
  size?: number;
  /** Modification time, seconds since the epoch (may be fractional). @default {0} */
  mtime?: number;
  /** The target of a link. @default {""} */
  linkname?: string;
  /** @default {""} */
  uname?: string;
  /** @default {""} */
  gname?: string;
  /** @default {0} */
  devmajor?: number;
  /** @default {0} */
  devminor?: number;
  /**
   * Other PAX records of the entry (extended attributes `SCHILY.xattr.*`,
   * `atime`, …), kept as they are.
   */
  pax?: Record<string, string>;
}

/** The raw fields of one header block, before PAX records or GNU names apply. */
export interface HeaderBlock extends Required<Omit<TarHeader, "pax">> {
  /** Whether the block says `ustar\0` (its prefix field is part of the name). */
  ustar: boolean;
}

/** Why a header block does not decode. */
export class TarHeaderError extends Error {
  /**
   * Creates the error.
   *
   * @param problem What is wrong with the block.
   */
  constructor(problem: string) {
    super(problem);
    this.name = "TarHeaderError";
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false });

/** The PAX keys that stand for header fields. */
const PAX_FIELDS = new Set([
  "path",
  "linkpath",
  "size",
  "uid",
  "gid",
  "mtime",
  "uname",
  "gname",
]);

/** The largest number an octal field of `length` bytes holds (with its NUL). */
function octalLimit(length: number): number {
  return 8 ** (length - 1) - 1;
}

/** Writes `value` into a field: octal with a NUL, or base-256 when it does not fit. */
function writeNumber(
  block: Uint8Array,
  start: number,
  length: number,
  value: number,
): void {
  if (value >= 0 && value <= octalLimit(length)) {
    const digits = Math.trunc(value).toString(8).padStart(length - 1, "0");
    block.set(encoder.encode(digits), start);
    block[start + length - 1] = 0;
    return;
  }
  // GNU base-256: the top bit of the first byte set, big-endian after it.
  let rest = Math.max(0, Math.trunc(value));
  for (let i = start + length - 1; i > start; i--) {
    block[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  block[start] = 0x80;
}

/** Writes text into a field, cut to its length (the caller keeps the whole in PAX). */
function writeText(
  block: Uint8Array,
  start: number,
  length: number,
  value: string,
): void {
  const bytes = encoder.encode(value);
  block.set(bytes.subarray(0, length), start);
}

/** The text of a NUL-terminated field. */
export function readText(
  block: Uint8Array,
  start = 0,
  length?: number,
): string {
  const field = block.subarray(
    start,
    length === undefined ? undefined : start + length,
  );
  const end = field.indexOf(0);
  return decoder.decode(end < 0 ? field : field.subarray(0, end));
}

/**
 * A numeric field: octal (spaces and NULs around it ignored), or GNU
 * base-256 when its top bit is set. `NaN` when it does not parse or is past
 * 2^53.
 */
export function readNumber(
  block: Uint8Array,
  start: number,
  length: number,
): number {
  const field = block.subarray(start, start + length);
  if (field[0] & 0x80) {
    if (field[0] === 0xff) return Number.NaN; // negative: never valid here
    let value = field[0] & 0x7f;
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i];
    return Number.isSafeInteger(value) ? value : Number.NaN;
  }
  const digits = decoder.decode(field).replace(/^[\0 ]+|[\0 ]+$/g, "");
  if (digits === "") return 0;
  return /^[0-7]+$/.test(digits) ? parseInt(digits, 8) : Number.NaN;
}

/** The checksum of a block: its bytes summed, the checksum field as spaces. */
function checksumOf(block: Uint8Array): { unsigned: number; signed: number } {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK_SIZE; i++) {
    const b = i >= 148 && i < 156 ? 32 : block[i];
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return { unsigned, signed };
}

/** Whether a block is all zeros (the end of an archive). */
export function isZeroBlock(block: Uint8Array): boolean {
  for (let i = 0; i < BLOCK_SIZE; i++) if (block[i] !== 0) return false;
  return true;
}

/**
 * Decodes one header block (not a zero block).
 *
 * @param block 512 bytes.
 * @returns Its fields.
 * @throws {TarHeaderError} When the checksum (unsigned, or signed as old
 * tars wrote it) does not match, or a numeric field does not parse.
 */
export function decodeHeaderBlock(block: Uint8Array): HeaderBlock {
  const expected = readNumber(block, 148, 8);
  const { unsigned, signed } = checksumOf(block);
  if (expected !== unsigned && expected !== signed) {
    throw new TarHeaderError("a header's checksum does not match");
  }
  const ustar = block[257] === 0x75 && block[258] === 0x73 &&
    block[259] === 0x74 && block[260] === 0x61 && block[261] === 0x72 &&
    block[262] === 0;
  let name = readText(block, 0, 100);
  if (ustar) {
    const prefix = readText(block, 345, 155);
    if (prefix) name = `${prefix}/${name}`;
  }
  const flag = block[156] === 0 ? "0" : String.fromCharCode(block[156]);
  const numbers = {
    mode: readNumber(block, 100, 8),
    uid: readNumber(block, 108, 8),
    gid: readNumber(block, 116, 8),
    size: readNumber(block, 124, 12),
    mtime: readNumber(block, 136, 12),
    devmajor: readNumber(block, 329, 8),
    devminor: readNumber(block, 337, 8),
  };
  for (const [field, value] of Object.entries(numbers)) {
    if (Number.isNaN(value)) {
      throw new TarHeaderError(`a header's ${field} does not parse`);
    }
  }
  return {
    name,
    typeflag: flag,
    ...numbers,
    mode: numbers.mode & 0o7777,
    linkname: readText(block, 157, 100),
    uname: readText(block, 265, 32),
    gname: readText(block, 297, 32),
    ustar,
  };
}

/**
 * Parses the records of a PAX extended header: `"<length> <key>=<value>\n"`
 * each, the length counting the whole record.
 *
 * @param bytes The header's content.
 * @returns The records, in order (a later one of the same key wins).
 * @throws {TarHeaderError} When a record does not parse.
 */
export function parsePaxRecords(bytes: Uint8Array): Map<string, string> {
  const out = new Map<string, string>();
  let at = 0;
  while (at < bytes.byteLength) {
    if (bytes[at] === 0) break;
    const space = bytes.indexOf(32, at);
    if (space < 0) throw new TarHeaderError("a PAX record has no length");
    const lengthText = decoder.decode(bytes.subarray(at, space));
    const length = Number(lengthText);
    if (
      !/^[0-9]+$/.test(lengthText) || !Number.isSafeInteger(length) ||
      length <= space - at + 1 || at + length > bytes.byteLength
    ) {
      throw new TarHeaderError("a PAX record's length does not parse");
    }
    const record = bytes.subarray(space + 1, at + length);
    if (record.at(-1) !== 10) {
      throw new TarHeaderError("a PAX record does not end with a newline");
    }
    const line = decoder.decode(record.subarray(0, -1));
    const eq = line.indexOf("=");
    if (eq <= 0) throw new TarHeaderError("a PAX record has no key");
    out.set(line.slice(0, eq), line.slice(eq + 1));
    at += length;
  }
  return out;
}

/** A PAX number (`size`, `uid`, …): a non-negative integer, or NaN. */
function paxInteger(text: string): number {
  const n = Number(text);
  return /^[0-9]+$/.test(text) && Number.isSafeInteger(n) ? n : Number.NaN;
}

/**
 * The header of an entry: its block, with a GNU long name or link target
 * and its PAX records applied (PAX wins over GNU, GNU over the block).
 *
 * @param block The entry's decoded block.
 * @param pax The records of the `x` header before it, if any.
 * @param gnu The GNU long name (`L`) and link (`K`) before it, if any.
 * @returns The header; PAX records that are not header fields are kept in `pax`.
 * @throws {TarHeaderError} When a PAX number does not parse.
 */
export function applyExtensions(
  block: HeaderBlock,
  pax?: Map<string, string>,
  gnu: { name?: string; linkname?: string } = {},
): TarHeader {
  const { ustar: _, ...fields } = block;
  const header: TarHeader = { ...fields };
  if (gnu.name !== undefined) header.name = gnu.name;
  if (gnu.linkname !== undefined) header.linkname = gnu.linkname;
  if (!pax) return header;
  const extra: Record<string, string> = {};
  for (const [key, value] of pax) {
    switch (key) {
      case "path":
        header.name = value;
        break;
      case "linkpath":
        header.linkname = value;
        break;
      case "uname":
      case "gname":
        header[key] = value;
        break;
      case "size":
      case "uid":
      case "gid": {
        const n = paxInteger(value);
        if (Number.isNaN(n)) {
          throw new TarHeaderError(`a PAX ${key} record does not parse`);
        }
        header[key] = n;
        break;
      }
      case "mtime": {
        const n = Number(value);
        if (!/^-?[0-9]+(\.[0-9]+)?$/.test(value) || !Number.isFinite(n)) {
          throw new TarHeaderError("a PAX mtime record does not parse");
        }
        header.mtime = n;
        break;
      }
      default:
        extra[key] = value;
    }
  }
  if (Object.keys(extra).length) header.pax = extra;
  return header;
}

/** One PAX record, its length prefix counting itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const size = encoder.encode(body).byteLength;
  let length = size + String(size).length;
  if (String(length).length !== String(size).length) {
    length = size + String(length).length;
  }
  return `${length}${body}`;
}

/** Whether text fits a field of `length` bytes as UTF-8. */
function fits(text: string, length: number): boolean {
  return encoder.encode(text).byteLength <= length;
}

/** The PAX records a header needs: fields too long or too large, and its own. */
export function paxRecordsFor(header: TarHeader): Map<string, string> {
  const records = new Map<string, string>();
  if (!fits(header.name, 100)) records.set("path", header.name);
  const linkname = header.linkname ?? "";
  if (!fits(linkname, 100)) records.set("linkpath", linkname);
  for (const key of ["uname", "gname"] as const) {
    const value = header[key] ?? "";
    if (!fits(value, 32)) records.set(key, value);
  }
  const size = header.size ?? 0;
  if (size > octalLimit(12)) records.set("size", String(size));
  for (const key of ["uid", "gid"] as const) {
    const value = header[key] ?? 0;
    if (value > octalLimit(8)) records.set(key, String(value));
  }
  const mtime = header.mtime ?? 0;
  if (!Number.isInteger(mtime) || mtime < 0 || mtime > octalLimit(12)) {
    records.set("mtime", String(mtime));
  }
  for (const [key, value] of Object.entries(header.pax ?? {})) {
    if (!PAX_FIELDS.has(key)) records.set(key, value);
  }
  return records;
}

/** Fills one ustar block (checksum included). */
function writeBlock(
  block: Uint8Array,
  header: TarHeader,
): void {
  writeText(block, 0, 100, header.name);
  writeNumber(block, 100, 8, (header.mode ?? 0o644) & 0o7777);
  writeNumber(block, 108, 8, header.uid ?? 0);
  writeNumber(block, 116, 8, header.gid ?? 0);
  writeNumber(block, 124, 12, header.size ?? 0);
  const mtime = header.mtime ?? 0;
  writeNumber(
    block,
    136,
    12,
    mtime < 0 ? 0 : Math.min(Math.floor(mtime), octalLimit(12)),
  );
  block[156] = header.typeflag.charCodeAt(0);
  writeText(block, 157, 100, header.linkname ?? "");
  block.set(encoder.encode("ustar\x0000"), 257);
  writeText(block, 265, 32, header.uname ?? "");
  writeText(block, 297, 32, header.gname ?? "");
  writeNumber(block, 329, 8, header.devmajor ?? 0);
  writeNumber(block, 337, 8, header.devminor ?? 0);
  block.fill(32, 148, 156);
  const { unsigned } = checksumOf(block);
  block.set(encoder.encode(unsigned.toString(8).padStart(6, "0")), 148);
  block[154] = 0;
  block[155] = 32;
}

/** The number of bytes of padding after `size` bytes of content. */
export function paddingOf(size: number): number {
  return (BLOCK_SIZE - (size % BLOCK_SIZE)) % BLOCK_SIZE;
}

/**
 * Encodes an entry's header: a ustar block, preceded by a PAX extended
 * header (and its records, padded) when a field does not fit ustar — a name
 * or link target over 100 bytes, a size over 8 GiB, a large id, a
 * fractional or negative time — or the header carries other PAX records.
 * Numbers too large for their field are also written base-256 there, for
 * readers without PAX.
 *
 * @param header The entry.
 * @returns The bytes to write before the entry's content: 512 bytes, or
 * more with a PAX header.
 * @throws {TypeError} When the type flag is not one character.
 *
 * @example
 * ```ts
 * import { encodeHeader } from "./header.ts";
 *
 * const block = encodeHeader({ name: "etc/", typeflag: "5", mode: 0o755 });
 * console.log(block.byteLength); // 512
 * ```
 */
export function encodeHeader(header: TarHeader): Uint8Array<ArrayBuffer> {
  if (header.typeflag.length !== 1) {
    throw new TypeError(
      `Invalid tar type flag ${JSON.stringify(header.typeflag)}`,
    );
  }
  const records = paxRecordsFor(header);
  let pax: Uint8Array | undefined;
  if (records.size) {
    const keys = [...records.keys()].sort();
    pax = encoder.encode(
      keys.map((k) => paxRecord(k, records.get(k)!)).join(""),
    );
  }
  const paxBlocks = pax
    ? BLOCK_SIZE + pax.byteLength + paddingOf(pax.byteLength)
    : 0;
  const out = new Uint8Array(paxBlocks + BLOCK_SIZE);
  if (pax) {
    // The PAX header's own name is fixed (no pid, no time): the same entry
    // always gives the same bytes.
    const base = header.name.replace(/\/+$/, "").split("/").pop() ?? "";
    writeBlock(out.subarray(0, BLOCK_SIZE), {
      name: `PaxHeaders/${base}`,
      typeflag: TYPEFLAG.PAX,
      mode: 0o644,
      size: pax.byteLength,
    });
    out.set(pax, BLOCK_SIZE);
  }
  writeBlock(out.subarray(paxBlocks), header);
  return out;
}
