#!/usr/bin/env -S deno run -A --unstable-lazy-dynamic-imports --v8-flags=--max-semi-space-size=2
/**
 * `dreg`, the command-line tool of the package: tags, manifests, configs,
 * platforms and referrers; pull to and push from OCI image layouts; copy
 * between registries; delete; catalog; login.
 *
 * Install it with
 * `deno install -g -A --unstable-lazy-dynamic-imports --v8-flags=--max-semi-space-size=2 -n dreg jsr:@scope/docker-registry-client/cli`, or run
 * it in the repository with `deno run -A cli.ts …`.
 *
 * ```sh
 * dreg tags http://127.0.0.1:5000/foo
 * dreg pull --platform linux/amd64 http://127.0.0.1:5000/foo:1 ./foo-oci
 * dreg copy --dest-creds me:secret http://127.0.0.1:5000/foo:1 registry.example.com/foo:1
 * ```
 *
 * Exit codes: 0 success, 1 failure, 2 bad usage, 130 interrupted (Ctrl-C
 * during a command that writes: nothing is left half-written), 143
 * terminated (SIGTERM, likewise). `dreg COMMAND --help` describes each
 * command.
 *
 * @module
 */

import { main } from "./cli/main.ts";
import { useSignalTimers } from "./lib/transport/_timer.ts";

if (import.meta.main) {
  // dreg ends with Deno.exit: a pending timer cannot hold it.
  useSignalTimers();
  Deno.exit(await main(Deno.args));
}
