#!/usr/bin/env -S deno run --allow-net --allow-read --allow-env
// Usage: listCatalog.ts [-u USER -p PASS] [--insecure] [-n PAGE_SIZE] HOST_OR_REPO
// Lists every repository of the registry (/v2/_catalog, all pages).

import { clientFor, parseArgs, printJson, run } from "./_common.ts";

const USAGE =
  `Usage: listCatalog.ts [-u USER -p PASS] [--insecure] [-n PAGE_SIZE] HOST_OR_REPO
Lists every repository of the registry (/v2/_catalog, all pages).`;

if (import.meta.main) {
  const args = parseArgs(Deno.args, USAGE, {
    min: 1,
    max: 1,
    valueFlags: ["-n"],
  });
  const n = args.options.get("-n");
  await run(async () => {
    // The catalog belongs to the registry: any repository name will do.
    const arg = args.positional[0].includes("/")
      ? args.positional[0]
      : `${args.positional[0]}/_`;
    const client = clientFor(arg, args);
    printJson(
      await client.listCatalog({ pageSize: n ? Number(n) : undefined }),
    );
  });
}
