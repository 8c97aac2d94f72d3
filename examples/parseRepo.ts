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
import { runParseExample } from "./_parse_main.ts";

const USAGE = "usage: ./examples/parseRepo.ts [-v] [INDEX/]NAME";

if (import.meta.main) runParseExample(USAGE, parseRepo);
