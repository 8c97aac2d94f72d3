/**
 * How the fake registry applies its switchable faults: matching a request
 * against a fault's filters, counting uses so that "once" works, and the
 * body streams that break, corrupt or never end.
 *
 * @module
 */

import type { FakeFaults, FaultFilter } from "./_fake_types.ts";

/** Faults that carry filters and a `times` counter. */
export type CountedFaultKey =
  | "status"
  | "dropAfterBytes"
  | "flipByte"
  | "dropUploadAfterBytes"
  | "trickle"
  | "uploadUnauthorized"
  | "expireTokensAt";

/** Default `times` of each counted fault. */
const DEFAULT_TIMES: Readonly<Record<CountedFaultKey, number>> = {
  status: 1,
  dropAfterBytes: 1,
  flipByte: Infinity,
  dropUploadAfterBytes: 1,
  trickle: Infinity,
  uploadUnauthorized: 1,
  expireTokensAt: 1,
};

/** Uses of each fault object, kept outside the caller's objects. */
const uses = new WeakMap<object, number>();

/** Whether a fault's `path` and `method` filters match a request. */
export function matches(
  filter: { path?: RegExp; method?: string },
  method: string,
  pathAndQuery: string,
): boolean {
  if (filter.method && filter.method.toUpperCase() !== method) return false;
  if (filter.path) {
    filter.path.lastIndex = 0;
    if (!filter.path.test(pathAndQuery)) return false;
  }
  return true;
}

/**
 * The fault `key` when it applies to this request, counting one use; the
 * fault is removed from `faults` once it has been used `times` times.
 */
export function takeFault<K extends CountedFaultKey>(
  faults: FakeFaults,
  key: K,
  method: string,
  pathAndQuery: string,
): NonNullable<FakeFaults[K]> | undefined {
  const fault = faults[key] as
    | (FaultFilter & FakeFaults[K])
    | undefined;
  if (fault === undefined || !matches(fault, method, pathAndQuery)) {
    return undefined;
  }
  const used = (uses.get(fault) ?? 0) + 1;
  uses.set(fault, used);
  if (used >= (fault.times ?? DEFAULT_TIMES[key]) && faults[key] === fault) {
    delete faults[key];
  }
  return fault as NonNullable<FakeFaults[K]>;
}

/** A copy of `bytes` (a slice starting at `start` of the object) with the
 * byte at object offset `offset` inverted, if it falls inside. */
export function flipByte(
  bytes: Uint8Array,
  offset: number,
  start = 0,
): Uint8Array<ArrayBuffer> {
  const copy = bytes.slice();
  const at = offset - start;
  if (at >= 0 && at < copy.byteLength) copy[at] ^= 0xff;
  return copy;
}

/**
 * A body that sends the first `after` bytes of `bytes` and then fails, so
 * that the server aborts the response mid-body.
 */
export function droppingStream(
  bytes: Uint8Array,
  after: number,
): ReadableStream<Uint8Array> {
  let sent = false;
  return new ReadableStream({
    pull(controller) {
      const prefix = bytes.slice(0, Math.max(0, after));
      if (!sent && prefix.byteLength > 0) {
        sent = true;
        controller.enqueue(prefix);
        return;
      }
      controller.error(new Error("fake registry: connection dropped"));
    },
  });
}

const HUGE_CHUNK = 64 * 1024;
const HUGE_PREFIX = new TextEncoder().encode('{"padding":"');

/**
 * A body of `total` bytes generated as it is read: a JSON-looking prefix
 * followed by `a`s that never close.
 */
export function hugeStream(total: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      const size = Math.min(HUGE_CHUNK, total - sent);
      if (size <= 0) {
        controller.close();
        return;
      }
      const chunk = new Uint8Array(size).fill(0x61);
      if (sent === 0) chunk.set(HUGE_PREFIX.subarray(0, size));
      sent += size;
      controller.enqueue(chunk);
    },
  });
}
