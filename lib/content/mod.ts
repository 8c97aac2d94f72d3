/**
 * Stores and copying: the {@linkcode ImageStore} interface every place an
 * image can live implements, {@linkcode copy} between any two stores, the
 * in-memory store, the one streaming verifier, and progress events.
 *
 * @example
 * ```ts
 * import { copy, MemoryStore, RegistryStore } from "jsr:@scope/docker-registry-client";
 *
 * await copy(new RegistryStore("http://127.0.0.1:5000/app:1"), new MemoryStore(), { tag: "1" });
 * ```
 *
 * @module
 */

export * from "./store.ts";
export * from "./copy.ts";
export * from "./progress.ts";
export * from "./memory_store.ts";
export * from "./verify.ts";
