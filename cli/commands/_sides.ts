// For commands between two stores (copy, append, mutate, flatten, index):
// stores whose failures say which side they are, even when the error
// surfaces on the other side (lib/content/_side_store.ts), and one auth
// state for both sides on one registry. Loaded only when such a command
// runs.

import type { ImageStore } from "../../lib/content/store.ts";
import type { RegistryAuth } from "../../lib/transport/auth.ts";

export { sideStore } from "../../lib/content/_side_store.ts";

/**
 * `store`, or — when it and `other` are repositories of one registry (one
 * base URL) — `store` closed and opened again by `reopen` with `other`'s
 * auth state (its ping answer, tokens and credentials): one ping and one
 * token for both sides, and blobs mounted between them. For sides that
 * use the same credentials only.
 */
export async function sharingAuth(
  store: ImageStore,
  other: ImageStore,
  reopen: (auth: RegistryAuth) => Promise<ImageStore>,
): Promise<ImageStore> {
  const { RegistryStore } = await import("../../lib/registry/store.ts");
  if (
    !(store instanceof RegistryStore) || !(other instanceof RegistryStore) ||
    store.client.baseUrl !== other.client.baseUrl
  ) {
    return store;
  }
  await store.close();
  return await reopen(other.client.auth);
}
