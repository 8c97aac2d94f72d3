// Private: the names of the temporary files and directories this library
// leaves beside what it writes (in a layout's root, beside an archive), and
// telling a stale one — whose process is gone — from one a live process is
// still writing. A name carries the writer's pid and start time:
// `.tmp-<pid>-<start>-<random>-<what>`. It is stale when that pid runs no
// process, or runs one that started after the writer did (the pid was
// reused); when neither can be told (no permission to signal, another
// host's file), only after a day without a change.

import { lstat, readdir, readFile, rm } from "node:fs/promises";
import { join } from "@std/path/posix/join";

/** When this process started, in ms since the epoch (its file names carry it). */
export const PROCESS_START_MS: number = Math.floor(performance.timeOrigin);

/** How much later than a file's writer another process of its pid may start. */
const START_SLACK_MS = 5_000;

/** How long a file whose writer cannot be checked is kept unchanged. */
export const UNKNOWN_OWNER_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/**
 * This process's id. (Deno's own, there: `node:process` would cost Deno
 * about 30 ms to load on every start; it is loaded only to signal.)
 */
export function currentPid(): number {
  return typeof Deno !== "undefined"
    ? Deno.pid
    : (globalThis as unknown as { process: { pid: number } }).process.pid;
}

/** The `<pid>-<start>-<random>` part of this process's temporary names. */
export function ownerTag(): string {
  return `${currentPid()}-${PROCESS_START_MS.toString(36)}-${
    crypto.randomUUID().slice(0, 8)
  }`;
}

/** The writer a temporary name records. */
export interface Owner {
  /** Its process id. */
  pid: number;
  /** When it started (ms since the epoch). */
  start: number;
}

/** `<pid>-<start36>-<hex8>` at the start of `text`, and what follows. */
const OWNER = /^(\d{1,10})-([0-9a-z]{1,11})-[0-9a-f]{8}(?:-(.*))?$/;

/** Parses the owner part of a temporary name. */
export function parseOwner(text: string): Owner | undefined {
  const m = OWNER.exec(text);
  if (!m) return undefined;
  const pid = Number(m[1]);
  const start = parseInt(m[2], 36);
  if (!Number.isSafeInteger(pid) || pid <= 0 || !Number.isSafeInteger(start)) {
    return undefined;
  }
  return { pid, start };
}

let bootMs: Promise<number | undefined> | undefined;

/** The boot time of a Linux host, from `/proc/stat`; otherwise `undefined`. */
function bootTime(): Promise<number | undefined> {
  bootMs ??= readFile("/proc/stat", "utf8").then(
    (text) => {
      const m = /^btime (\d+)$/m.exec(text);
      return m ? Number(m[1]) * 1000 : undefined;
    },
    () => undefined,
  );
  return bootMs;
}

/**
 * When the process `pid` started (Linux: field 22 of `/proc/<pid>/stat`, in
 * 1/100 s since boot), or `undefined` when that cannot be read.
 */
async function processStart(pid: number): Promise<number | undefined> {
  const boot = await bootTime();
  if (boot === undefined) return undefined;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[19]);
    return Number.isFinite(ticks) ? boot + ticks * 10 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the writer is still running: `alive`, `dead` (no such process,
 * or its pid now belongs to a later process), or `unknown` (signalling is
 * not permitted, as in Deno without `--allow-run`).
 */
export async function ownerState(
  owner: Owner,
): Promise<"alive" | "dead" | "unknown"> {
  if (owner.pid === currentPid()) {
    // This process, or an earlier one that had its pid.
    return owner.start === PROCESS_START_MS ? "alive" : "dead";
  }
  try {
    const { default: process } = await import("node:process");
    process.kill(owner.pid, 0);
  } catch (err) {
    const code = (err as { code?: unknown })?.code;
    if (code === "ESRCH") return "dead";
    // EPERM: a process of another user has the pid.
    if (code !== "EPERM") return "unknown";
  }
  const started = await processStart(owner.pid);
  if (started !== undefined && started > owner.start + START_SLACK_MS) {
    return "dead";
  }
  return "alive";
}

/** Whether a file or directory left by `owner` may be removed. */
export async function isStale(
  owner: Owner | undefined,
  mtimeMs: number,
): Promise<boolean> {
  const state = owner ? await ownerState(owner) : "unknown";
  if (state !== "unknown") return state === "dead";
  return Date.now() - mtimeMs > UNKNOWN_OWNER_MAX_AGE_MS;
}

/** What {@linkcode removeStale} removed. */
export interface RemovedFiles {
  /** The paths removed. */
  paths: string[];
  /** Their size in bytes (files; a directory's content is not counted). */
  bytes: number;
}

/**
 * Removes the stale entries of `dir` whose names `match` recognises (it
 * returns the part holding the owner, `<pid>-<start>-<random>…`, or
 * `null`/`undefined` for entries it does not own). Entries of another
 * owner, live or unknown and recent, stay. A missing directory is fine.
 */
export async function removeStale(
  dir: string,
  match: (name: string) => string | null | undefined,
): Promise<RemovedFiles> {
  const out: RemovedFiles = { paths: [], bytes: 0 };
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    const rest = match(name);
    if (rest === null || rest === undefined) continue;
    const path = join(dir, name);
    let info;
    try {
      info = await lstat(path);
    } catch {
      continue;
    }
    if (!(await isStale(parseOwner(rest), info.mtimeMs))) continue;
    try {
      await rm(path, { recursive: info.isDirectory(), force: true });
      out.paths.push(path);
      if (info.isFile()) out.bytes += info.size;
    } catch {
      // Removed by another cleaner meanwhile, or not ours to remove.
    }
  }
  return out;
}
