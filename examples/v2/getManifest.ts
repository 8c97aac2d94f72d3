#!/usr/bin/env -S deno run --allow-net --allow-read --allow-env
// Usage: getManifest.ts [-u USER -p PASS] [--insecure] [--platform OS/ARCH[/VARIANT]] REPO[:TAG|@DIGEST]
// Gets a manifest (verified against its digest) and prints it with its digest
// and media type.

import { clientFor, parseArgs, printJson, run } from "./_common.ts";

const USAGE =
  `Usage: getManifest.ts [-u USER -p PASS] [--insecure] [--platform OS/ARCH[/VARIANT]] REPO[:TAG|@DIGEST]
Gets a manifest (verified against its digest) and prints it with its digest
and media type.`;

if (import.meta.main) {
  const args = parseArgs(Deno.args, USAGE, {
    min: 1,
    max: 1,
    valueFlags: ["--platform"],
  });
  await run(async () => {
    const { parsePlatform } = await import("../../mod.ts");
    const client = clientFor(args.positional[0], args);
    const platform = args.options.get("--platform");
    const { manifest, digest, mediaType, size } = await client.getManifest(
      undefined,
      {
        platform: platform ? parsePlatform(platform) : undefined,
      },
    );
    printJson({ digest, mediaType, size, manifest });
  });
}
