#!/usr/bin/env -S deno run --allow-net --allow-read --allow-env --allow-run
// Usage: mountBlob.ts [-v] [-u USER -p PASS] [-k] REPO@DIGEST FROM_REPO
// Mounts blob DIGEST from FROM_REPO (a repository of the same registry) into
// REPO and prints {digest, mounted}; mounted is false when the registry opened
// an ordinary upload instead and the blob was copied through it.

import {
  clientFor,
  COMMON_FLAGS,
  parseArgs,
  printJson,
  run,
  usageExit,
} from "./_common.ts";

const USAGE =
  `Usage: mountBlob.ts [-v] [-u USER -p PASS] [-k] REPO@DIGEST FROM_REPO
Mounts blob DIGEST from FROM_REPO (a repository of the same registry) into
REPO and prints {digest, mounted}; mounted is false when the registry opened
an ordinary upload instead and the blob was copied through it.
${COMMON_FLAGS}`;

if (import.meta.main) {
  const args = parseArgs(Deno.args, USAGE, { min: 2, max: 2 });
  await run(async () => {
    const client = clientFor(args.positional[0], args);
    if (!client.repo.digest) usageExit(USAGE);
    printJson(await client.mountBlob(client.repo.digest, args.positional[1]));
  });
}
