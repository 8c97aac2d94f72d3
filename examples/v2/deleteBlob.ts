#!/usr/bin/env -S deno run --allow-net --allow-read --allow-env --allow-run
// Usage: deleteBlob.ts [-v] [-u USER -p PASS] [-k] REPO@DIGEST
// Deletes a blob from a repository.

import {
  clientFor,
  COMMON_FLAGS,
  parseArgs,
  printJson,
  run,
  usageExit,
} from "./_common.ts";

const USAGE = `Usage: deleteBlob.ts [-v] [-u USER -p PASS] [-k] REPO@DIGEST
Deletes a blob from a repository.
${COMMON_FLAGS}`;

if (import.meta.main) {
  const args = parseArgs(Deno.args, USAGE, { min: 1, max: 1 });
  await run(async () => {
    const client = clientFor(args.positional[0], args);
    if (!client.repo.digest) usageExit(USAGE);
    await client.deleteBlob(client.repo.digest);
    printJson({
      deleted: `${client.repo.canonicalName}@${client.repo.digest}`,
    });
  });
}
