// `dreg platforms REF`: the platforms of an index, or of a single image.

import { isImageIndex } from "../../lib/ref/media_types.ts";
import { formatPlatform } from "../../lib/ref/platform.ts";
import type { Command } from "../common.ts";
import { clientFor, printJson, refArg } from "../common.ts";
import { readConfig } from "./_image.ts";

interface PlatformRow {
  platform: string;
  digest: string;
  mediaType: string;
  size: number;
}

export const platforms: Command = {
  name: "platforms",
  args: "REF",
  summary: "List the platforms of an image (index entries, or the config's).",
  examples: [
    "dreg platforms http://127.0.0.1:5000/foo:1",
    "dreg platforms --json alpine:3.20",
  ],
  flags: [],
  arity: [1, 1],
  async run(args, io) {
    const client = clientFor(refArg(args.positional[0]), args);
    const r = await client.getManifest();
    const rows: PlatformRow[] = [];
    if (isImageIndex(r.manifest)) {
      for (const d of r.manifest.manifests) {
        rows.push({
          platform: d.platform ? formatPlatform(d.platform) : "",
          digest: d.digest,
          mediaType: d.mediaType,
          size: d.size,
        });
      }
    } else if ("config" in r.manifest) {
      const config = JSON.parse(
        new TextDecoder().decode(await readConfig(client, r.manifest)),
      ) as { os?: string; architecture?: string; variant?: string };
      rows.push({
        platform: formatPlatform({
          os: config.os ?? "",
          architecture: config.architecture ?? "",
          variant: config.variant,
        }),
        digest: r.digest,
        mediaType: r.mediaType,
        size: r.size,
      });
    }
    if (args.flags.has("--json")) {
      printJson(io, {
        digest: r.digest,
        mediaType: r.mediaType,
        platforms: rows,
      });
      return 0;
    }
    const width = Math.max(8, ...rows.map((x) => x.platform.length));
    for (const row of rows) {
      io.out(`${(row.platform || "-").padEnd(width)}  ${row.digest}\n`);
    }
    return 0;
  },
};
