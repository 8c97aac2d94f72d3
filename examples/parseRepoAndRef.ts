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
import { runParseExample } from "./_parse_main.ts";

const USAGE =
  "usage: ./examples/parseRepoAndRef.ts [-v] [INDEX/]NAME[:TAG][@DIGEST]";

if (import.meta.main) runParseExample(USAGE, parseRepoAndRef);
