#!/usr/bin/env -S deno run --allow-net --allow-read --allow-env --allow-run --allow-write
// Usage: downloadBlob.ts [-v] [-u USER -p PASS] [-k] REPO@DIGEST [FILE]
// Downloads a blob to FILE (by default <first 12 hex digits>.blob in the
// current directory, as the earlier clients named it), verified against its
// digest while it streams; on a mismatch nothing is left behind. Prints
// {digest, size, path}.

import {
  clientFor,
  COMMON_FLAGS,
  parseArgs,
  printJson,
  run,
  usageExit,
} from "./_common.ts";

const USAGE =
  `Usage: downloadBlob.ts [-v] [-u USER -p PASS] [-k] REPO@DIGEST [FILE]
Downloads a blob to FILE (by default <first 12 hex digits>.blob in the
current directory, as the earlier clients named it), verified against its
digest while it streams; on a mismatch nothing is left behind. Prints
{digest, size, path}.
${COMMON_FLAGS}`;

if (import.meta.main) {
  const args = parseArgs(Deno.args, USAGE, { min: 1, max: 2 });
  await run(async () => {
    const client = clientFor(args.positional[0], args);
    const digest = client.repo.digest;
    if (!digest) usageExit(USAGE);
    const file = args.positional[1] ??
      `${digest.slice(digest.indexOf(":") + 1, digest.indexOf(":") + 13)}.blob`;
    printJson(await client.downloadBlob(digest, file));
  });
}
