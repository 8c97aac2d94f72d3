#!/usr/bin/env -S deno run --allow-net --allow-read --allow-env --allow-run
// Usage: getReferrers.ts [-v] [-u USER -p PASS] [-k] [--artifact-type TYPE] REPO[:TAG|@DIGEST]
// Lists the manifests that refer to a manifest (OCI referrers API, or the
// tag-schema fallback) and prints the index.

import {
  clientFor,
  COMMON_FLAGS,
  parseArgs,
  printJson,
  run,
} from "./_common.ts";

const USAGE =
  `Usage: getReferrers.ts [-v] [-u USER -p PASS] [-k] [--artifact-type TYPE] REPO[:TAG|@DIGEST]
Lists the manifests that refer to a manifest (OCI referrers API, or the
tag-schema fallback) and prints the index.
${COMMON_FLAGS}`;

if (import.meta.main) {
  const args = parseArgs(Deno.args, USAGE, {
    min: 1,
    max: 1,
    valueFlags: ["--artifact-type"],
  });
  await run(async () => {
    const client = clientFor(args.positional[0], args);
    const digest = client.repo.digest ?? (await client.headManifest()).digest;
    printJson(
      await client.getReferrers(digest, {
        artifactType: args.options.get("--artifact-type"),
      }),
    );
  });
}
