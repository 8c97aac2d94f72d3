/**
 * What the fake registry's router hands to each endpoint handler.
 *
 * @module
 */

import type { FakeFaults, FakeRateLimit } from "./_fake_types.ts";
import type { FakeStore } from "./_fake_store.ts";

/** The options of the fake with their defaults filled in. */
export interface ResolvedOptions {
  /** The relay's port; 0 for a free one. */
  port: number;
  auth: "none" | "basic" | "bearer";
  username: string;
  password: string;
  tokenLifetimeSeconds: number;
  referrersApi: boolean;
  answerOciSubject: boolean;
  chunkMinLength: number | undefined;
  tagPageLimit: number;
}

/** The state of one fake registry, shared by its handlers. */
export interface RegistryState {
  readonly options: ResolvedOptions;
  /** Live: read on every request. */
  readonly faults: FakeFaults;
  readonly store: FakeStore;
  readonly secondOriginUrl: string;
  readonly rateLimit: FakeRateLimit | undefined;
}

/** One request being answered. */
export interface Context {
  req: Request;
  url: URL;
  method: string;
  /** Path and query, as the client sent them. */
  pathAndQuery: string;
  /** Repository name (already validated), when the route has one. */
  name: string;
  /** Tag, digest or upload UUID from the path, when the route has one. */
  ref: string;
  state: RegistryState;
  /** Cuts the client's TCP connection at once. */
  kill(): void;
}

/** Answers one endpoint. */
export type Handler = (ctx: Context) => Response | Promise<Response>;
