// Shared by the example scripts: flags, usage errors, and error reporting.

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
 * with the usage on `-h`, an unknown flag or a wrong number of positionals.
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
  const positional: string[] = [];
  const flags = new Set<string>();
  const options = new Map<string, string>();
  const valueFlags = new Set(["-u", "-p", ...(spec.valueFlags ?? [])]);
  const boolFlags = new Set(["--insecure", ...(spec.boolFlags ?? [])]);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "-h" || a === "--help") usageExit(usage, 0);
    if (valueFlags.has(a)) {
      if (i + 1 >= args.length) usageExit(usage);
      options.set(a, args[++i]);
    } else if (boolFlags.has(a)) flags.add(a);
    else if (a.startsWith("-") && a !== "-") usageExit(usage);
    else positional.push(a);
  }
  if (positional.length < spec.min || positional.length > spec.max) {
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
