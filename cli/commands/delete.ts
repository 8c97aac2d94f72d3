// `dreg delete REF`: a manifest, by tag or digest.

import type { Command } from "../common.ts";
import { clientFor, printJson, refArg } from "../common.ts";

export const del: Command = {
  name: "delete",
  args: "REF",
  summary: "Delete a manifest by digest or tag.",
  description:
    "A tag is resolved to its digest when the registry refuses tag deletes,\n" +
    "which deletes the manifest and so every tag pointing at it.",
  examples: [
    "dreg delete http://127.0.0.1:5000/foo@sha256:...",
    "dreg delete http://127.0.0.1:5000/foo:old",
  ],
  flags: [],
  arity: [1, 1],
  async run(args, io) {
    const ref = refArg(args.positional[0]);
    const client = clientFor(ref, args);
    await client.deleteManifest((ref.digest ?? ref.tag)!);
    if (args.flags.has("--json")) {
      printJson(io, { deleted: ref.canonicalRef });
    } else io.out(`Deleted ${ref.canonicalRef}\n`);
    return 0;
  },
};
