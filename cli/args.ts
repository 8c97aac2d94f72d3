// Command-line flags, read by @std/cli's parseArgs: `--flag value`,
// `--flag=value`, `-u value`, boolean flags, and `--` to end the flags.
// Bad usage throws UsageError (exit 2).

import { parseArgs as parseFlags } from "@std/cli/parse-args";

/** Bad usage: an unknown flag, a missing value, a wrong number of arguments. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** One flag a command accepts. */
export interface FlagSpec {
  /** The long name, with dashes: `--platform`. */
  name: string;
  /** A short alias: `-u`. */
  short?: string;
  /** The value's placeholder (`OS/ARCH`); absent for boolean flags. */
  value?: string;
  /** One line of help. */
  help: string;
  /** The flag may be given more than once; every value is kept (see {@linkcode listFlag}). */
  repeat?: boolean;
}

/** Parsed arguments. */
export interface ParsedArgs {
  /** The positional arguments. */
  positional: string[];
  /** Flag values by long name (`true` for boolean flags; the last value of a repeated flag). */
  flags: Map<string, string | true>;
  /** Every value of each repeatable flag given, in order. */
  lists: Map<string, string[]>;
}

/** `-h`/`--help`, which every command knows. */
export const HELP_FLAG: FlagSpec = {
  name: "--help",
  short: "-h",
  help: "show this help",
};

/**
 * Parses `argv` against the flags given, and `-h`/`--help`. A value that
 * starts with `-` is given as `--flag=-value`; an empty value counts as
 * missing.
 *
 * @throws {UsageError} On an unknown flag or a missing value.
 */
export function parseArgs(argv: string[], specs: FlagSpec[]): ParsedArgs {
  const all = [...specs, HELP_FLAG];
  const key = (s: FlagSpec) => s.name.slice(2);
  const positional: string[] = [];
  let unknown: string | undefined;
  const parsed: Record<string, unknown> = parseFlags(argv, {
    boolean: all.filter((s) => s.value === undefined).map(key),
    string: all.filter((s) => s.value !== undefined).map(key),
    collect: all.filter((s) => s.repeat && s.value !== undefined).map(key),
    alias: Object.fromEntries(
      all.flatMap((s) => s.short ? [[key(s), s.short.slice(1)]] : []),
    ),
    "--": true,
    // Positionals are kept here as typed (parseArgs would turn "10" into 10);
    // an unknown flag is reported after a missing value, so that
    // `-p -secret` does not print the password.
    unknown(arg, flag) {
      if (flag === undefined) positional.push(arg);
      else unknown ??= arg.split("=")[0];
      return false;
    },
  });
  const flags = new Map<string, string | true>();
  const lists = new Map<string, string[]>();
  for (const s of all) {
    let v = parsed[key(s)];
    if (Array.isArray(v)) {
      if (v.includes("")) {
        throw new UsageError(`${s.name} needs a value (${s.value})`);
      }
      if (v.length > 0) lists.set(s.name, v as string[]);
      v = v.at(-1);
    }
    if (s.value === undefined) {
      if (v === true) flags.set(s.name, true);
    } else if (v === "") {
      throw new UsageError(`${s.name} needs a value (${s.value})`);
    } else if (typeof v === "string") flags.set(s.name, v);
  }
  if (unknown !== undefined) throw new UsageError(`unknown flag ${unknown}`);
  positional.push(...parsed["--"] as string[]);
  return { positional, flags, lists };
}

/** A string flag's value, if given. */
export function stringFlag(
  args: ParsedArgs,
  name: string,
): string | undefined {
  const v = args.flags.get(name);
  return typeof v === "string" ? v : undefined;
}

/** Every value of a repeatable flag, in order (none when not given). */
export function listFlag(args: ParsedArgs, name: string): string[] {
  return args.lists.get(name) ?? [];
}

/** Whether a boolean flag was given. */
export function boolFlag(args: ParsedArgs, name: string): boolean {
  return args.flags.get(name) === true;
}

/** Formats the flags for a help text, aligned. */
export function formatFlags(specs: FlagSpec[]): string {
  const left = specs.map((s) =>
    `${s.short ? `${s.short}, ` : "    "}${s.name}${
      s.value ? ` ${s.value}` : ""
    }`
  );
  const width = Math.max(...left.map((l) => l.length), 0) + 2;
  return specs.map((s, i) => `  ${left[i].padEnd(width)}${s.help}`).join(
    "\n",
  );
}
