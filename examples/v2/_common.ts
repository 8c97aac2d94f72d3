// Shared by the example scripts: flags, usage errors, and error reporting.

import { parseArgs as parseFlags } from "@std/cli/parse-args";
import { createClient, ParseError, RegistryError } from "../../mod.ts";
import type { ClientOptions, RegistryClientV2 } from "../../mod.ts";

/** What every example accepts: `-u USER -p PASS`, `--insecure`, positionals. */
export interface ExampleArgs {
  positional: string[];
  flags: Set<string>;
  options: Map<string, string>;
  clientOptions: Omit<ClientOptions, "repo">;
}

/**
 * Parses `-u USER -p PASS --insecure` and the positional arguments; exits 2
 * with the usage on an unknown flag, a missing value or a wrong number of
 * positionals, and 0 on `-h`.
 */
export function parseArgs(
  args: string[],
  usage: string,
  spec: {
    min: number;
    max: number;
    valueFlags?: string[];
    boolFlags?: string[];
  },
): ExampleArgs {
  const valueFlags = ["-u", "-p", ...(spec.valueFlags ?? [])];
  const boolFlags = ["--insecure", ...(spec.boolFlags ?? [])];
  const key = (flag: string) => flag.replace(/^--?/, "");
  const positional: string[] = [];
  let bad = false;
  const parsed: Record<string, unknown> = parseFlags(args, {
    string: valueFlags.map(key),
    boolean: [...boolFlags.map(key), "help"],
    alias: { help: "h" },
    "--": true,
    // Positionals are kept here as typed (parseArgs would turn "10" into 10).
    unknown(arg, flag) {
      if (flag === undefined) positional.push(arg);
      else bad = true;
      return false;
    },
  });
  if (parsed.help) usageExit(usage, 0);
  positional.push(...parsed["--"] as string[]);
  const options = new Map<string, string>();
  for (const flag of valueFlags) {
    const value = parsed[key(flag)];
    if (value === "") bad = true;
    else if (typeof value === "string") options.set(flag, value);
  }
  const flags = new Set(boolFlags.filter((flag) => parsed[key(flag)]));
  if (bad || positional.length < spec.min || positional.length > spec.max) {
    usageExit(usage);
  }
  return {
    positional,
    flags,
    options,
    clientOptions: {
      username: options.get("-u"),
      password: options.get("-p"),
      insecure: flags.has("--insecure"),
    },
  };
}

/** Prints the usage and exits (2 by default: bad usage). */
export function usageExit(usage: string, code = 2): never {
  (code === 0 ? console.log : console.error)(usage.trim());
  Deno.exit(code);
}

/** A client for the reference, with the flags' credentials. */
export function clientFor(repo: string, args: ExampleArgs): RegistryClientV2 {
  return createClient({ repo, ...args.clientOptions });
}

/** Prints JSON with the seeds' 4-space indent. */
export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 4));
}

/** Runs an example; registry and parse errors become one line and exit 1. */
export async function run(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof RegistryError || err instanceof ParseError) {
      console.error(`error: ${err.message}`);
      Deno.exit(1);
    }
    throw err;
  }
}
