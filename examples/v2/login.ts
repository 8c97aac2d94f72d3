#!/usr/bin/env -S deno run --allow-net --allow-read --allow-env
// Usage: login.ts [-u USER -p PASS] [--insecure] REPO
// Authenticates to the registry of REPO (a token for pull on REPO, or a check
// of the Basic credentials) and prints how it went.

import { clientFor, parseArgs, printJson, run } from "./_common.ts";

const USAGE = `Usage: login.ts [-u USER -p PASS] [--insecure] REPO
Authenticates to the registry of REPO (a token for pull on REPO, or a check
of the Basic credentials) and prints how it went.`;

if (import.meta.main) {
  const args = parseArgs(Deno.args, USAGE, { min: 1, max: 1 });
  await run(async () => {
    printJson(await clientFor(args.positional[0], args).login());
  });
}
