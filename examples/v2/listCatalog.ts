#!/usr/bin/env -S deno run --allow-net --allow-read --allow-env --allow-run
// Usage: listCatalog.ts [-v] [-u USER -p PASS] [-k] [-n PAGE_SIZE] HOST|REPO
// Lists every repository of the registry (/v2/_catalog, all pages): the
// registry given as a host (127.0.0.1:5000, https://quay.io) or as any
// repository on it.

import {
  COMMON_FLAGS,
  parseArgs,
  printJson,
  registryClientFor,
  run,
} from "./_common.ts";

const USAGE =
  `Usage: listCatalog.ts [-v] [-u USER -p PASS] [-k] [-n PAGE_SIZE] HOST|REPO
Lists every repository of the registry (/v2/_catalog, all pages): the
registry given as a host (127.0.0.1:5000, https://quay.io) or as any
repository on it.
${COMMON_FLAGS}`;

if (import.meta.main) {
  const args = parseArgs(Deno.args, USAGE, {
    min: 1,
    max: 1,
    valueFlags: ["-n"],
  });
  const n = args.options.get("-n");
  const pageSize = n === undefined ? undefined : Number(n);
  if (
    pageSize !== undefined && !(Number.isSafeInteger(pageSize) && pageSize > 0)
  ) {
    console.error(USAGE);
    Deno.exit(2);
  }
  await run(async () => {
    const { client } = registryClientFor(args.positional[0], args);
    printJson(await client.listCatalog({ pageSize }));
  });
}
