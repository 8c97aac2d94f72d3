// `dreg config REF`: the image's config blob.

import type { Command } from "../common.ts";
import {
  clientFor,
  PLATFORM_FLAG,
  platformArg,
  printJson,
  refArg,
} from "../common.ts";
import { imageManifest, readConfig } from "./_image.ts";

export const config: Command = {
  name: "config",
  args: "REF",
  summary: "Print an image's config, byte for byte (verified).",
  description: "An index needs --platform unless it has a single platform.\n" +
    "With --json, prints {digest, mediaType, size, config}.",
  examples: [
    "dreg config http://127.0.0.1:5000/foo:1",
    "dreg config --platform linux/arm64 --json alpine:3.20",
  ],
  flags: [PLATFORM_FLAG],
  arity: [1, 1],
  async run(args, io) {
    const client = clientFor(refArg(args.positional[0]), args);
    const { manifest } = await imageManifest(client, platformArg(args));
    const bytes = await readConfig(client, manifest);
    if (args.flags.has("--json")) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(new TextDecoder().decode(bytes));
      } catch {
        parsed = null;
      }
      printJson(io, {
        digest: manifest.config.digest,
        mediaType: manifest.config.mediaType,
        size: manifest.config.size,
        config: parsed,
      });
      return 0;
    }
    io.out(bytes);
    if (io.stdoutIsTerminal && bytes.at(-1) !== 0x0a) io.out("\n");
    return 0;
  },
};
