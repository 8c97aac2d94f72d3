// Shared by the commands that build and change images (append, mutate,
// flatten, export, index, tag, validate, blob, artifact): opening stores by
// the names `dreg copy` takes — their failures name the registry's host,
// and for a command between two stores the side ("source: 127.0.0.1:5000:
// …"); both sides on one registry share one auth state — closing a
// destination on success and discarding it on failure, running a writing
// command (stale temporary files removed first, SIGINT/SIGTERM stop it with
// nothing half-written), `KEY=VALUE` / `KEY-` flags, and printing what was
// written.

import type { ImageStore } from "../../lib/content/store.ts";
import type {
  OpenStoreOptions,
  StoreName,
} from "../../lib/content/transports.ts";
import type { BuildResult } from "../../lib/build/types.ts";
import { listFlag, type ParsedArgs, UsageError } from "../args.ts";
import { clientOptionsArg, type Io, printJson, refArg } from "../common.ts";
import { atWhere, type Side } from "../error_context.ts";
import { removeStaleFor } from "../_cleanup.ts";
import { interruptible } from "../_signals.ts";

/** A store name, checked (exit 2 when it does not parse). */
export async function storeNameArg(
  text: string,
  what: string,
): Promise<StoreName> {
  const { parseStoreName } = await import("../../lib/content/transports.ts");
  let name: StoreName;
  try {
    name = parseStoreName(text);
  } catch (err) {
    throw new UsageError(`invalid ${what}: ${(err as Error).message}`);
  }
  if (name.transport === "docker") refArg(name.path, what);
  return name;
}

/** The registry's host a store name points at, if it names a registry. */
export function hostOf(name: StoreName): string | undefined {
  return name.transport === "docker" ? refArg(name.path).index.name : undefined;
}

/** How {@linkcode openStoreArg} opens a store. */
export interface OpenArgOptions {
  /** What the argument is, in a usage error (`invalid source: …`). */
  what: string;
  /**
   * Its side, for a command between two stores; without one, failures
   * name only the registry's host.
   */
  side?: Side;
  /** For writing (credentials of --dest-creds; else of --src-creds). */
  write?: boolean;
  /** More options of `openStore`. */
  extra?: OpenStoreOptions;
}

/**
 * Opens the store a name designates, with the flags' credentials; its
 * failures (and its streams') name the registry's host and the side.
 */
export async function openStoreArg(
  args: ParsedArgs,
  text: string,
  options: OpenArgOptions,
): Promise<ImageStore> {
  const name = await storeNameArg(text, options.what);
  const host = hostOf(name);
  const { openStore } = await import("../../lib/content/transports.ts");
  const { sideStore } = await import("./_sides.ts");
  const store = await atWhere(options.side, host, () =>
    openStore(text, {
      ...clientOptionsArg(args, options.write ? "dst" : "src"),
      ...(options.write ? { write: true } : {}),
      ...options.extra,
    }));
  return sideStore(store, options.side, host);
}

/**
 * The source, opened again to share the target's auth state (one ping,
 * one token for both repositories, blobs mounted between them) when both
 * are repositories of one registry and no side has credentials of its own
 * (--src-creds, --dest-creds); else the source as it is.
 */
export async function sharingTargetAuth(
  args: ParsedArgs,
  source: ImageStore,
  text: string,
  target: ImageStore,
): Promise<ImageStore> {
  if (args.flags.has("--src-creds") || args.flags.has("--dest-creds")) {
    return source;
  }
  const { sharingAuth } = await import("./_sides.ts");
  return await sharingAuth(
    source,
    target,
    (auth) =>
      openStoreArg(args, text, {
        what: "source",
        side: "source",
        extra: { auth },
      }),
  );
}

/**
 * Opens a store for reading (credentials: -u/-p, or --src-creds); `what`
 * names it in a usage error, and `side` labels its failures when the
 * command writes into another store.
 */
export function openSource(
  args: ParsedArgs,
  text: string,
  what = "source",
  side?: Side,
): Promise<ImageStore> {
  return openStoreArg(args, text, { what, ...(side ? { side } : {}) });
}

/** Options of {@linkcode withTarget} and {@linkcode withStores}. */
export interface TargetOptions {
  /** Label the destination's failures `destination: ` (two stores). */
  side?: boolean;
  /** Stops the work; an archive is then left unwritten. */
  signal?: AbortSignal;
  /** What the argument is, in a usage error. @default {"destination"} */
  what?: string;
}

/**
 * Opens a store for writing, runs `run` with it, then closes it (an
 * archive is written then) — or discards what was written when `run` or
 * the close fails or is stopped.
 */
export async function withTarget<T>(
  args: ParsedArgs,
  text: string,
  run: (target: ImageStore) => Promise<T>,
  options: TargetOptions = {},
): Promise<T> {
  const { signal } = options;
  const target = await openStoreArg(args, text, {
    what: options.what ?? "destination",
    ...(options.side ? { side: "destination" as const } : {}),
    write: true,
  });
  try {
    const result = await run(target);
    // An archive is written at close: a signal then leaves it unwritten.
    const closable = target as {
      close(options?: { signal?: AbortSignal }): Promise<void>;
    };
    await closable.close(signal ? { signal } : undefined);
    return result;
  } catch (err) {
    await target.discard().catch(() => {});
    throw err;
  }
}

/**
 * Opens SRC for reading and DST for writing and runs `run` (the same
 * layout or archive may be both: it is opened twice, and an archive is
 * rewritten at the end). Failures say which side they are; on one
 * registry both sides share one auth state.
 */
export async function withStores<T>(
  args: ParsedArgs,
  src: string,
  dst: string,
  run: (source: ImageStore, target: ImageStore) => Promise<T>,
  options: Omit<TargetOptions, "side"> = {},
): Promise<T> {
  await storeNameArg(dst, "destination");
  let source = await openSource(args, src, "source", "source");
  try {
    return await withTarget(args, dst, async (target) => {
      source = await sharingTargetAuth(args, source, src, target);
      return await run(source, target);
    }, { ...options, side: true });
  } finally {
    await source.close().catch(() => {});
  }
}

/**
 * Runs the work of a command that writes: the stale temporary files at
 * `destination` (a store name: a layout or an archive) are removed first,
 * then `work` runs with a signal that SIGINT or SIGTERM aborts; stopped so,
 * it throws an `InterruptedError` (exit 130 or 143) once what it wrote is
 * discarded.
 */
export async function writing<T>(
  io: Io,
  destination: string | undefined,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  if (destination !== undefined) await removeStaleFor(destination, io);
  return await interruptible(work);
}

/**
 * `KEY=VALUE` flags as a map; `KEY-` removes KEY (as `kubectl label`
 * does).
 */
export function keyValuesArg(
  args: ParsedArgs,
  flag: string,
): Record<string, string | null> | undefined {
  const values = listFlag(args, flag);
  if (values.length === 0) return undefined;
  const out: Record<string, string | null> = {};
  for (const v of values) {
    const eq = v.indexOf("=");
    if (eq > 0) out[v.slice(0, eq)] = v.slice(eq + 1);
    else if (eq < 0 && v.length > 1 && v.endsWith("-")) {
      out[v.slice(0, -1)] = null;
    } else {
      throw new UsageError(
        `${flag} takes KEY=VALUE, or KEY- to remove KEY (got "${v}")`,
      );
    }
  }
  return out;
}

/** `VALUE` flags as a set: `VALUE` adds, `VALUE-` removes. */
export function toggleArg(
  args: ParsedArgs,
  flag: string,
): Record<string, boolean> | undefined {
  const values = listFlag(args, flag);
  if (values.length === 0) return undefined;
  const out: Record<string, boolean> = {};
  for (const v of values) {
    if (v.length > 1 && v.endsWith("-")) out[v.slice(0, -1)] = false;
    else out[v] = true;
  }
  return out;
}

/**
 * An argument list: a JSON array (`["/app","serve"]`), or words split on
 * whitespace (`/app serve`; no quoting: use JSON for arguments with spaces).
 */
export function argvArg(flag: string, text: string): string[] {
  if (text.trimStart().startsWith("[")) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new UsageError(`${flag}: invalid JSON array`);
    }
    if (!Array.isArray(value) || value.some((a) => typeof a !== "string")) {
      throw new UsageError(`${flag}: expected a JSON array of strings`);
    }
    return value;
  }
  return text.trim().split(/\s+/).filter((w) => w !== "");
}

/** Prints what an operation wrote: the descriptor(s) with `--json`, else a line. */
export function printBuild(
  io: Io,
  args: ParsedArgs,
  verb: string,
  result: BuildResult,
): void {
  if (args.flags.has("--json")) {
    printJson(io, result);
    return;
  }
  const platforms = result.images.map((i) => i.platform);
  const what = result.images.length === 1 &&
      result.images[0].descriptor.digest === result.descriptor.digest
    ? platforms[0]
    : `index of ${platforms.length} platform${
      platforms.length === 1 ? "" : "s"
    }${platforms.length ? `: ${platforms.join(", ")}` : ""}`;
  io.out(
    `${verb} ${result.destination} ${result.descriptor.digest} (${what})\n`,
  );
}
