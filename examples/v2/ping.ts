#!/usr/bin/env -S deno run --allow-net --allow-read --allow-env --allow-run
// Usage: ping.ts [-v] [-u USER -p PASS] [-k] [INDEX|REPO]
// Pings a registry (GET /v2/) and prints its status, whether it speaks the V2
// API, the auth schemes it offers and the answer's headers. The registry is
// given as an index (127.0.0.1:5000, https://quay.io) or any repository on
// it; by default Docker Hub (https://index.docker.io/v1/, as `docker login`).

import {
  COMMON_FLAGS,
  parseArgs,
  printJson,
  registryClientFor,
  run,
} from "./_common.ts";

const USAGE = `Usage: ping.ts [-v] [-u USER -p PASS] [-k] [INDEX|REPO]
Pings a registry (GET /v2/) and prints its status, whether it speaks the V2
API, the auth schemes it offers and the answer's headers. The registry is
given as an index (127.0.0.1:5000, https://quay.io) or any repository on
it; by default Docker Hub (https://index.docker.io/v1/, as \`docker login\`).
${COMMON_FLAGS}`;

if (import.meta.main) {
  const args = parseArgs(Deno.args, USAGE, { min: 0, max: 1 });
  await run(async () => {
    const { client } = registryClientFor(args.positional[0], args);
    const { status, supportsV2, authSchemes, headers } = await client.ping();
    printJson({
      status,
      supportsV2,
      authSchemes,
      headers: Object.fromEntries(headers),
    });
  });
}
