/**
 * Whole-image operations: {@linkcode pullImage} (registry → OCI layout),
 * {@linkcode pushImage} (OCI layout → registry) and {@linkcode copyImage}
 * (registry → registry), with their options, results and progress events.
 *
 * @example
 * ```ts
 * import { copyImage } from "jsr:@scope/docker-registry-client";
 *
 * await copyImage("http://127.0.0.1:5000/foo:1", "http://127.0.0.1:5000/bar:1");
 * ```
 *
 * @module
 */

export * from "./types.ts";
export * from "../content/progress.ts";
export * from "./pull.ts";
export * from "./push.ts";
export * from "./copy.ts";
