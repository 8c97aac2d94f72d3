// Command-line parsing of the bench scripts: `@std/cli/parse-args` with what
// every script wants on top of it: an unknown option, a missing or bad value
// or too many operands print the message and the script's usage on stderr
// and exit 2; `-h`/`--help` prints the usage on stdout and exits 0. Private
// helper.

import { parseArgs } from "@std/cli/parse-args";

/** What a script accepts. */
export interface ArgSpec {
  /** The usage text (printed with every error, and by --help). */
  usage: string;
  /** Options that take a value (`--runs 5`, `--runs=5`). */
  string?: string[];
  /** Options without a value (`--quick`). */
  boolean?: string[];
  /** Most operands (arguments that are not options); 0 by default. */
  operands?: number;
}

/** The parsed command line. */
export interface BenchArgs {
  /** The operands, in order. */
  operands: string[];
  /** Whether the option was given. */
  has(name: string): boolean;
  /** A boolean option. */
  flag(name: string): boolean;
  /** A string option's value, or `fallback` when it was not given. */
  string(name: string, fallback?: string): string | undefined;
  /**
   * An integer option (or operand text) of at least `min`; `fallback` when
   * absent.
   */
  count(name: string, fallback: number, min?: number): number;
  /** A number above 0 (fractions allowed); `fallback` when absent. */
  positive(name: string, fallback: number): number;
  /** A comma-separated list whose items are all in `allowed`. */
  list<T extends string>(
    name: string,
    allowed: readonly T[],
    fallback: readonly T[],
  ): T[];
  /** Prints `message` and the usage on stderr and exits 2. */
  fail(message: string): never;
}

/** Prints `message` and `usage` on stderr and exits 2. */
export function usageError(usage: string, message: string): never {
  console.error(`${message}\n\n${usage}`);
  Deno.exit(2);
}

/** The usage text at the top of a script: its comment lines from `from` to `to`. */
export function usageFromHeader(url: string | URL, from = 1, to = 6): string {
  return Deno.readTextFileSync(new URL(url)).split("\n").slice(from, to)
    .map((l) => l.replace(/^\/\/ ?/, "")).join("\n");
}

/**
 * Parses `argv` against `spec`.
 *
 * @example
 * ```ts ignore
 * const args = parseBenchArgs(Deno.args, {
 *   usage: "Usage: deno run -A bench/x.ts [--runs N]",
 *   string: ["runs"],
 * });
 * const runs = args.count("runs", 5);
 * ```
 */
export function parseBenchArgs(argv: string[], spec: ArgSpec): BenchArgs {
  const strings = spec.string ?? [];
  const booleans = [...(spec.boolean ?? []), "help"];
  const fail = (message: string): never => usageError(spec.usage, message);
  const parsed = parseArgs(argv, {
    string: strings,
    boolean: booleans,
    alias: { h: "help" },
    unknown: (arg, key) => {
      if (key === undefined && !arg.startsWith("-")) return true;
      fail(`unknown option ${arg}`);
    },
  });
  if (parsed.help) {
    console.log(spec.usage);
    Deno.exit(0);
  }
  const operands = parsed._.map(String);
  if (operands.length > (spec.operands ?? 0)) {
    fail(`too many arguments: ${operands.join(" ")}`);
  }
  const record = parsed as Record<string, unknown>;
  const stringOf = (name: string): string | undefined => {
    const v = record[name];
    if (v === undefined) return undefined;
    if (typeof v !== "string" || v === "") fail(`--${name} needs a value`);
    return v as string;
  };
  return {
    operands,
    has: (name) => record[name] !== undefined && record[name] !== false,
    flag: (name) => record[name] === true,
    string: (name, fallback) => stringOf(name) ?? fallback,
    count(name, fallback, min = 1) {
      const v = stringOf(name);
      if (v === undefined) return fallback;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min) {
        fail(`--${name}: bad number ${v} (an integer ≥ ${min})`);
      }
      return n;
    },
    positive(name, fallback) {
      const v = stringOf(name);
      if (v === undefined) return fallback;
      const n = Number(v);
      if (!(n > 0) || !Number.isFinite(n)) {
        fail(`--${name}: bad number ${v} (above 0)`);
      }
      return n;
    },
    list(name, allowed, fallback) {
      const v = stringOf(name);
      if (v === undefined) return [...fallback];
      const items = v.split(",").map((s) => s.trim()).filter(Boolean);
      for (const i of items) {
        if (!allowed.includes(i as never)) {
          fail(`--${name}: unknown "${i}" (one of ${allowed.join(", ")})`);
        }
      }
      return items as (typeof allowed[number])[];
    },
    fail,
  };
}

/**
 * A numeric operand above 0 (an integer unless `fractions`); `fallback` when
 * it is absent.
 */
export function numberOperand(
  args: BenchArgs,
  index: number,
  name: string,
  fallback: number,
  fractions = false,
): number {
  const v = args.operands[index];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!(n > 0) || !Number.isFinite(n) || (!fractions && !Number.isInteger(n))) {
    args.fail(
      `${name}: bad number ${v} (${fractions ? "" : "an integer "}above 0)`,
    );
  }
  return n;
}
