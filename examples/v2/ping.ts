#!/usr/bin/env -S deno run --allow-net --allow-read --allow-env
// Usage: ping.ts [-u USER -p PASS] [--insecure] REPO
// Pings the registry of REPO (GET /v2/) and prints what it answered.

import { clientFor, parseArgs, printJson, run } from "./_common.ts";

const USAGE = `Usage: ping.ts [-u USER -p PASS] [--insecure] REPO
Pings the registry of REPO (GET /v2/) and prints what it answered.`;

if (import.meta.main) {
  const args = parseArgs(Deno.args, USAGE, { min: 1, max: 1 });
  await run(async () => {
    printJson(await clientFor(args.positional[0], args).ping());
  });
}
