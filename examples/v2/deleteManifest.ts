#!/usr/bin/env -S deno run --allow-net --allow-read --allow-env --allow-run
// Usage: deleteManifest.ts [-v] [-y] [-u USER -p PASS] [-k] REPO:TAG|REPO@DIGEST
// Deletes a manifest by digest, or by tag (resolved to its digest where the
// registry refuses tag deletes, which then removes every tag pointing at it).
// On a terminal it asks first, as the earlier clients did (no: exit 5);
// -y/--yes skips the question.

import {
  clientFor,
  COMMON_FLAGS,
  parseArgs,
  printJson,
  run,
  usageExit,
} from "./_common.ts";

const USAGE =
  `Usage: deleteManifest.ts [-v] [-y] [-u USER -p PASS] [-k] REPO:TAG|REPO@DIGEST
Deletes a manifest by digest, or by tag (resolved to its digest where the
registry refuses tag deletes, which then removes every tag pointing at it).
On a terminal it asks first, as the earlier clients did (no: exit 5).

  -y, --yes         do not ask
${COMMON_FLAGS}`;

if (import.meta.main) {
  const args = parseArgs(Deno.args, USAGE, {
    min: 1,
    max: 1,
    boolFlags: ["-y", "--yes"],
  });
  const name = args.positional[0];
  // The earlier clients' rule: the tag or digest must be written out.
  const last = name.slice(name.lastIndexOf("/") + 1);
  if (!last.includes(":") && !name.includes("@")) usageExit(USAGE);
  await run(async () => {
    const client = clientFor(name, args);
    const ref = client.repo.digest ?? client.repo.tag!;
    const ask = !args.flags.has("-y") && !args.flags.has("--yes") &&
      Deno.stdin.isTerminal();
    if (ask && !confirm(`Actually send a DELETE for ${name}?`)) Deno.exit(5);
    await client.deleteManifest(ref);
    printJson({
      deleted: `${client.repo.canonicalName}${
        ref.includes(":") ? "@" : ":"
      }${ref}`,
    });
  });
}
