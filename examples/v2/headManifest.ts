#!/usr/bin/env -S deno run --allow-net --allow-read --allow-env --allow-run
// Usage: headManifest.ts [-v] [-u USER -p PASS] [-k] REPO[:TAG|@DIGEST]
// Prints {digest, mediaType, size} of a manifest without reading its body.

import {
  clientFor,
  COMMON_FLAGS,
  parseArgs,
  printJson,
  run,
} from "./_common.ts";

const USAGE =
  `Usage: headManifest.ts [-v] [-u USER -p PASS] [-k] REPO[:TAG|@DIGEST]
Prints {digest, mediaType, size} of a manifest without reading its body.
${COMMON_FLAGS}`;

if (import.meta.main) {
  const args = parseArgs(Deno.args, USAGE, { min: 1, max: 1 });
  await run(async () => {
    printJson(await clientFor(args.positional[0], args).headManifest());
  });
}
