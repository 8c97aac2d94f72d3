// `dreg referrers REF`: the manifests whose subject is REF.

import { stringFlag } from "../args.ts";
import type { Command } from "../common.ts";
import { clientFor, printJson, refArg } from "../common.ts";

export const referrers: Command = {
  name: "referrers",
  args: "REF",
  summary: "List the referrers of a manifest (signatures, SBOMs, ...).",
  description:
    "Uses the OCI 1.1 referrers API, or the <alg>-<hex> fallback tag.\n" +
    "With --json, prints the referrers index.",
  examples: [
    "dreg referrers http://127.0.0.1:5000/foo:1",
    "dreg referrers --artifact-type application/spdx+json --json http://127.0.0.1:5000/foo:1",
  ],
  flags: [{
    name: "--artifact-type",
    value: "TYPE",
    help: "only referrers of this artifact type",
  }],
  arity: [1, 1],
  async run(args, io) {
    const ref = refArg(args.positional[0]);
    const client = clientFor(ref, args);
    const digest = ref.digest ?? (await client.headManifest()).digest;
    const artifactType = stringFlag(args, "--artifact-type");
    const index = await client.getReferrers(digest, { artifactType });
    if (args.flags.has("--json")) {
      printJson(io, index);
      return 0;
    }
    for (const d of index.manifests) {
      io.out(`${d.digest}  ${d.artifactType ?? d.mediaType}  ${d.size}\n`);
    }
    return 0;
  },
};
