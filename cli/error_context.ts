// Errors that say where they happened: the registry's host in front of a
// registry error that does not name it ("127.0.0.1:5000: Cannot get
// manifest ..."), and for copy the side that failed ("source: ",
// "destination: "; see commands/_sides.ts). Light: on every command's
// start-up path.

import { RegistryError } from "../lib/errors.ts";

/** Errors already given a side: the first side to see an error names it. */
const SIDED = new WeakSet<Error>();

/** Names the host in a registry error whose message does not already. */
export function nameHost(err: unknown, host: string): unknown {
  if (err instanceof RegistryError && !err.message.includes(host)) {
    err.message = `${host}: ${err.message}`;
  }
  return err;
}

/** Puts `side: ` in front of an error's message, unless it has a side. */
export function nameSide(err: unknown, side: string): unknown {
  if (err instanceof Error && !SIDED.has(err)) {
    SIDED.add(err);
    if (!err.message.startsWith(`${side}: `)) {
      err.message = `${side}: ${err.message}`;
    }
  }
  return err;
}

/** Runs a step against a registry; its registry errors name the host. */
export async function atHost<T>(
  host: string,
  step: () => Promise<T>,
): Promise<T> {
  try {
    return await step();
  } catch (err) {
    throw nameHost(err, host);
  }
}

/**
 * The object, each of its methods' failures (thrown, or a rejected promise)
 * passed through `name` first. Methods run on the object itself, so private
 * fields and getters work as before.
 */
export function naming<T extends object>(
  target: T,
  name: (err: unknown) => unknown,
  wrapResult: (
    prop: string | symbol,
    result: unknown,
    args: unknown[],
  ) => unknown = (_, r) => r,
): T {
  return new Proxy(target, {
    get(obj, prop) {
      const value = Reflect.get(obj, prop, obj);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        let result: unknown;
        try {
          result = value.apply(obj, args);
        } catch (err) {
          throw name(err);
        }
        if (!(result instanceof Promise)) return result;
        return result.then(
          (r) => wrapResult(prop, r, args),
          (err) => {
            throw name(err);
          },
        );
      };
    },
  });
}

/** A registry client whose failures name its host. */
export function namingHost<T extends object>(client: T, host: string): T {
  return naming(client, (err) => nameHost(err, host));
}
