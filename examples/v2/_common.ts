// Shared by the example scripts: flags, usage errors, and error reporting.
//
// Every example takes the earlier clients' flags: -u USER -p PASS (asked for
// on a terminal when only -u is given), -k/--insecure, -s/--schema N (1:
// accept schema 1 manifests too), -v/--verbose (one line per request and
// response on stderr, secrets removed), -h/--help. Bad usage exits 2.

import { parseArgs as parseFlags } from "@std/cli/parse-args";
import {
  createClient,
  DEFAULT_LOGIN_SERVERNAME,
  ParseError,
  parseIndex,
  parseRepo,
  RegistryError,
} from "../../mod.ts";
import type { ClientOptions, RegistryClientV2 } from "../../mod.ts";

/** The flags every example takes, for its usage text. */
export const COMMON_FLAGS = `
  -u USER, -p PASS  credentials (without them: docker's and podman's)
  -k, --insecure    allow credentials over plain http to a non-loopback host
  -s, --schema N    1: accept schema 1 manifests too
  -v, --verbose     log each request and response to stderr (no secrets)
  -h, --help        print this help`;

/** What every example accepts: the common flags, its own, positionals. */
export interface ExampleArgs {
  positional: string[];
  flags: Set<string>;
  options: Map<string, string>;
  clientOptions: Omit<ClientOptions, "repo">;
}

/**
 * Parses the common flags, the example's own and the positional arguments;
 * exits 2 with the usage on an unknown flag, a missing value or a wrong
 * number of positionals, and 0 on `-h`.
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
  const valueFlags = ["-u", "-p", "-s", ...(spec.valueFlags ?? [])];
  const boolFlags = ["--insecure", "-v", ...(spec.boolFlags ?? [])];
  const key = (flag: string) => flag.replace(/^--?/, "");
  const positional: string[] = [];
  let bad = false;
  const parsed: Record<string, unknown> = parseFlags(args, {
    string: valueFlags.map(key),
    boolean: [...boolFlags.map(key), "help"],
    alias: { help: "h", insecure: "k", v: "verbose", s: "schema" },
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
  const schema = options.get("-s");
  if (schema !== undefined && schema !== "1" && schema !== "2") bad = true;
  if (bad || positional.length < spec.min || positional.length > spec.max) {
    usageExit(usage);
  }
  let password = options.get("-p");
  const username = options.get("-u");
  if (
    username && password === undefined && !flags.has("--password-stdin") &&
    Deno.stdin.isTerminal()
  ) {
    password = prompt(`Password for ${username}:`) ?? undefined;
  }
  return {
    positional,
    flags,
    options,
    clientOptions: {
      username,
      password,
      insecure: flags.has("--insecure"),
      ...(schema === "1" ? { acceptSchema1: true } : {}),
      ...(flags.has("-v")
        ? { log: (line: string) => console.error(line) }
        : {}),
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

/**
 * A client for a registry given as an index (`127.0.0.1:5000`,
 * `https://quay.io`, `https://index.docker.io/v1/`, the default) or as any
 * repository on it (`quay.io/foo/bar`): for the calls that belong to the
 * registry (ping, login, the catalog).
 */
export function registryClientFor(
  arg: string | undefined,
  args: ExampleArgs,
): { client: RegistryClientV2; isIndex: boolean } {
  const target = arg ?? DEFAULT_LOGIN_SERVERNAME;
  let index;
  try {
    index = parseIndex(target);
  } catch (err) {
    if (!(err instanceof ParseError)) throw err;
    return { client: clientFor(target, args), isIndex: false };
  }
  // The registry's calls name no repository: any valid name will do.
  const repo = parseRepo("placeholder", index);
  return {
    client: createClient({ repo, ...args.clientOptions }),
    isIndex: true,
  };
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
