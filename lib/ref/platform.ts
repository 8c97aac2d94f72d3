/**
 * Platforms (`os/architecture[/variant]`) and choosing one from an image
 * index or manifest list.
 *
 * @module
 */

import type { Descriptor, ImageIndex, Platform } from "./media_types.ts";

/** A platform to look for; every field given must match. */
export interface PlatformSpec {
  /** Operating system, e.g. `linux`. */
  os?: string;
  /** CPU architecture, e.g. `amd64`. */
  architecture?: string;
  /** CPU variant, e.g. `v8`. */
  variant?: string;
}

/**
 * Parses `os/architecture[/variant]`, e.g. `linux/arm64/v8`.
 *
 * @param text The platform as written.
 * @returns The platform.
 * @throws {TypeError} When the text is not `os/arch[/variant]`.
 *
 * @example
 * ```ts
 * import { parsePlatform } from "jsr:@scope/docker-registry-client";
 *
 * console.log(parsePlatform("linux/arm64/v8")); // { os: "linux", architecture: "arm64", variant: "v8" }
 * ```
 */
export function parsePlatform(text: string): PlatformSpec {
  const parts = text.split("/");
  if (
    parts.length < 2 || parts.length > 3 ||
    parts.some((p) => !/^[a-zA-Z0-9._-]{1,64}$/.test(p))
  ) {
    throw new TypeError(
      `Invalid platform "${
        text.slice(0, 100)
      }": expected os/architecture[/variant], e.g. linux/amd64`,
    );
  }
  const [os, architecture, variant] = parts;
  return variant ? { os, architecture, variant } : { os, architecture };
}

/**
 * Formats a platform as `os/architecture[/variant]`.
 *
 * @param platform The platform.
 * @returns The text, e.g. `linux/arm64/v8`.
 *
 * @example
 * ```ts
 * import { formatPlatform } from "jsr:@scope/docker-registry-client";
 *
 * console.log(formatPlatform({ os: "linux", architecture: "amd64" })); // linux/amd64
 * ```
 */
export function formatPlatform(platform: PlatformSpec | Platform): string {
  return [platform.os, platform.architecture, platform.variant]
    .filter((p) => p !== undefined && p !== "").join("/");
}

/** The variant a platform has when it names none (docker's normalisation). */
function normalVariant(architecture?: string, variant?: string) {
  if (variant) return variant;
  if (architecture === "arm64") return "v8";
  if (architecture === "arm") return "v7";
  return undefined;
}

/**
 * Chooses the manifest for a platform from an index or manifest list.
 * Attestation entries (`unknown/unknown`) are never chosen. A spec without a
 * variant matches any variant, preferring the normal one (`arm64` → `v8`).
 *
 * @param index The index or manifest list.
 * @param want The platform wanted.
 * @returns The matching descriptor, or `undefined`.
 *
 * @example
 * ```ts
 * import { selectPlatform } from "jsr:@scope/docker-registry-client";
 *
 * const index = {
 *   schemaVersion: 2 as const,
 *   manifests: [
 *     { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: "sha256:" + "a".repeat(64), size: 1,
 *       platform: { os: "linux", architecture: "arm64", variant: "v8" } },
 *   ],
 * };
 * console.log(selectPlatform(index, { os: "linux", architecture: "arm64" })?.digest);
 * ```
 */
export function selectPlatform(
  index: ImageIndex,
  want: PlatformSpec,
): Descriptor | undefined {
  const candidates = index.manifests.filter((d) => {
    const p = d.platform;
    if (!p || p.os === "unknown" || p.architecture === "unknown") return false;
    if (want.os && p.os !== want.os) return false;
    if (want.architecture && p.architecture !== want.architecture) {
      return false;
    }
    if (
      want.variant &&
      normalVariant(p.architecture, p.variant) !==
        normalVariant(want.architecture, want.variant)
    ) return false;
    return true;
  });
  if (candidates.length <= 1 || want.variant) return candidates[0];
  return candidates.find((d) =>
    normalVariant(d.platform!.architecture, d.platform!.variant) ===
      normalVariant(d.platform!.architecture)
  ) ?? candidates[0];
}
