#!/usr/bin/env -S deno run --allow-net --allow-read --allow-env --allow-run
// Usage: uploadBlob.ts [-v] [-u USER -p PASS] [-k] [--chunk-size BYTES] [--force] REPO FILE
// Uploads a file to a blob of REPO, streamed from disk, and prints its digest.
// The upload is skipped when the registry already has the blob (unless --force).

import {
  clientFor,
  COMMON_FLAGS,
  parseArgs,
  run,
  usageExit,
} from "./_common.ts";

const USAGE =
  `Usage: uploadBlob.ts [-v] [-u USER -p PASS] [-k] [--chunk-size BYTES] [--force] REPO FILE
Uploads a file to a blob of REPO, streamed from disk, and prints its digest.
The upload is skipped when the registry already has the blob (unless --force).
${COMMON_FLAGS}`;

if (import.meta.main) {
  const args = parseArgs(Deno.args, USAGE, {
    min: 2,
    max: 2,
    valueFlags: ["--chunk-size"],
    boolFlags: ["--force"],
  });
  const chunk = args.options.get("--chunk-size");
  const chunkSize = chunk === undefined ? undefined : Number(chunk);
  if (
    chunkSize !== undefined &&
    !(Number.isSafeInteger(chunkSize) && chunkSize > 0)
  ) {
    usageExit(USAGE);
  }
  await run(async () => {
    const client = clientFor(args.positional[0], args);
    const { digest } = await client.blobUpload(args.positional[1], {
      chunkSize,
      force: args.flags.has("--force"),
    });
    console.log(digest);
  });
}
