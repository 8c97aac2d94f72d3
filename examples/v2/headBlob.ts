#!/usr/bin/env -S deno run --allow-net --allow-read --allow-env --allow-run
// Usage: headBlob.ts [-v] [-u USER -p PASS] [-k] REPO@DIGEST
// Prints {digest, size, mediaType} of a blob.

import {
  clientFor,
  COMMON_FLAGS,
  parseArgs,
  printJson,
  run,
} from "./_common.ts";

const USAGE = `Usage: headBlob.ts [-v] [-u USER -p PASS] [-k] REPO@DIGEST
Prints {digest, size, mediaType} of a blob.
${COMMON_FLAGS}`;

if (import.meta.main) {
  const args = parseArgs(Deno.args, USAGE, { min: 1, max: 1 });
  await run(async () => {
    const client = clientFor(args.positional[0], args);
    if (!client.repo.digest) {
      console.error("error: give the blob as REPO@DIGEST");
      Deno.exit(2);
    }
    printJson(await client.headBlob(client.repo.digest));
  });
}
