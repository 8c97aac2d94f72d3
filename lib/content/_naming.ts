// Private: errors that say where they happened. A registry error whose
// message does not name its registry gets the host in front
// (`127.0.0.1:5000: Cannot get manifest …`), and an operation between two
// stores (a copy, a sync, an image built from one store into another) puts
// the side that failed in front (`source: …`, `destination: …`). The
// first side to see an error names it, so an error that surfaces on the
// other side (a source stream that breaks while the destination reads it)
// keeps the side it came from. A call stopped by its own signal is not a
// failure of a side: its error (the signal's reason) is left as it is.
// Light: `dreg` loads it on start-up.

import { RegistryError } from "../errors.ts";

/** Which side of an operation between two stores failed. */
export type Side = "source" | "destination";

/** Errors already given a side: the first side to see an error names it. */
const SIDED = new WeakSet<Error>();

/** Sets an error's message, unless it cannot be set (a `DOMException`). */
function setMessage(err: Error, message: string): void {
  try {
    err.message = message;
  } catch {
    // Read-only: left as it is.
  }
}

/** Names the host in a registry error whose message does not already. */
export function nameHost(err: unknown, host: string): unknown {
  if (err instanceof RegistryError && !err.message.includes(host)) {
    setMessage(err, `${host}: ${err.message}`);
  }
  return err;
}

/** Puts `side: ` in front of an error's message, unless it has a side. */
export function nameSide(err: unknown, side: string): unknown {
  if (err instanceof Error && !SIDED.has(err)) {
    SIDED.add(err);
    if (!err.message.startsWith(`${side}: `)) {
      setMessage(err, `${side}: ${err.message}`);
    }
  }
  return err;
}

/** Names the host (when given) then the side (when given) of an error. */
export function nameWhere(
  err: unknown,
  side: Side | undefined,
  host: string | undefined,
): unknown {
  const named = host === undefined ? err : nameHost(err, host);
  return side === undefined ? named : nameSide(named, side);
}

/** Whether a call was stopped by a signal among its arguments' options. */
function stopped(args: unknown[]): boolean {
  return args.some((a) =>
    typeof a === "object" && a !== null &&
    (a as { signal?: AbortSignal }).signal?.aborted === true
  );
}

/**
 * The object, each of its methods' failures (thrown, or a rejected promise)
 * passed through `name` first — but for a call stopped by the signal in its
 * options. Methods run on the object itself, so private fields and getters
 * work as before. `wrapResult` may wrap what a method returns; it gets the
 * naming function of that call.
 */
export function naming<T extends object>(
  target: T,
  name: (err: unknown) => unknown,
  wrapResult: (
    prop: string | symbol,
    result: unknown,
    args: unknown[],
    name: (err: unknown) => unknown,
  ) => unknown = (_, r) => r,
): T {
  return new Proxy(target, {
    get(obj, prop) {
      const value = Reflect.get(obj, prop, obj);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const fail = (err: unknown) => stopped(args) ? err : name(err);
        let result: unknown;
        try {
          result = value.apply(obj, args);
        } catch (err) {
          throw fail(err);
        }
        if (!(result instanceof Promise)) return result;
        return result.then(
          (r) => wrapResult(prop, r, args, fail),
          (err) => {
            throw fail(err);
          },
        );
      };
    },
  });
}
