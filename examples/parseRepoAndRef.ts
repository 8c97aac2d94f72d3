#!/usr/bin/env -S deno run
/**
 * Prints how a repository reference (name, tag, digest) is parsed.
 *
 * Usage: ./examples/parseRepoAndRef.ts [-v] [INDEX/]NAME[:TAG][@DIGEST]
 *
 *     $ ./examples/parseRepoAndRef.ts myreg.example.com:5000/busybox:foo
 *     $ ./examples/parseRepoAndRef.ts https://quay.io/trentm/foo
 *
 * Exits 0 after printing the parsed reference as JSON, 1 when it does not
 * parse, 2 on bad usage. `-v` is taken, as by every example (nothing is
 * requested here, so there is nothing to log).
 *
 * @module
 */

import { parseRepoAndRef } from "../lib/ref/reference.ts";
import { ParseError } from "../lib/errors.ts";

const USAGE =
  "usage: ./examples/parseRepoAndRef.ts [-v] [INDEX/]NAME[:TAG][@DIGEST]";

if (import.meta.main) {
  const args = Deno.args.filter((a) => a !== "-v" && a !== "--verbose");
  if (args.length === 1 && (args[0] === "-h" || args[0] === "--help")) {
    console.log(USAGE);
    Deno.exit(0);
  }
  if (args.length !== 1) {
    console.error(USAGE);
    Deno.exit(2);
  }
  try {
    console.log(JSON.stringify(parseRepoAndRef(args[0]), null, 4));
  } catch (err) {
    if (!(err instanceof ParseError)) throw err;
    console.error(err.message);
    Deno.exit(1);
  }
}
