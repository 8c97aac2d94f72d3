// Private: a store whose failures say where they happened (see
// `_naming.ts`): which side of an operation between two stores it is, and
// for a registry its host. The streams it hands out carry that too, and
// stay marked verified.

import type { ImageStore, ReadOnlyImageStore } from "./store.ts";
import { isVerified, markVerified } from "./verify.ts";
import { nameWhere, naming, type Side } from "./_naming.ts";

/** A stream whose failure is passed through `name` first. */
function namingStream(
  stream: ReadableStream<Uint8Array>,
  name: (err: unknown) => unknown,
): ReadableStream<Uint8Array> {
  const reader = stream.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (err) {
        throw name(err);
      }
      if (chunk.done) controller.close();
      else controller.enqueue(chunk.value);
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
}

/**
 * A store whose failures say which side it is (when `side` is given) and,
 * for a registry, its host (when `host` is given):
 * `source: 127.0.0.1:5000: Cannot …`. The streams it hands out carry the
 * same names (and stay marked verified), so a source that breaks while the
 * destination reads it is still the source. With neither, the store itself.
 */
export function sideStore<T extends ImageStore | ReadOnlyImageStore>(
  store: T,
  side: Side | undefined,
  host?: string,
): T {
  if (side === undefined && host === undefined) return store;
  const name = (err: unknown) => nameWhere(err, side, host);
  return naming(store, name, (prop, result, args, fail) => {
    if (prop !== "fetch" || !(result instanceof ReadableStream)) return result;
    const wrapped = namingStream(result, fail);
    const digest = (args[0] as { digest?: string } | undefined)?.digest;
    return digest !== undefined && isVerified(result, digest)
      ? markVerified(wrapped, digest)
      : wrapped;
  });
}
