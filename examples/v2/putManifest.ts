#!/usr/bin/env -S deno run --allow-net --allow-read --allow-env --allow-run
// Usage: putManifest.ts [-v] [-u USER -p PASS] [-k] [--media-type TYPE] REPO[:TAG|@DIGEST] FILE
// Pushes the JSON manifest in FILE (its exact bytes) to a tag (or digest) and
// prints the digest the registry confirmed. Content-Type is the manifest's own
// mediaType, else --media-type, else an OCI index or manifest by its shape.

import { clientFor, COMMON_FLAGS, parseArgs, run } from "./_common.ts";

const USAGE =
  `Usage: putManifest.ts [-v] [-u USER -p PASS] [-k] [--media-type TYPE] REPO[:TAG|@DIGEST] FILE
Pushes the JSON manifest in FILE (its exact bytes) to a tag (or digest) and
prints the digest the registry confirmed. Content-Type is the manifest's own
mediaType, else --media-type, else an OCI index or manifest by its shape.
${COMMON_FLAGS}`;

if (import.meta.main) {
  const args = parseArgs(Deno.args, USAGE, {
    min: 2,
    max: 2,
    valueFlags: ["--media-type"],
  });
  await run(async () => {
    const client = clientFor(args.positional[0], args);
    const bytes = await Deno.readFile(args.positional[1]);
    const { digest } = await client.putManifest(
      client.repo.digest ?? client.repo.tag ?? "latest",
      bytes,
      { mediaType: args.options.get("--media-type") },
    );
    console.log(digest);
  });
}
