#!/usr/bin/env -S deno run
/**
 * Prints how an index (a registry host, with an optional scheme) is parsed.
 *
 * Usage: ./examples/parseIndex.ts [-v] INDEX
 *
 *     $ ./examples/parseIndex.ts docker.io
 *     $ ./examples/parseIndex.ts https://index.docker.io/v1/
 *     $ ./examples/parseIndex.ts http://localhost:5000
 *
 * Exits 0 after printing the parsed index as JSON, 1 when it does not
 * parse, 2 on bad usage. `-v` is taken, as by every example (nothing is
 * requested here, so there is nothing to log).
 *
 * @module
 */

import { parseIndex } from "../lib/ref/reference.ts";
import { runParseExample } from "./_parse_main.ts";

const USAGE = "usage: ./examples/parseIndex.ts [-v] INDEX";

if (import.meta.main) runParseExample(USAGE, parseIndex);
