// `dreg digest REF`: the manifest's digest.

import type { Command } from "../common.ts";
import {
  clientFor,
  PLATFORM_FLAG,
  platformArg,
  printJson,
  refArg,
} from "../common.ts";

export const digest: Command = {
  name: "digest",
  args: "REF",
  summary: "Print the digest of a manifest.",
  description:
    "With --platform, the digest of that platform's manifest in an index.",
  examples: [
    "dreg digest http://127.0.0.1:5000/foo:1",
    "dreg digest --platform linux/amd64 alpine:3.20",
  ],
  flags: [PLATFORM_FLAG],
  arity: [1, 1],
  async run(args, io) {
    const client = clientFor(refArg(args.positional[0]), args);
    const platform = platformArg(args);
    const r = platform
      ? await client.getManifest(undefined, { platform })
      : await client.headManifest();
    if (args.flags.has("--json")) {
      printJson(io, { digest: r.digest, mediaType: r.mediaType, size: r.size });
    } else io.out(`${r.digest}\n`);
    return 0;
  },
};
