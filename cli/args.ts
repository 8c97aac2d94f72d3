// Command-line flags: `--flag value`, `--flag=value`, `-u value`, boolean
// flags, and `--` to end the flags. Bad usage throws UsageError (exit 2).

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
}

/** Parsed arguments. */
export interface ParsedArgs {
  /** The positional arguments. */
  positional: string[];
  /** Flag values by long name (`true` for boolean flags). */
  flags: Map<string, string | true>;
}

/**
 * Parses `argv` against the flags given. `-h`/`--help` are always known
 * (boolean, stored as `--help`).
 *
 * @throws {UsageError} On an unknown flag or a missing value.
 */
export function parseArgs(argv: string[], specs: FlagSpec[]): ParsedArgs {
  const byName = new Map<string, FlagSpec>();
  for (const s of specs) {
    byName.set(s.name, s);
    if (s.short) byName.set(s.short, s);
  }
  const help: FlagSpec = { name: "--help", short: "-h", help: "" };
  byName.set("--help", help);
  byName.set("-h", help);
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positional.push(arg);
      continue;
    }
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const spec = byName.get(name);
    if (!spec) throw new UsageError(`unknown flag ${name}`);
    if (spec.value === undefined) {
      if (eq > 0) throw new UsageError(`${spec.name} takes no value`);
      flags.set(spec.name, true);
      continue;
    }
    let value: string;
    if (eq > 0) value = arg.slice(eq + 1);
    else if (i + 1 < argv.length) value = argv[++i];
    else throw new UsageError(`${name} needs a value (${spec.value})`);
    flags.set(spec.name, value);
  }
  return { positional, flags };
}

/** A string flag's value, if given. */
export function stringFlag(
  args: ParsedArgs,
  name: string,
): string | undefined {
  const v = args.flags.get(name);
  return typeof v === "string" ? v : undefined;
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
