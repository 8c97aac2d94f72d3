// The flags every command takes that act before it runs: `-v`/`--debug`
// (the request log on stderr) and `--password-stdin` (the one missing
// password, read from stdin).

import {
  boolFlag,
  type FlagSpec,
  type ParsedArgs,
  stringFlag,
  UsageError,
} from "./args.ts";

/** `-v`/`--debug`. */
export const DEBUG_FLAG: FlagSpec = {
  name: "--debug",
  short: "-v",
  help: "log each request and response on stderr (secrets redacted)",
};

/** `--password-stdin`. */
export const PASSWORD_STDIN_FLAG: FlagSpec = {
  name: "--password-stdin",
  help:
    "read the password of -u USER (or of --src-creds/--dest-creds USER) from stdin",
};

/** What the flags need of the terminal. */
interface Terminal {
  err(text: string): void;
  readStdin(): Promise<string>;
}

/** The log sink of each command run with `-v`, by its parsed arguments. */
const LOGS = new WeakMap<ParsedArgs, (line: string) => void>();

/**
 * Acts on `-v` (its log lines go to `io`'s stderr) and `--password-stdin`
 * (the password becomes the flag's value it completes: `-p`, or the
 * `:PASS` of `--src-creds USER` / `--dest-creds USER`).
 *
 * @throws {UsageError} When `--password-stdin` has no single password to
 * fill, or stdin holds none.
 */
export async function applyGlobalFlags(
  args: ParsedArgs,
  io: Terminal,
): Promise<void> {
  if (boolFlag(args, "--debug")) {
    LOGS.set(args, (line) => io.err(`${line}\n`));
  }
  if (!boolFlag(args, "--password-stdin")) return;
  if (stringFlag(args, "--password") !== undefined) {
    throw new UsageError("-p and --password-stdin exclude each other");
  }
  if (args.positional.includes("-")) {
    throw new UsageError(
      "--password-stdin and - (data on stdin) exclude each other",
    );
  }
  const wanting: string[] = [];
  if (stringFlag(args, "--username") !== undefined) wanting.push("--password");
  for (const flag of ["--src-creds", "--dest-creds"]) {
    const value = stringFlag(args, flag);
    if (value !== undefined && !value.includes(":")) wanting.push(flag);
  }
  if (wanting.length !== 1) {
    throw new UsageError(
      wanting.length === 0
        ? "--password-stdin needs -u USER (or --src-creds USER or --dest-creds USER)"
        : "--password-stdin fills one password: give only one of -u USER, --src-creds USER, --dest-creds USER",
    );
  }
  const password = (await io.readStdin()).replace(/\r?\n$/, "");
  if (password === "") throw new UsageError("no password on stdin");
  const [flag] = wanting;
  args.flags.set(
    flag,
    flag === "--password" ? password : `${stringFlag(args, flag)}:${password}`,
  );
}

/** The request log of a command run with `-v`, if any. */
export function logOf(args: ParsedArgs): ((line: string) => void) | undefined {
  return LOGS.get(args);
}
