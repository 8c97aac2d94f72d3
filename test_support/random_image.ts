/**
 * Writes test images of random (incompressible) layers into an OCI image
 * layout, for tests and benchmarks of the image operations. Private test
 * support: not re-exported.
 *
 * @module
 */

import { MEDIA_TYPE } from "../lib/ref/media_types.ts";
import { OciLayout } from "../lib/layout/oci_layout.ts";
import { fillRandom } from "./tar.ts";

/**
 * Writes a layout holding one OCI image of `layers` random layers of `size`
 * bytes each (generated and written one at a time), tagged `tag`.
 *
 * @returns The manifest's digest.
 */
export async function makeRandomImage(
  dir: string,
  tag: string,
  layers: number,
  size: number,
): Promise<string> {
  const layout = await OciLayout.open(dir, { create: true });
  const descriptors = [];
  for (let i = 0; i < layers; i++) {
    const bytes = new Uint8Array(size);
    fillRandom(bytes);
    const w = await layout.writeBlob(bytes);
    descriptors.push({
      mediaType: MEDIA_TYPE.OCI_LAYER,
      digest: w.digest,
      size: w.size,
    });
  }
  const config = await layout.writeBlob(
    new TextEncoder().encode(JSON.stringify({
      architecture: "amd64",
      os: "linux",
      rootfs: { type: "layers", diff_ids: descriptors.map((d) => d.digest) },
    })),
  );
  const manifest = await layout.writeBlob(
    new TextEncoder().encode(JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPE.OCI_MANIFEST,
      config: {
        mediaType: MEDIA_TYPE.OCI_CONFIG,
        digest: config.digest,
        size: config.size,
      },
      layers: descriptors,
    })),
  );
  await layout.setTag(tag, {
    mediaType: MEDIA_TYPE.OCI_MANIFEST,
    digest: manifest.digest,
    size: manifest.size,
  });
  return manifest.digest;
}
