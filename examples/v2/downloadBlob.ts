#!/usr/bin/env -S deno run --allow-net --allow-read --allow-env
// Usage: downloadBlob.ts [-u USER -p PASS] [--insecure] REPO@DIGEST FILE
// Downloads a blob to FILE, verified against its digest while it streams; on a
// mismatch nothing is left behind.

import { clientFor, parseArgs, printJson, run } from "./_common.ts";

const USAGE =
  `Usage: downloadBlob.ts [-u USER -p PASS] [--insecure] REPO@DIGEST FILE
Downloads a blob to FILE, verified against its digest while it streams; on a
mismatch nothing is left behind.`;

if (import.meta.main) {
  const args = parseArgs(Deno.args, USAGE, { min: 2, max: 2 });
  await run(async () => {
    const client = clientFor(args.positional[0], args);
    if (!client.repo.digest) {
      console.error("error: give the blob as REPO@DIGEST");
      Deno.exit(2);
    }
    printJson(
      await client.downloadBlob(client.repo.digest, args.positional[1]),
    );
  });
}
