// For copy: stores whose failures say which side they are, even when the
// error surfaces on the other side (a source stream that breaks while the
// destination reads it). Loaded only when a copy runs.

import type { ImageStore } from "../../lib/content/store.ts";
import { isVerified, markVerified } from "../../lib/content/verify.ts";
import { nameHost, nameSide, naming } from "../error_context.ts";

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
 * A store whose failures say which side of a copy it is, and for a
 * registry its host: `source: 127.0.0.1:5000: Cannot ...`. The streams it
 * hands out carry the side too (and stay marked verified), so a source that
 * breaks while the destination reads it is still the source.
 */
export function sideStore<T extends ImageStore>(
  store: T,
  side: "source" | "destination",
  host?: string,
): T {
  const name = (err: unknown) =>
    nameSide(host === undefined ? err : nameHost(err, host), side);
  return naming(store, name, (prop, result, args) => {
    if (prop !== "fetch" || !(result instanceof ReadableStream)) return result;
    const wrapped = namingStream(result, name);
    const digest = (args[0] as { digest?: string } | undefined)?.digest;
    return digest !== undefined && isVerified(result, digest)
      ? markVerified(wrapped, digest)
      : wrapped;
  });
}
