/**
 * Mirroring: {@linkcode sync} and {@linkcode syncAll} copy repositories, or
 * a whole registry, into a registry or a directory of OCI layouts,
 * incrementally; tag filters; sync files (YAML or JSON).
 *
 * @example
 * ```ts
 * import { sync } from "jsr:@scope/docker-registry-client";
 *
 * const summary = await sync("http://127.0.0.1:5000/app", "http://127.0.0.1:5001/app", {
 *   tags: { semver: ">=1.0" },
 * });
 * console.log(summary.copied, summary.skipped, summary.failed);
 * ```
 *
 * @module
 */

export * from "./sync.ts";
export * from "./config.ts";
export * from "./filters.ts";
export type {
  SyncCounts,
  SyncEvent,
  SyncImageAction,
  SyncImageResult,
  SyncRepositoryResult,
  SyncSummary,
} from "./summary.ts";
