/**
 * Reading tar archives as they stream: {@linkcode TarParser} is fed bytes
 * in chunks of any size and reports each entry's header and content;
 * {@linkcode readTar} iterates the entries of a stream, content streamed.
 * Both understand ustar, PAX (`x` records; `g` is checked and skipped) and
 * GNU long names, and refuse entries that would leave the root: an
 * absolute name, a `..` segment, a path through a symlink of the same
 * archive, a hard link to such a path ({@linkcode UnsafeTarEntryError}).
 * Nothing is buffered but one header (and a PAX header, up to 1 MiB).
 *
 * @example List the entries of a tar file
 * ```ts
 * import { readTar } from "./reader.ts";
 *
 * const tar = await fetch("file:///tmp/layer.tar");
 * for await (const entry of readTar(tar.body!)) {
 *   console.log(entry.name, entry.header.typeflag, entry.header.size);
 *   // entry.content can be read here; what is left unread is skipped.
 * }
 * ```
 *
 * @module
 */

import { StoreError, UnsafeTarEntryError } from "../errors.ts";
import { ChunkReader } from "../content/_byte_reader.ts";
import {
  applyExtensions,
  BLOCK_SIZE,
  decodeHeaderBlock,
  isZeroBlock,
  paddingOf,
  parsePaxRecords,
  readText,
  type TarHeader,
  TarHeaderError,
  TYPEFLAG,
} from "./header.ts";
import { ancestorsOf, checkEntryName } from "./paths.ts";

/** One entry, as a reader reports it. */
export interface TarEntry {
  /** The name, normalised (`a/b`, no `./`, no trailing `/`; `.` is the root). */
  name: string;
  /** The header, PAX records and GNU long names applied (names as written). */
  header: TarHeader;
  /** A hard link's target, normalised. */
  linkTarget?: string;
  /** The number of content bytes that follow (0 for links, directories …). */
  size: number;
}

/** Options of {@linkcode TarParser} and {@linkcode readTar}. */
export interface TarReadOptions {
  /** For messages: what was being done, e.g. `read layer sha256:…`. */
  attempted?: string;
  /** For messages: where the archive comes from. */
  source?: string;
  /**
   * Refuse entries that would leave the root (see the module doc).
   * @default {true}
   */
  checkPaths?: boolean;
  /** The largest PAX header or GNU long name read. @default {1048576} */
  maxMetaSize?: number;
}

/** What a {@linkcode TarParser} reports. */
export interface TarParserHandlers {
  /** An entry's header; its content (if any) follows through `data`. */
  entry(entry: TarEntry): void;
  /** Content bytes of the last entry (a view, valid during the call only). */
  data?(bytes: Uint8Array): void;
}

/** Types whose content is empty whatever the header's size says. */
const HEADER_ONLY = new Set(["1", "2", "3", "4", "5", "6"]);

/**
 * A tar parser fed with bytes: {@linkcode TarParser.push} takes chunks of
 * any size, calling the handlers synchronously; {@linkcode TarParser.finish}
 * checks that the archive did not stop in the middle of an entry.
 *
 * @example Check a tar as it passes through
 * ```ts
 * import { TarParser } from "./reader.ts";
 *
 * const names: string[] = [];
 * const parser = new TarParser({ entry: (e) => names.push(e.name) });
 * parser.push(new Uint8Array(1024)); // an empty archive
 * parser.finish();
 * ```
 */
export class TarParser {
  #handlers: TarParserHandlers;
  #attempted: string;
  #source: string;
  #check: boolean;
  #maxMeta: number;
  #block = new Uint8Array(BLOCK_SIZE);
  #blockFill = 0;
  #state: "header" | "body" | "meta" | "padding" | "end" = "header";
  #left = 0;
  #padding = 0;
  #meta?: Uint8Array;
  #metaFill = 0;
  #metaFlag = "";
  #pax?: Map<string, string>;
  #longName?: string;
  #longLink?: string;
  #offset = 0;
  #headerAt = 0;
  #symlinks = new Set<string>();

  /**
   * Creates a parser.
   *
   * @param handlers What to call for each entry and content chunk.
   * @param options Messages, path checks, limits.
   */
  constructor(handlers: TarParserHandlers, options: TarReadOptions = {}) {
    this.#handlers = handlers;
    this.#attempted = options.attempted ?? "read a tar archive";
    this.#source = options.source ?? "tar";
    this.#check = options.checkPaths ?? true;
    this.#maxMeta = options.maxMetaSize ?? 1024 * 1024;
  }

  /** The number of bytes pushed so far. */
  get offset(): number {
    return this.#offset;
  }

  /** Whether the end-of-archive marker was read. */
  get ended(): boolean {
    return this.#state === "end";
  }

  #malformed(problem: string, cause?: unknown): StoreError {
    return new StoreError(
      this.#attempted,
      `it is not a valid tar archive: ${problem} (at byte ${this.#headerAt})`,
      this.#source,
      cause === undefined ? undefined : { cause },
    );
  }

  #unsafe(name: string, problem: string): UnsafeTarEntryError {
    return new UnsafeTarEntryError(
      this.#attempted,
      name,
      problem,
      this.#source,
    );
  }

  /**
   * Parses the next bytes of the archive.
   *
   * @param chunk Any number of bytes (not kept after the call).
   * @throws {StoreError} When the archive is malformed.
   * @throws {UnsafeTarEntryError} When an entry would leave the root.
   */
  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.byteLength) {
      switch (this.#state) {
        case "end":
          // What follows the end-of-archive marker (a second zero block,
          // padding to a record) is not read.
          this.#offset += chunk.byteLength - at;
          return;
        case "header": {
          const n = Math.min(
            BLOCK_SIZE - this.#blockFill,
            chunk.byteLength - at,
          );
          this.#block.set(chunk.subarray(at, at + n), this.#blockFill);
          this.#blockFill += n;
          at += n;
          this.#offset += n;
          if (this.#blockFill === BLOCK_SIZE) {
            this.#blockFill = 0;
            this.#header();
          }
          break;
        }
        case "body": {
          const n = Math.min(this.#left, chunk.byteLength - at);
          this.#handlers.data?.(chunk.subarray(at, at + n));
          this.#left -= n;
          at += n;
          this.#offset += n;
          if (this.#left === 0) this.#afterContent();
          break;
        }
        case "meta": {
          const meta = this.#meta!;
          const n = Math.min(
            meta.byteLength - this.#metaFill,
            chunk.byteLength - at,
          );
          meta.set(chunk.subarray(at, at + n), this.#metaFill);
          this.#metaFill += n;
          at += n;
          this.#offset += n;
          if (this.#metaFill === meta.byteLength) {
            this.#metaDone();
            this.#afterContent();
          }
          break;
        }
        case "padding": {
          const n = Math.min(this.#padding, chunk.byteLength - at);
          this.#padding -= n;
          at += n;
          this.#offset += n;
          if (this.#padding === 0) this.#state = "header";
          break;
        }
      }
    }
  }

  /**
   * Checks the archive is whole: it ended with the end-of-archive marker,
   * or (as GNU tar tolerates) between two entries.
   *
   * @throws {StoreError} When it stopped inside a header or an entry.
   */
  finish(): void {
    if (this.#state === "end") return;
    if (this.#state === "header" && this.#blockFill === 0) {
      if (this.#pax || this.#longName !== undefined) {
        this.#headerAt = this.#offset;
        throw this.#malformed("it ends after an extended header");
      }
      return;
    }
    this.#headerAt = this.#offset;
    throw this.#malformed("it ends in the middle of an entry");
  }

  #afterContent(): void {
    this.#state = this.#padding ? "padding" : "header";
  }

  #header(): void {
    this.#headerAt = this.#offset - BLOCK_SIZE;
    const block = this.#block;
    if (isZeroBlock(block)) {
      this.#state = "end";
      return;
    }
    let decoded;
    try {
      decoded = decodeHeaderBlock(block);
    } catch (err) {
      if (err instanceof TarHeaderError) throw this.#malformed(err.message);
      throw err;
    }
    const flag = decoded.typeflag;
    if (
      flag === TYPEFLAG.PAX || flag === TYPEFLAG.PAX_GLOBAL ||
      flag === TYPEFLAG.GNU_LONG_NAME || flag === TYPEFLAG.GNU_LONG_LINK
    ) {
      if (decoded.size > this.#maxMeta) {
        throw this.#malformed(
          `a ${flag} header is over ${this.#maxMeta} bytes`,
        );
      }
      this.#meta = new Uint8Array(decoded.size);
      this.#metaFill = 0;
      this.#metaFlag = flag;
      this.#padding = paddingOf(decoded.size);
      this.#state = "meta";
      if (decoded.size === 0) {
        this.#metaDone();
        this.#afterContent();
      }
      return;
    }
    let header: TarHeader;
    try {
      header = applyExtensions(decoded, this.#pax, {
        name: this.#longName,
        linkname: this.#longLink,
      });
    } catch (err) {
      if (err instanceof TarHeaderError) throw this.#malformed(err.message);
      throw err;
    }
    this.#pax = undefined;
    this.#longName = undefined;
    this.#longLink = undefined;
    const size = HEADER_ONLY.has(flag) ? 0 : header.size ?? 0;
    const entry = this.#entry(header, size);
    this.#left = size;
    this.#padding = paddingOf(size);
    this.#state = size ? "body" : this.#padding ? "padding" : "header";
    this.#handlers.entry(entry);
  }

  #metaDone(): void {
    const bytes = this.#meta!;
    this.#meta = undefined;
    try {
      switch (this.#metaFlag) {
        case TYPEFLAG.PAX: {
          const records = parsePaxRecords(bytes);
          this.#pax = this.#pax ? new Map([...this.#pax, ...records]) : records;
          break;
        }
        case TYPEFLAG.PAX_GLOBAL:
          parsePaxRecords(bytes);
          break;
        case TYPEFLAG.GNU_LONG_NAME:
          this.#longName = readText(bytes);
          break;
        case TYPEFLAG.GNU_LONG_LINK:
          this.#longLink = readText(bytes);
          break;
      }
    } catch (err) {
      if (err instanceof TarHeaderError) throw this.#malformed(err.message);
      throw err;
    }
  }

  #entry(header: TarHeader, size: number): TarEntry {
    const raw = header.name;
    const checked = checkEntryName(raw);
    if (checked.problem !== undefined) {
      if (this.#check) throw this.#unsafe(raw, checked.problem);
    }
    const name = checked.name ?? raw;
    const entry: TarEntry = { name, header, size };
    if (header.typeflag === TYPEFLAG.HARDLINK) {
      const target = checkEntryName(header.linkname ?? "");
      if (target.problem !== undefined || target.name === ".") {
        if (this.#check) {
          throw this.#unsafe(
            raw,
            `is a hard link to ${JSON.stringify(header.linkname)}, which ${
              target.problem ?? "is the root"
            }`,
          );
        }
      } else entry.linkTarget = target.name;
    }
    if (this.#check) {
      for (const path of [name, entry.linkTarget]) {
        if (path === undefined) continue;
        for (const parent of ancestorsOf(path)) {
          if (this.#symlinks.has(parent)) {
            throw this.#unsafe(
              raw,
              `goes through the symlink ${JSON.stringify(parent)}`,
            );
          }
        }
      }
      if (header.typeflag === TYPEFLAG.SYMLINK) this.#symlinks.add(name);
      else this.#symlinks.delete(name);
    }
    return entry;
  }
}

/** One entry of {@linkcode readTar}, with its content. */
export interface TarReadEntry extends TarEntry {
  /**
   * The content, chunk by chunk (each valid until the next is asked for).
   * Read it before asking for the next entry, or not at all (it is then
   * skipped).
   */
  content: AsyncIterable<Uint8Array>;
}

type Event = { entry: TarEntry; bytes?: undefined } | {
  entry?: undefined;
  bytes: Uint8Array;
};

/**
 * Iterates the entries of a tar stream, their content streamed: one chunk
 * of the source is parsed at a time, so memory does not grow with the
 * archive. Stopping early cancels the source.
 *
 * @param stream The archive (uncompressed).
 * @param options Messages, path checks, limits.
 * @returns The entries, in order.
 * @throws {StoreError} When the archive is malformed.
 * @throws {UnsafeTarEntryError} When an entry would leave the root.
 *
 * @example
 * ```ts
 * import { readTar } from "./reader.ts";
 *
 * const file = await fetch("file:///tmp/layer.tar");
 * for await (const e of readTar(file.body!)) {
 *   let n = 0;
 *   for await (const chunk of e.content) n += chunk.byteLength;
 *   console.log(e.name, n);
 * }
 * ```
 */
export async function* readTar(
  stream: ReadableStream<Uint8Array>,
  options: TarReadOptions = {},
): AsyncGenerator<TarReadEntry> {
  let events: Event[] = [];
  let next = 0;
  const parser = new TarParser({
    entry: (entry) => events.push({ entry }),
    data: (bytes) => events.push({ bytes }),
  }, options);
  const reader = new ChunkReader(stream);
  let finished = false;
  /** Makes sure an event is waiting; `false` at the end of the archive. */
  const fill = async (): Promise<boolean> => {
    while (next >= events.length) {
      if (finished) return false;
      events = [];
      next = 0;
      // Read to the end even past the end-of-archive marker: a verified
      // stream checks its digest only once it is read whole.
      const chunk = await reader.next();
      if (chunk === undefined) {
        finished = true;
        parser.finish();
        return false;
      }
      parser.push(chunk);
    }
    return true;
  };
  try {
    while (await fill()) {
      const event = events[next++];
      if (event.entry === undefined) continue; // content nobody read
      const content = async function* (): AsyncGenerator<Uint8Array> {
        while (await fill()) {
          const e = events[next];
          if (e.bytes === undefined) return;
          next++;
          yield e.bytes;
        }
      };
      yield { ...event.entry, content: content() };
    }
  } finally {
    if (!finished) await reader.cancel();
  }
}
