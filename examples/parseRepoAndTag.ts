#!/usr/bin/env -S deno run
/**
 * Prints how a repository reference is parsed by `parseRepoAndTag`, the
 * earlier clients' synonym of `parseRepoAndRef`.
 *
 * Usage: ./examples/parseRepoAndTag.ts [-v] [INDEX/]NAME[:TAG][@DIGEST]
 *
 *     $ ./examples/parseRepoAndTag.ts busybox:1.36
 *     $ ./examples/parseRepoAndTag.ts alpine@sha256:fb9f16730ac6316afa4d97caa5130219927bfcecf0b0ce35c01dcb612f449739
 *
 * Exits 0 after printing the parsed reference as JSON, 1 when it does not
 * parse, 2 on bad usage. `-v` is taken, as by every example (nothing is
 * requested here, so there is nothing to log).
 *
 * @module
 */

import { parseRepoAndTag } from "../lib/ref/reference.ts";
import { ParseError } from "../lib/errors.ts";

const USAGE =
  "usage: ./examples/parseRepoAndTag.ts [-v] [INDEX/]NAME[:TAG][@DIGEST]";

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
    console.log(JSON.stringify(parseRepoAndTag(args[0]), null, 4));
  } catch (err) {
    if (!(err instanceof ParseError)) throw err;
    console.error(err.message);
    Deno.exit(1);
  }
}
