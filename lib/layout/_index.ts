// Private: what an OCI layout's `index.json` says, as pure functions shared
// by the layout directory and the archives (a tar of a layout): parsing it,
// finding a tag or digest, tagging, untagging, and the referrers it lists.

import {
  type Descriptor,
  type ImageIndex,
  MEDIA_TYPE,
} from "../ref/media_types.ts";
import {
  isManifestMediaType,
  referrerDescriptor,
} from "../content/_manifest.ts";
import type { ManifestData } from "../content/store.ts";

/** The annotation that holds an `index.json` entry's tag. */
export const REF_NAME_ANNOTATION = "org.opencontainers.image.ref.name";

/** The largest manifest or `index.json` read from a layout (16 MiB). */
export const MAX_JSON_BYTES = 16 * 1024 * 1024;

/** An index with no entries. */
export function emptyIndex(): ImageIndex {
  return { schemaVersion: 2, mediaType: MEDIA_TYPE.OCI_INDEX, manifests: [] };
}

/** Parses `index.json`; `fail` builds the error for what is not an index. */
export function parseIndexJson(
  bytes: Uint8Array,
  fail: (problem: string, cause?: unknown) => Error,
): ImageIndex {
  let index: ImageIndex;
  try {
    index = JSON.parse(new TextDecoder().decode(bytes));
  } catch (cause) {
    throw fail("index.json is not JSON", cause);
  }
  if (
    typeof index !== "object" || index === null || Array.isArray(index) ||
    !Array.isArray(index.manifests ?? [])
  ) {
    throw fail("index.json is not an image index");
  }
  index.manifests ??= [];
  for (const d of index.manifests) {
    if (typeof d !== "object" || d === null || typeof d.digest !== "string") {
      throw fail("index.json has an entry without a digest");
    }
  }
  return index;
}

/** The tag of an entry, if any. */
export function tagOf(d: Descriptor): string | undefined {
  const tag = d.annotations?.[REF_NAME_ANNOTATION];
  return typeof tag === "string" ? tag : undefined;
}

/** The tags of an index, in order. */
export function tagsOf(index: ImageIndex): string[] {
  return index.manifests.map(tagOf).filter((t): t is string => t !== undefined);
}

/** Builds a store's error; `notFound` marks what is missing. */
export type StoreErrorFactory = (
  attempted: string,
  problem: string,
  notFound: boolean,
) => Error;

/**
 * The entry a tag or digest names; without one, the only entry (or the only
 * tagged one).
 *
 * @throws What `fail` builds: not found when there is no such entry, or
 * when no reference is given and the index is empty or ambiguous.
 */
export function findEntry(
  index: ImageIndex,
  reference: string | undefined,
  storeLabel: string,
  fail: StoreErrorFactory,
): Descriptor {
  const attempted = `find ${
    reference === undefined ? "the image" : `"${reference}"`
  } in ${storeLabel}`;
  const tags = () => {
    const all = tagsOf(index);
    return all.length ? `(tags: ${all.join(", ")})` : "(no tags)";
  };
  if (reference === undefined) {
    if (index.manifests.length === 1) return index.manifests[0];
    const tagged = index.manifests.filter((d) => tagOf(d) !== undefined);
    if (tagged.length === 1) return tagged[0];
    if (index.manifests.length === 0) {
      throw fail(attempted, "it is empty", true);
    }
    throw fail(
      attempted,
      `it holds ${index.manifests.length} entries: name one ${tags()}`,
      false,
    );
  }
  const found = reference.includes(":")
    ? index.manifests.find((d) => d.digest === reference)
    : index.manifests.findLast((d) => tagOf(d) === reference);
  if (!found) {
    throw fail(attempted, `no such tag ${tags()}`, true);
  }
  return found;
}

/**
 * The index with an entry added: tagged (replacing any entry with that
 * tag), or untagged (kept once per digest). `undefined` when nothing
 * changes.
 */
export function withEntry(
  index: ImageIndex,
  tag: string | undefined,
  descriptor: Descriptor,
): ImageIndex | undefined {
  const { annotations, ...rest } = descriptor;
  const others = { ...annotations };
  delete others[REF_NAME_ANNOTATION];
  const entry: Descriptor = tag === undefined
    ? { ...rest }
    : { ...rest, annotations: { ...others, [REF_NAME_ANNOTATION]: tag } };
  if (tag === undefined && Object.keys(others).length) {
    entry.annotations = others;
  }
  let manifests: Descriptor[];
  if (tag === undefined) {
    if (
      index.manifests.some((d) =>
        d.digest === entry.digest && tagOf(d) === undefined
      )
    ) return undefined;
    manifests = [...index.manifests, entry];
  } else {
    const current = index.manifests.filter((d) => tagOf(d) === tag);
    if (
      current.length === 1 && current[0].digest === entry.digest &&
      JSON.stringify(current[0]) === JSON.stringify(entry)
    ) return undefined;
    manifests = [...index.manifests.filter((d) => tagOf(d) !== tag), entry];
  }
  return {
    ...index,
    schemaVersion: 2,
    mediaType: index.mediaType ?? MEDIA_TYPE.OCI_INDEX,
    manifests,
  };
}

/**
 * The index without a tag (a string) or without every entry of a digest (a
 * descriptor). `undefined` when nothing changes.
 */
export function withoutEntry(
  index: ImageIndex,
  target: string | Descriptor,
): ImageIndex | undefined {
  const keep = typeof target === "string"
    ? (d: Descriptor) => tagOf(d) !== target
    : (d: Descriptor) => d.digest !== target.digest;
  const manifests = index.manifests.filter(keep);
  if (manifests.length === index.manifests.length) return undefined;
  return { ...index, manifests };
}

/**
 * The entries of an index whose manifest has `subject` = `digest` (a layout
 * keeps referrers as untagged entries), optionally of one artifact type;
 * `read` gives an entry's manifest, or `undefined` when its blob is missing.
 */
export async function referrersIn(
  index: ImageIndex,
  digest: string,
  artifactType: string | undefined,
  read: (entry: Descriptor) => Promise<ManifestData | undefined>,
): Promise<Descriptor[]> {
  const seen = new Set<string>();
  const out: Descriptor[] = [];
  for (const entry of index.manifests) {
    if (seen.has(entry.digest)) continue;
    seen.add(entry.digest);
    if (!isManifestMediaType(entry.mediaType ?? "")) continue;
    const data = await read(entry);
    if (!data) continue;
    const r = referrerDescriptor(data.descriptor, data.manifest);
    if (r?.subject !== digest) continue;
    if (
      artifactType !== undefined && r.descriptor.artifactType !== artifactType
    ) continue;
    out.push(r.descriptor);
  }
  return out;
}
