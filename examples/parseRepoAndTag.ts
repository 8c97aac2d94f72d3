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
import { runParseExample } from "./_parse_main.ts";

const USAGE =
  "usage: ./examples/parseRepoAndTag.ts [-v] [INDEX/]NAME[:TAG][@DIGEST]";

if (import.meta.main) runParseExample(USAGE, parseRepoAndTag);
