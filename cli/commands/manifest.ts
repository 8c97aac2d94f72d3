// `dreg manifest REF`: the manifest, exactly as the registry serves it.

import type { Command } from "../common.ts";
import {
  clientFor,
  PLATFORM_FLAG,
  platformArg,
  printJson,
  refArg,
} from "../common.ts";

export const manifest: Command = {
  name: "manifest",
  args: "REF",
  summary: "Print a manifest, byte for byte (verified against its digest).",
  description:
    "With --platform, an index is followed to that platform's manifest.\n" +
    "With --json, prints {digest, mediaType, size, manifest}.",
  examples: [
    "dreg manifest http://127.0.0.1:5000/foo:1",
    "dreg manifest --platform linux/arm64 alpine:3.20 | sha256sum",
  ],
  flags: [PLATFORM_FLAG],
  arity: [1, 1],
  async run(args, io) {
    const client = clientFor(refArg(args.positional[0]), args);
    const platform = platformArg(args);
    const r = await client.getManifest(undefined, { platform });
    if (args.flags.has("--json")) {
      printJson(io, {
        digest: r.digest,
        mediaType: r.mediaType,
        size: r.size,
        manifest: r.manifest,
      });
      return 0;
    }
    io.out(r.bytes);
    if (io.stdoutIsTerminal && r.bytes.at(-1) !== 0x0a) io.out("\n");
    return 0;
  },
};
