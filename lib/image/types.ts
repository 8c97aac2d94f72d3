/**
 * Options shared by {@linkcode pullImage}, {@linkcode pushImage} and
 * {@linkcode copyImage}: how to reach a registry, next to the transfer
 * options ({@linkcode TransferOptions}) every copy between stores takes.
 *
 * @example
 * ```ts
 * import { copyImage, type TransferOptions } from "jsr:@scope/docker-registry-client";
 *
 * const options: TransferOptions = { platform: "linux/amd64", concurrency: 8 };
 * const result = await copyImage("http://127.0.0.1:5000/a:1", "http://127.0.0.1:5000/b:1", options);
 * console.log(result.digest, result.blobsCopied);
 * ```
 *
 * @module
 */

import type { ClientOptions } from "../registry/client.ts";
export type { ImageTransferResult, TransferOptions } from "../content/copy.ts";

/** How to reach a registry: every {@linkcode ClientOptions} field but `repo`. */
export type ImageClientOptions = Omit<ClientOptions, "repo">;
