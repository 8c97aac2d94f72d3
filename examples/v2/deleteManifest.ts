#!/usr/bin/env -S deno run --allow-net --allow-read --allow-env
// Usage: deleteManifest.ts [-u USER -p PASS] [--insecure] REPO[:TAG|@DIGEST]
// Deletes a manifest by digest, or by tag (resolved to its digest where the
// registry refuses tag deletes, which then removes every tag pointing at it).

import { clientFor, parseArgs, printJson, run } from "./_common.ts";

const USAGE =
  `Usage: deleteManifest.ts [-u USER -p PASS] [--insecure] REPO[:TAG|@DIGEST]
Deletes a manifest by digest, or by tag (resolved to its digest where the
registry refuses tag deletes, which then removes every tag pointing at it).`;

if (import.meta.main) {
  const args = parseArgs(Deno.args, USAGE, { min: 1, max: 1 });
  await run(async () => {
    const client = clientFor(args.positional[0], args);
    const ref = client.repo.digest ?? client.repo.tag ?? "latest";
    await client.deleteManifest(ref);
    printJson({
      deleted: `${client.repo.canonicalName}${
        ref.includes(":") ? "@" : ":"
      }${ref}`,
    });
  });
}
