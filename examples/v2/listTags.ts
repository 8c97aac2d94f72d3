#!/usr/bin/env -S deno run --allow-net --allow-read --allow-env --allow-run
// Usage: listTags.ts [-v] [-u USER -p PASS] [-k] [-n PAGE_SIZE] REPO
// Lists every tag of REPO (all pages) and prints {name, tags}.

import {
  clientFor,
  COMMON_FLAGS,
  parseArgs,
  printJson,
  run,
} from "./_common.ts";

const USAGE =
  `Usage: listTags.ts [-v] [-u USER -p PASS] [-k] [-n PAGE_SIZE] REPO
Lists every tag of REPO (all pages) and prints {name, tags}.
${COMMON_FLAGS}`;

if (import.meta.main) {
  const args = parseArgs(Deno.args, USAGE, {
    min: 1,
    max: 1,
    valueFlags: ["-n"],
  });
  const n = args.options.get("-n");
  await run(async () => {
    const client = clientFor(args.positional[0], args);
    printJson(await client.listTags({ pageSize: n ? Number(n) : undefined }));
  });
}
