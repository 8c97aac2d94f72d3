// Private: one client per repository and side, and one auth state per
// registry (and set of credentials): the first client made for a registry
// owns its `RegistryAuth` — the ping answer, the tokens, the credentials —
// and every later client of that registry shares it (`auth`), so a sync of
// a thousand repositories pings each registry once and reuses its tokens.

import {
  type ClientOptions,
  createClient,
  type RegistryClientV2,
} from "../registry/client.ts";
import { parseRepo, type RegistryIndex } from "../ref/reference.ts";

/** Which side of the sync a client serves. */
export type Side = "src" | "dst";

/** How to reach a registry: client options without the repository. */
export type RegistryOptions = Omit<ClientOptions, "repo">;

/** `http://host` or `//host` (scheme left to the client): an index's key. */
export function indexKey(index: RegistryIndex): string {
  return `${index.scheme ? `${index.scheme}:` : ""}//${index.name}`;
}

/** `[scheme://]host/name`, a repository of an index, as references write it. */
export function repositoryRef(index: RegistryIndex, name: string): string {
  return `${index.scheme ? `${index.scheme}://` : ""}${index.name}/${name}`;
}

/** Clients by side, registry and repository, sharing auth per registry. */
export class ClientPool {
  readonly #optionsFor: (side: Side, host: string) => RegistryOptions;
  readonly #owners = new Map<string, RegistryClientV2>();
  readonly #clients = new Map<string, RegistryClientV2>();
  readonly #ids = new WeakMap<object, number>();
  #nextId = 1;

  /** @param optionsFor The client options of a side and registry host. */
  constructor(optionsFor: (side: Side, host: string) => RegistryOptions) {
    this.#optionsFor = optionsFor;
  }

  /** A number per object, to tell providers and fetches apart in keys. */
  #id(value: unknown): number {
    if (typeof value !== "object" && typeof value !== "function") return 0;
    if (value === null) return 0;
    let id = this.#ids.get(value);
    if (id === undefined) {
      id = this.#nextId++;
      this.#ids.set(value, id);
    }
    return id;
  }

  /** What makes two option sets authenticate alike. */
  #authKey(index: RegistryIndex, o: RegistryOptions): string {
    return JSON.stringify([
      indexKey(index),
      o.username ?? "",
      o.password ?? "",
      o.token ?? "",
      this.#id(o.credentials),
      this.#id(o.fetch),
      o.insecure ?? false,
      o.oauth2 ?? false,
    ]);
  }

  /**
   * The client of a repository on a side (made once). A registry's first
   * client owns the auth state the others share.
   */
  client(side: Side, index: RegistryIndex, name: string): RegistryClientV2 {
    const options = this.#optionsFor(side, index.name);
    const authKey = this.#authKey(index, options);
    const key = `${authKey} ${name}`;
    let client = this.#clients.get(key);
    if (client) return client;
    const owner = this.#owners.get(authKey);
    client = createClient({
      ...options,
      repo: parseRepo(repositoryRef(index, name)),
      ...(owner ? { auth: owner.auth } : {}),
    });
    if (!owner) this.#owners.set(authKey, client);
    this.#clients.set(key, client);
    return client;
  }

  /** Closes every client (the owners, whose transports the others use, last). */
  close(): void {
    const owners = new Set(this.#owners.values());
    for (const c of this.#clients.values()) if (!owners.has(c)) c.close();
    for (const c of owners) c.close();
    this.#clients.clear();
    this.#owners.clear();
  }
}
