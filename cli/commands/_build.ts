// Shared by the commands that build and change images (append, mutate,
// index, tag, validate, blob): opening stores by the names `dreg copy`
// takes, closing a destination on success and discarding it on failure,
// `KEY=VALUE` / `KEY-` flags, and printing what was written.

import type { ImageStore } from "../../lib/content/store.ts";
import type { StoreName } from "../../lib/content/transports.ts";
import type { BuildResult } from "../../lib/build/types.ts";
import { listFlag, type ParsedArgs, UsageError } from "../args.ts";
import { clientOptionsArg, type Io, printJson, refArg } from "../common.ts";

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

/** Runs one side's step; its error says which side failed. */
export async function sideStep<T>(
  side: string,
  step: () => Promise<T>,
): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (err instanceof Error && !err.message.startsWith(`${side}: `)) {
      err.message = `${side}: ${err.message}`;
    }
    throw err;
  }
}

/** Opens a store for reading (credentials: -u/-p, or --src-creds). */
export async function openSource(
  args: ParsedArgs,
  text: string,
  side = "source",
): Promise<ImageStore> {
  await storeNameArg(text, side);
  const { openStore } = await import("../../lib/content/transports.ts");
  return await sideStep(
    side,
    () => openStore(text, clientOptionsArg(args, "src")),
  );
}

/**
 * Opens a store for writing, runs `run` with it, then closes it (an
 * archive is written then) — or discards what was written when `run`
 * fails.
 */
export async function withTarget<T>(
  args: ParsedArgs,
  text: string,
  run: (target: ImageStore) => Promise<T>,
): Promise<T> {
  await storeNameArg(text, "destination");
  const { openStore } = await import("../../lib/content/transports.ts");
  const target = await sideStep(
    "destination",
    () => openStore(text, { ...clientOptionsArg(args, "dst"), write: true }),
  );
  let result: T;
  try {
    result = await run(target);
  } catch (err) {
    await target.discard().catch(() => {});
    throw err;
  }
  await sideStep("destination", () => target.close());
  return result;
}

/**
 * Opens SRC for reading and DST for writing and runs `run` (the same
 * layout or archive may be both: it is opened twice, and an archive is
 * rewritten at the end).
 */
export async function withStores<T>(
  args: ParsedArgs,
  src: string,
  dst: string,
  run: (source: ImageStore, target: ImageStore) => Promise<T>,
): Promise<T> {
  await storeNameArg(dst, "destination");
  const source = await openSource(args, src);
  try {
    return await withTarget(args, dst, (target) => run(source, target));
  } finally {
    await source.close().catch(() => {});
  }
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
