// The command-line tool's entry: dispatches to a subcommand, turns errors
// into one `error: ...` line and an exit code (0 ok, 1 failed, 2 bad usage,
// 130 interrupted by SIGINT, 143 by SIGTERM).

import { formatFlags, parseArgs, UsageError } from "./args.ts";
import { COMMON_FLAGS, helpOf, type Io, PROGRAM } from "./common.ts";
import { COMMANDS } from "./commands/mod.ts";
import { applyGlobalFlags } from "./global_flags.ts";
import { InterruptedError } from "./_signals.ts";

const encoder = new TextEncoder();

function writeAll(
  file: { writeSync(p: Uint8Array): number },
  data: Uint8Array,
): void {
  let off = 0;
  while (off < data.length) off += file.writeSync(data.subarray(off));
}

/** The real terminal: Deno's stdout, stderr and stdin. */
export function denoIo(): Io {
  let columns = 80;
  try {
    columns = Deno.consoleSize().columns || 80;
  } catch { /* not a terminal */ }
  return {
    out: (text) =>
      writeAll(
        Deno.stdout,
        typeof text === "string" ? encoder.encode(text) : text,
      ),
    err: (text) => writeAll(Deno.stderr, encoder.encode(text)),
    stdoutIsTerminal: Deno.stdout.isTerminal(),
    stderrIsTerminal: Deno.stderr.isTerminal(),
    columns,
    readStdin: () => new Response(Deno.stdin.readable).text(),
  };
}

/** The top-level help. */
export function topHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    `Usage: ${PROGRAM} COMMAND [flags] ARGS`,
    "",
    "A client for container registries (Docker Registry HTTP API V2, OCI).",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    "",
    "Common flags:",
    formatFlags(COMMON_FLAGS),
    "",
    "References look like alpine:3.20, quay.io/org/app@sha256:...,",
    "or http://127.0.0.1:5000/foo:tag (a loopback host uses http anyway).",
    `Run "${PROGRAM} COMMAND --help" for a command's flags.`,
    `"${PROGRAM} --version" prints the version.`,
    "",
    "Exit codes: 0 success, 1 failure, 2 bad usage, 130 interrupted (SIGINT),",
    "143 terminated (SIGTERM).",
  ].join("\n") + "\n";
}

/** `dreg --version`: the package's version (from deno.json) and Deno's. */
async function versionText(): Promise<string> {
  const { default: config } = await import("../deno.json", {
    with: { type: "json" },
  });
  return `${PROGRAM} ${config.version} (${config.name})\ndeno ${Deno.version.deno}\n`;
}

/** One line for an error: its message, whitespace folded. */
function messageOf(err: unknown): string {
  const text = err instanceof Error ? (err.message || err.name) : String(err);
  return text.replace(/\s*\n\s*/g, " ").trim();
}

/**
 * Runs the tool with `argv` (without the program name).
 *
 * @returns The exit code.
 */
export async function main(argv: string[], io: Io = denoIo()): Promise<number> {
  // `dreg -v COMMAND ...` is `dreg COMMAND -v ...`.
  let first = 0;
  while (argv[first] === "-v" || argv[first] === "--debug") first++;
  const [name, ...rest] = argv.slice(first);
  rest.push(...argv.slice(0, first));
  if (name === undefined) {
    io.err(topHelp());
    return 2;
  }
  if (name === "--version" || name === "-V") {
    io.out(await versionText());
    return 0;
  }
  if (name === "-h" || name === "--help" || name === "help") {
    const entry = COMMANDS.find((c) => c.name === rest[0]);
    io.out(entry ? helpOf(await entry.load()) : topHelp());
    return 0;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    io.err(
      `error: unknown command "${name}"\nRun "${PROGRAM} --help" for the commands.\n`,
    );
    return 2;
  }
  const cmd = await entry.load();
  try {
    const args = parseArgs(rest, [...cmd.flags, ...COMMON_FLAGS]);
    if (args.flags.has("--help")) {
      io.out(helpOf(cmd));
      return 0;
    }
    const [min, max] = cmd.arity;
    const n = args.positional.length;
    if (n < min || n > max) {
      throw new UsageError(
        `${PROGRAM} ${cmd.name} takes ${cmd.args} (${n} argument${
          n === 1 ? "" : "s"
        } given)`,
      );
    }
    await applyGlobalFlags(args, io);
    return await cmd.run(args, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(
        `error: ${
          messageOf(err)
        }\nRun "${PROGRAM} ${cmd.name} --help" for usage.\n`,
      );
      return 2;
    }
    io.err(`error: ${messageOf(err)}\n`);
    return err instanceof InterruptedError ? err.exitCode : 1;
  }
}
