#!/usr/bin/env -S deno run --allow-net --allow-read --allow-env --allow-run
// Usage: getManifest.ts [-v] [-u USER -p PASS] [-k] [--platform OS/ARCH[/VARIANT]] REPO[:TAG|@DIGEST]
// Gets a manifest (verified against its digest) and prints it with its digest
// and media type. Manifest lists, OCI manifests and indexes are accepted
// (the earlier clients' --accept-list and --accept-oci are taken, and are
// the default); --platform follows an index to one platform's manifest.

import {
  clientFor,
  COMMON_FLAGS,
  parseArgs,
  printJson,
  run,
  usageExit,
} from "./_common.ts";

const USAGE =
  `Usage: getManifest.ts [-v] [-u USER -p PASS] [-k] [--platform OS/ARCH[/VARIANT]] REPO[:TAG|@DIGEST]
Gets a manifest (verified against its digest) and prints it with its digest
and media type. Manifest lists, OCI manifests and indexes are accepted
(the earlier clients' --accept-list and --accept-oci are taken, and are
the default); --platform follows an index to one platform's manifest.
${COMMON_FLAGS}`;

if (import.meta.main) {
  const args = parseArgs(Deno.args, USAGE, {
    min: 1,
    max: 1,
    valueFlags: ["--platform"],
    boolFlags: ["--accept-list", "--accept-oci"],
  });
  const { parsePlatform, ParseError } = await import("../../mod.ts");
  const text = args.options.get("--platform");
  let platform;
  try {
    platform = text === undefined ? undefined : parsePlatform(text);
  } catch (err) {
    if (err instanceof ParseError) usageExit(USAGE);
    throw err;
  }
  await run(async () => {
    const client = clientFor(args.positional[0], args);
    const { manifest, digest, mediaType, size } = await client.getManifest(
      undefined,
      { platform },
    );
    printJson({ digest, mediaType, size, manifest });
  });
}
