#!/usr/bin/env -S deno run --allow-net --allow-read --allow-env --allow-run --allow-write
// Usage: login.ts [-v] [-u USER (-p PASS | --password-stdin)] [-k] [--save] [INDEX|REPO]
// Authenticates to a registry, as `docker login` checks credentials: given as
// an index (127.0.0.1:5000, https://quay.io; by default Docker Hub,
// https://index.docker.io/v1/), with a token for no scope; or as REPO, with a
// token for pull on REPO (or a check of the Basic credentials). Prints how it
// went. Without -u/-p the
// credentials come from where docker and podman keep them. With --save, the
// credentials are then written to docker's config as `docker login` does
// (through the credential helper the config names, if any), and the output
// says where they went. A refresh token is never printed.

import { saveDockerCredentials } from "../../lib/credentials/mod.ts";
import {
  COMMON_FLAGS,
  parseArgs,
  printJson,
  registryClientFor,
  run,
  usageExit,
} from "./_common.ts";

const USAGE =
  `Usage: login.ts [-v] [-u USER (-p PASS | --password-stdin)] [-k] [--save] [INDEX|REPO]
Authenticates to a registry given as an index (127.0.0.1:5000,
https://quay.io; by default Docker Hub, https://index.docker.io/v1/), as
docker login does, or as REPO (a token for pull on REPO, or a check of the
Basic credentials), and prints how it went. Without -u/-p the
credentials come from docker's config, its credential helpers or podman's
auth.json.

  --password-stdin  read the password from stdin (keeps it out of ps)
  --save            write USER and PASS to docker's config, as docker login
                    does (or hand them to the credential helper it names)
${COMMON_FLAGS}`;

/** Reads all of stdin, without the trailing newline. */
async function readPassword(): Promise<string> {
  const text = await new Response(Deno.stdin.readable).text();
  return text.replace(/\r?\n$/, "");
}

if (import.meta.main) {
  const args = parseArgs(Deno.args, USAGE, {
    min: 0,
    max: 1,
    boolFlags: ["--save", "--password-stdin"],
  });
  const save = args.flags.has("--save");
  if (args.flags.has("--password-stdin")) {
    if (args.options.has("-p")) usageExit(USAGE);
    args.clientOptions.password = await readPassword();
  }
  const { username, password } = args.clientOptions;
  if (save && (!username || !password)) usageExit(USAGE);
  if (save && username!.includes(":")) {
    console.error('error: the user name must not contain ":"');
    Deno.exit(2);
  }
  await run(async () => {
    const { client, isIndex } = registryClientFor(args.positional[0], args);
    // An index alone: credentials checked with a token for no scope.
    const { scheme, scopes } = await client.login(
      isIndex ? { scopes: [] } : {},
    );
    if (!save) {
      printJson({ scheme, scopes });
      return;
    }
    const registry = client.repo.index.name;
    const saved = await saveDockerCredentials(registry, {
      username: username!,
      password: password!,
    });
    printJson({ scheme, scopes, saved: { registry, ...saved } });
  });
}
