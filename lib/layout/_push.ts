// Private: `OciLayout.push` — a blob written verified, or a manifest written
// and listed in `index.json` (tagged, as a referrer, or when asked).

import {
  bytesOf,
  isManifestMediaType,
  manifestEntry,
} from "../content/_manifest.ts";
import type {
  PushAction,
  PushContent,
  StorePushOptions,
} from "../content/store.ts";
import type { Descriptor } from "../ref/media_types.ts";
import {
  OciLayoutError,
  type WriteLayoutBlobOptions,
  type WrittenLayoutBlob,
} from "./options.ts";

/** What {@linkcode pushToLayout} needs of the layout. */
export interface PushTarget {
  readonly path: string;
  hasBlob(digest: string, size?: number): Promise<boolean>;
  writeBlob(
    source: ReadableStream<Uint8Array> | Uint8Array,
    options: WriteLayoutBlobOptions,
  ): Promise<WrittenLayoutBlob>;
  setTag(tag: string | undefined, descriptor: Descriptor): Promise<void>;
}

/** Writes a blob or a manifest (by media type) into the layout. */
export async function pushToLayout(
  layout: PushTarget,
  descriptor: Descriptor,
  content: PushContent,
  options: StorePushOptions,
): Promise<PushAction> {
  const { signal } = options;
  if (!isManifestMediaType(descriptor.mediaType)) {
    let has: boolean;
    try {
      has = await layout.hasBlob(descriptor.digest, descriptor.size);
    } catch (err) {
      // A stream given is released (a response body keeps its connection).
      if (content instanceof ReadableStream) {
        await content.cancel(err).catch(() => {});
      }
      throw err;
    }
    if (has) {
      if (content instanceof ReadableStream) await content.cancel();
      return "exists";
    }
    const source = typeof content === "function" ? await content() : content;
    const { existed } = await layout.writeBlob(source, {
      digest: descriptor.digest,
      size: descriptor.size,
      signal,
      onBytes: options.onBytes,
    });
    return existed ? "exists" : "copied";
  }
  const bytes = await bytesOf(content, descriptor, layout.path);
  const { existed } = await layout.writeBlob(bytes, {
    digest: descriptor.digest,
    size: descriptor.size,
    signal,
  });
  options.onBytes?.(bytes.byteLength);
  const { entry, referrer } = manifestEntry(
    bytes,
    descriptor,
    (problem) =>
      new OciLayoutError(
        `push manifest ${descriptor.digest}`,
        problem,
        layout.path,
      ),
  );
  if (options.tag !== undefined) await layout.setTag(options.tag, entry);
  else if (referrer) await layout.setTag(undefined, referrer);
  else if (options.listed) await layout.setTag(undefined, entry);
  return existed ? "exists" : "copied";
}
