#!/usr/bin/env -S deno run
/**
 * Prints how a repository name is parsed.
 *
 * Usage: ./examples/parseRepo.ts [-v] [INDEX/]NAME
 *
 *     $ ./examples/parseRepo.ts mongo
 *     $ ./examples/parseRepo.ts https://quay.io/trentm/foo
 *
 * Exits 0 after printing the parsed name as JSON, 1 when it does not
 * parse, 2 on bad usage. `-v` is taken, as by every example (nothing is
 * requested here, so there is nothing to log).
 *
 * @module
 */

import { parseRepo } from "../lib/ref/reference.ts";
import { ParseError } from "../lib/errors.ts";

const USAGE = "usage: ./examples/parseRepo.ts [-v] [INDEX/]NAME";

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
    console.log(JSON.stringify(parseRepo(args[0]), null, 4));
  } catch (err) {
    if (!(err instanceof ParseError)) throw err;
    console.error(err.message);
    Deno.exit(1);
  }
}
