// What the subcommands share: the command shape, the common flags,
// credentials, references, output.

import type { ClientOptions } from "../lib/registry/client.ts";
import { createClient, type RegistryClientV2 } from "../lib/registry/client.ts";
import { ParseError } from "../lib/errors.ts";
import type { ImageClientOptions } from "../lib/image/types.ts";
import { parsePlatform, type PlatformSpec } from "../lib/ref/platform.ts";
import {
  parseIndex,
  parseRepoAndRef,
  type RepoRef,
} from "../lib/ref/reference.ts";
import {
  boolFlag,
  type FlagSpec,
  formatFlags,
  HELP_FLAG,
  type ParsedArgs,
  stringFlag,
  UsageError,
} from "./args.ts";
import { DEBUG_FLAG, logOf, PASSWORD_STDIN_FLAG } from "./global_flags.ts";
import {
  commandDeadlineArg,
  requestLimitsArg,
  TIME_FLAGS,
} from "./limit_flags.ts";
import { namingHost } from "./error_context.ts";

/** Where a command writes. Injectable for tests. */
export interface Io {
  /** Writes to stdout. */
  out(text: string | Uint8Array): void;
  /** Writes to stderr. */
  err(text: string): void;
  /** Whether stdout is a terminal. */
  stdoutIsTerminal: boolean;
  /** Whether stderr is a terminal. */
  stderrIsTerminal: boolean;
  /** The terminal's width. */
  columns: number;
  /** Reads all of stdin (for `--password-stdin`). */
  readStdin(): Promise<string>;
}

/** A subcommand. */
export interface Command {
  /** Its name: `tags`. */
  name: string;
  /** Its arguments: `REF`. */
  args: string;
  /** One line of what it does. */
  summary: string;
  /** More, for `--help`. */
  description?: string;
  /** Examples, for `--help`. */
  examples?: string[];
  /** Its flags beyond the common ones. */
  flags: FlagSpec[];
  /** How many positional arguments: [min, max]. */
  arity: [number, number];
  /** Runs it; returns the exit code. */
  run(args: ParsedArgs, io: Io): Promise<number>;
}

/** The program's name in messages. */
export const PROGRAM = "dreg";

/** Flags every command accepts. */
export const COMMON_FLAGS: FlagSpec[] = [
  {
    name: "--username",
    short: "-u",
    value: "USER",
    help: "user name, for whichever registry asks",
  },
  {
    name: "--password",
    short: "-p",
    value: "PASS",
    help: "password or token, for whichever registry asks",
  },
  {
    name: "--insecure",
    help: "allow credentials over plain http to non-loopback hosts",
  },
  { name: "--json", help: "print JSON" },
  PASSWORD_STDIN_FLAG,
  DEBUG_FLAG,
  ...TIME_FLAGS,
];

/** `--platform`. */
export const PLATFORM_FLAG: FlagSpec = {
  name: "--platform",
  value: "OS/ARCH[/VARIANT]",
  help: "choose a platform from an index",
};

/** `--src-creds`, `--dest-creds`, `--concurrency`, `--referrers`. */
export const TRANSFER_FLAGS: Record<string, FlagSpec> = {
  src: {
    name: "--src-creds",
    value: "USER[:PASS]",
    help: "credentials for the source only",
  },
  dst: {
    name: "--dest-creds",
    value: "USER[:PASS]",
    help: "credentials for the destination only",
  },
  concurrency: {
    name: "--concurrency",
    value: "N",
    help: "blobs transferred at once (default 4)",
  },
  referrers: {
    name: "--referrers",
    help: "also copy signatures, SBOMs and other referrers",
  },
};

/** The help text of a command. */
export function helpOf(cmd: Command): string {
  const lines = [
    `Usage: ${PROGRAM} ${cmd.name} [flags] ${cmd.args}`,
    "",
    cmd.summary,
  ];
  if (cmd.description) lines.push("", cmd.description);
  lines.push(
    "",
    "Flags:",
    formatFlags([...cmd.flags, ...COMMON_FLAGS, HELP_FLAG]),
  );
  if (cmd.examples?.length) {
    lines.push("", "Examples:", ...cmd.examples.map((e) => `  ${e}`));
  }
  return lines.join("\n") + "\n";
}

/** Parses a reference argument; a malformed one is bad usage. */
export function refArg(text: string, what = "reference"): RepoRef {
  try {
    return parseRepoAndRef(text);
  } catch (err) {
    if (err instanceof ParseError) {
      throw new UsageError(`invalid ${what}: ${err.message}`);
    }
    throw err;
  }
}

/** `--platform`, parsed; `all` (or absent) is every platform. */
export function platformArg(args: ParsedArgs): PlatformSpec | undefined {
  const text = stringFlag(args, "--platform");
  if (text === undefined || text === "all") return undefined;
  try {
    return parsePlatform(text);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** `--concurrency`, checked. */
export function concurrencyArg(args: ParsedArgs): number | undefined {
  const text = stringFlag(args, "--concurrency");
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 64) {
    throw new UsageError(
      `--concurrency must be an integer from 1 to 64, got "${text}"`,
    );
  }
  return n;
}

function credsArg(
  args: ParsedArgs,
  flag: string,
): { username: string; password: string } | undefined {
  const text = stringFlag(args, flag);
  if (text === undefined) return undefined;
  const colon = text.indexOf(":");
  if (colon <= 0) {
    throw new UsageError(
      `${flag} must be USER:PASS (or USER, with --password-stdin)`,
    );
  }
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/**
 * Client options from the flags: `-u`/`-p` for both sides, overridden by
 * `--src-creds` / `--dest-creds` for that side.
 */
export function clientOptionsArg(
  args: ParsedArgs,
  side?: "src" | "dst",
): ImageClientOptions {
  const username = stringFlag(args, "--username");
  const password = stringFlag(args, "--password");
  if ((username === undefined) !== (password === undefined)) {
    throw new UsageError("-u and -p go together");
  }
  const log = logOf(args);
  const options: ImageClientOptions = {
    ...(username !== undefined ? { username, password } : {}),
    ...(boolFlag(args, "--insecure") ? { insecure: true } : {}),
    ...(log ? { log } : {}),
    ...requestLimitsArg(args),
  };
  const specific = side === "src"
    ? credsArg(args, "--src-creds")
    : side === "dst"
    ? credsArg(args, "--dest-creds")
    : undefined;
  return specific ? { ...options, ...specific } : options;
}

/**
 * A client for a reference, with the flags' credentials; its errors name
 * the registry's host.
 */
export function clientFor(
  ref: RepoRef | string,
  args: ParsedArgs,
  extra: Partial<ClientOptions> = {},
): RegistryClientV2 {
  const repo = typeof ref === "string" ? refArg(ref) : ref;
  const signal = commandDeadlineArg(args);
  return namingHost(
    createClient({
      ...clientOptionsArg(args),
      ...(signal ? { signal } : {}),
      ...extra,
      repo,
    }),
    repo.index.name,
  );
}

/**
 * A client for a registry given as `HOST` (`127.0.0.1:5000`,
 * `http://127.0.0.1:5000`, `docker.io`): for the catalog and login, which do
 * not name a repository.
 */
export function registryClientFor(
  host: string,
  args: ParsedArgs,
): RegistryClientV2 {
  let index;
  try {
    index = parseIndex(host);
  } catch (err) {
    if (err instanceof ParseError) {
      throw new UsageError(`invalid registry: ${err.message}`);
    }
    throw err;
  }
  const prefix = index.scheme ? `${index.scheme}://` : "";
  return clientFor(`${prefix}${index.name}/dreg-placeholder`, args);
}

/** Prints a value as JSON (two-space indent). */
export function printJson(io: Io, value: unknown): void {
  io.out(JSON.stringify(value, null, 2) + "\n");
}
