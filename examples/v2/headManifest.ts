#!/usr/bin/env -S deno run --allow-net --allow-read --allow-env
// Usage: headManifest.ts [-u USER -p PASS] [--insecure] REPO[:TAG|@DIGEST]
// Prints {digest, mediaType, size} of a manifest without reading its body.

import { clientFor, parseArgs, printJson, run } from "./_common.ts";

const USAGE =
  `Usage: headManifest.ts [-u USER -p PASS] [--insecure] REPO[:TAG|@DIGEST]
Prints {digest, mediaType, size} of a manifest without reading its body.`;

if (import.meta.main) {
  const args = parseArgs(Deno.args, USAGE, { min: 1, max: 1 });
  await run(async () => {
    printJson(await clientFor(args.positional[0], args).headManifest());
  });
}
