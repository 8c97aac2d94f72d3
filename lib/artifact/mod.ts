/**
 * Artifacts and signatures: files pushed and pulled as OCI artifacts (as
 * oras does), the tree of what refers to a manifest, and an image's
 * signatures, attestations and SBOMs (cosign's tags and OCI referrers),
 * found and copied along.
 *
 * @example Push two files attached to an image, then pull them back
 * ```ts
 * import { pullArtifact, pushArtifact, RegistryStore } from "jsr:@scope/docker-registry-client";
 *
 * const store = new RegistryStore("http://127.0.0.1:5000/app:sbom", { access: "push" });
 * await pushArtifact(store, ["sbom.spdx.json", "notes.txt"], {
 *   artifactType: "application/spdx+json",
 *   subject: "1",
 * });
 * await pullArtifact(store, "./out");
 * ```
 *
 * @module
 */

export * from "./types.ts";
export * from "./push.ts";
export * from "./pull.ts";
export * from "./referrers_tree.ts";
export * from "./signatures.ts";
