// Private: what the read side (client.ts) and the push side
// (manifest_push.ts) agree on about manifests — the default size cap, and
// the shape checks applied to JSON from a registry before it is used.

/** Manifests are read and written up to this many bytes by default (4 MiB). */
export const MANIFEST_SIZE_CAP = 4 * 1024 * 1024;

/** Whether a parsed JSON value is an object (not `null`, not an array). */
export function isJsonObject(
  value: unknown,
): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Whether every entry of a descriptor list (`manifests`) is an object. */
export function isObjectList(
  list: unknown,
): list is Record<string, unknown>[] {
  return Array.isArray(list) && list.every(isJsonObject);
}
