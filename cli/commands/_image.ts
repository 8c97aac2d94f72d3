// Shared by `config` and `platforms`: reading an image's manifest and config.

import type { RegistryClientV2 } from "../../lib/registry/client.ts";
import { InvalidResponseError } from "../../lib/errors.ts";
import {
  type ImageManifest,
  isImageIndex,
  isImageManifest,
} from "../../lib/ref/media_types.ts";
import { formatPlatform, type PlatformSpec } from "../../lib/ref/platform.ts";
import { UsageError } from "../args.ts";

/** Configs are read up to this size. */
const MAX_CONFIG_BYTES = 64 * 1024 * 1024;

/** The platforms an index lists, attestations (`unknown/unknown`) left out. */
export function indexPlatforms(
  manifests: { platform?: PlatformSpec }[],
): string[] {
  return manifests
    .filter((d) => d.platform && d.platform.os !== "unknown")
    .map((d) => formatPlatform(d.platform!));
}

/**
 * The image manifest a reference names: an index is followed to the
 * platform given, or to its only platform.
 */
export async function imageManifest(
  client: RegistryClientV2,
  platform: PlatformSpec | undefined,
): Promise<{ manifest: ImageManifest; digest: string }> {
  let r = await client.getManifest(undefined, { platform });
  if (isImageIndex(r.manifest)) {
    const platforms = indexPlatforms(r.manifest.manifests);
    if (platforms.length !== 1) {
      throw new UsageError(
        `${client.repo.canonicalRef} is an index of ${platforms.length} platforms (${
          platforms.join(", ")
        }): choose one with --platform`,
      );
    }
    const only = r.manifest.manifests.find((d) =>
      d.platform && d.platform.os !== "unknown"
    )!;
    r = await client.getManifest(only.digest);
  }
  if (!isImageManifest(r.manifest)) {
    throw new InvalidResponseError(
      `read the config of "${client.repo.canonicalRef}"`,
      `the manifest (${r.mediaType}) has no config`,
    );
  }
  return { manifest: r.manifest, digest: r.digest };
}

/** Reads an image's config blob (verified), as bytes. */
export async function readConfig(
  client: RegistryClientV2,
  manifest: ImageManifest,
): Promise<Uint8Array> {
  const { digest, size } = manifest.config;
  if (size > MAX_CONFIG_BYTES) {
    throw new InvalidResponseError(
      `read config ${digest}`,
      `${size} bytes is over ${MAX_CONFIG_BYTES}`,
    );
  }
  const { stream } = await client.createBlobReadStream(digest, { size });
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
