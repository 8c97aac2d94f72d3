#!/usr/bin/env -S deno run --allow-net --allow-read --allow-env
// Usage: getReferrers.ts [-u USER -p PASS] [--insecure] [--artifact-type TYPE] REPO[:TAG|@DIGEST]
// Lists the manifests that refer to a manifest (OCI referrers API, or the
// tag-schema fallback) and prints the index.

import { clientFor, parseArgs, printJson, run } from "./_common.ts";

const USAGE =
  `Usage: getReferrers.ts [-u USER -p PASS] [--insecure] [--artifact-type TYPE] REPO[:TAG|@DIGEST]
Lists the manifests that refer to a manifest (OCI referrers API, or the
tag-schema fallback) and prints the index.`;

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
