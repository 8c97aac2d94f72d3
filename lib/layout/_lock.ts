// Private: a lock file shared by every process on one host, made of
// `node:fs` calls only (Deno, Node and Bun). Taking it creates the file
// exclusively (O_EXCL) with its holder inside (`{"pid","start","host",
// "time"}`); a busy lock is waited for with backoff. A lock is stale when
// its holder is gone (the pid runs no process, or a later one), or when it
// is older than `staleMs` (its holder cannot be checked, or hangs); a stale
// lock is broken under a second, short-lived lock (`<name>.break`), after
// checking again that it is the same stale lock, so two waiters never both
// break it and a fresh lock is never removed. A holder checks that the lock
// is still its own just before it commits.

import { lstat, open, readFile, rm } from "node:fs/promises";
import { errorCode, isMissing } from "./_files.ts";
import { currentPid, ownerState, PROCESS_START_MS } from "./_stale.ts";

/** A breaker's lock older than this was left by a process that died. */
const BREAKER_STALE_MS = 10_000;

/** Options of {@linkcode acquireLock}. */
export interface LockOptions {
  /** A lock older than this is stale whoever holds it. */
  staleMs: number;
  /** How long to wait for a live holder before giving up. */
  timeoutMs: number;
  /** Cancels the wait. */
  signal?: AbortSignal;
}

/** A lock taken. */
export interface HeldLock {
  /** Whether the lock file still holds this holder (check before committing). */
  isHeld(): Promise<boolean>;
  /** Removes the lock file if it is still this holder's. */
  release(): Promise<void>;
}

/** Who holds a lock, as written in the file. */
interface Holder {
  pid: number;
  start: number;
  host: string;
  time: number;
  nonce: string;
}

let host: Promise<string> | undefined;

/** This host's name ("" where it may not be read). */
function hostName(): Promise<string> {
  host ??= import("node:os").then((os) => os.hostname()).catch(() => "");
  return host;
}

function parseHolder(text: string): Holder | undefined {
  try {
    const h = JSON.parse(text);
    if (
      typeof h?.pid === "number" && typeof h.start === "number" &&
      typeof h.host === "string" && typeof h.nonce === "string"
    ) return h;
  } catch { /* being written, or garbage */ }
  return undefined;
}

/** The text of the lock file, or `undefined` when there is none. */
async function readLock(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

/** Whether the lock file, as read (`text`), is stale. */
async function isStaleLock(
  path: string,
  text: string,
  staleMs: number,
): Promise<boolean> {
  let mtime: number;
  try {
    mtime = (await lstat(path)).mtimeMs;
  } catch (err) {
    if (isMissing(err)) return false;
    throw err;
  }
  if (Date.now() - mtime > staleMs) return true;
  const holder = parseHolder(text);
  // A lock being written has no content yet; only its age tells.
  if (!holder || holder.host !== (await hostName())) return false;
  return (await ownerState({ pid: holder.pid, start: holder.start })) ===
    "dead";
}

/** Creates `path` exclusively with `text`; `false` when it exists. */
async function createLockFile(path: string, text: string): Promise<boolean> {
  let file;
  try {
    file = await open(path, "wx", 0o644);
  } catch (err) {
    if (errorCode(err) === "EEXIST") return false;
    throw err;
  }
  try {
    await file.writeFile(text);
  } catch (err) {
    await file.close().catch(() => {});
    await rm(path, { force: true }).catch(() => {});
    throw err;
  } finally {
    await file.close().catch(() => {});
  }
  return true;
}

/**
 * Breaks the lock at `path` if it still reads `seen` (stale), under
 * `<path>.break`. Returns whether the caller should try again at once.
 */
async function breakStale(
  path: string,
  seen: string,
  staleMs: number,
): Promise<boolean> {
  const breaker = `${path}.break`;
  const mine = JSON.stringify({ pid: currentPid(), time: Date.now() });
  if (!(await createLockFile(breaker, mine))) {
    // Another waiter is breaking it; a breaker that died is itself stale.
    try {
      const info = await lstat(breaker);
      if (Date.now() - info.mtimeMs > Math.min(staleMs, BREAKER_STALE_MS)) {
        await rm(breaker, { force: true });
        return true;
      }
    } catch (err) {
      if (isMissing(err)) return true;
      throw err;
    }
    return false;
  }
  try {
    if ((await readLock(path)) === seen) await rm(path, { force: true });
  } finally {
    await rm(breaker, { force: true });
  }
  return true;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", aborted);
    };
    const aborted = () => {
      done();
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      done();
      resolve();
    }, ms);
    signal?.addEventListener("abort", aborted, { once: true });
  });
}

/**
 * Removes the lock file `path` if it is stale (through the same check and
 * break as a waiter), and a breaker's lock (`<path>.break`) left by a
 * process that died while breaking.
 *
 * @returns The paths removed.
 */
export async function removeStaleLock(
  path: string,
  staleMs: number,
): Promise<string[]> {
  const removed: string[] = [];
  const breaker = `${path}.break`;
  try {
    if (Date.now() - (await lstat(breaker)).mtimeMs > BREAKER_STALE_MS) {
      await rm(breaker, { force: true });
      removed.push(breaker);
    }
  } catch (err) {
    if (!isMissing(err)) throw err;
  }
  const seen = await readLock(path);
  if (seen !== undefined && (await isStaleLock(path, seen, staleMs))) {
    await breakStale(path, seen, staleMs);
    if ((await readLock(path)) !== seen) removed.push(path);
  }
  return removed;
}

/** What {@linkcode acquireLock} throws when the wait runs out. */
export class LockTimeout extends Error {
  /** Who held it, as read from the file (may be empty). */
  readonly holder: string;
  constructor(holder: string) {
    super("lock wait timed out");
    this.holder = holder;
  }
}

/**
 * Takes the lock file `path`, waiting (with backoff) while a live holder
 * has it and breaking it when it is stale.
 *
 * @throws {LockTimeout} After `timeoutMs` of waiting.
 */
export async function acquireLock(
  path: string,
  options: LockOptions,
): Promise<HeldLock> {
  const { signal, staleMs, timeoutMs } = options;
  const me: Holder = {
    pid: currentPid(),
    start: PROCESS_START_MS,
    host: await hostName(),
    time: Date.now(),
    nonce: crypto.randomUUID(),
  };
  const text = JSON.stringify(me);
  const deadline = Date.now() + timeoutMs;
  let delay = 2;
  for (;;) {
    signal?.throwIfAborted();
    if (await createLockFile(path, text)) break;
    const seen = await readLock(path);
    if (seen === undefined) continue;
    if (await isStaleLock(path, seen, staleMs)) {
      if (await breakStale(path, seen, staleMs)) continue;
    }
    if (Date.now() > deadline) throw new LockTimeout(seen);
    await sleep(delay / 2 + Math.random() * delay / 2, signal);
    delay = Math.min(delay * 2, 100);
  }
  const isHeld = async () => (await readLock(path)) === text;
  return {
    isHeld,
    async release() {
      if (await isHeld()) await rm(path, { force: true });
    },
  };
}
