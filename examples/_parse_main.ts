// The command line the parse examples share: one argument, `-v` taken (they
// request nothing, so there is nothing to log), `-h` for the usage line, the
// parsed value printed as JSON as the seeds printed it; exit 1 when it does
// not parse, 2 on bad usage.

import { ParseError } from "../lib/errors.ts";

/** Runs a parse example: `parse(Deno.args' one argument)` as JSON. */
export function runParseExample(
  usage: string,
  parse: (input: string) => unknown,
): void {
  const args = Deno.args.filter((a) => a !== "-v" && a !== "--verbose");
  if (args.length === 1 && (args[0] === "-h" || args[0] === "--help")) {
    console.log(usage);
    Deno.exit(0);
  }
  if (args.length !== 1) {
    console.error(usage);
    Deno.exit(2);
  }
  try {
    console.log(JSON.stringify(parse(args[0]), null, 4));
  } catch (err) {
    if (!(err instanceof ParseError)) throw err;
    console.error(err.message);
    Deno.exit(1);
  }
}
