// Shared by `pull`, `push` and `copy`: progress (a bar on a terminal, plain
// lines otherwise), stale temporary files removed from the destination
// first, SIGINT/SIGTERM (exit 130/143, nothing half-written), and the
// summary.

import type { ImageTransferResult } from "../../lib/image/types.ts";
import type { ImageProgressEvent } from "../../lib/content/progress.ts";
import { boolFlag, type FlagSpec, type ParsedArgs } from "../args.ts";
import type { Io } from "../common.ts";
import { concurrencyArg, platformArg, printJson } from "../common.ts";
import { removeStaleFor } from "../_cleanup.ts";
import { InterruptedError, interruptible } from "../_signals.ts";
import { transferLimitsArg } from "../limit_flags.ts";
import { formatBytes, formatDuration } from "../format.ts";
import { ProgressReporter } from "../progress_bar.ts";

/** `--trust-existing`, for commands that write to a layout. */
export const TRUST_EXISTING_FLAG: FlagSpec = {
  name: "--trust-existing",
  help: "skip hashing blobs already in the destination layout (trust the disk)",
};

/**
 * The flags pull, push and copy share: platform, concurrency, referrers,
 * and whether blobs already in a destination layout are verified.
 */
export function transferOptionsArg(args: ParsedArgs): {
  platform: ReturnType<typeof platformArg>;
  concurrency: ReturnType<typeof concurrencyArg>;
  referrers: boolean;
  verifyExisting: boolean;
} & ReturnType<typeof transferLimitsArg> {
  return {
    platform: platformArg(args),
    concurrency: concurrencyArg(args),
    referrers: boolFlag(args, "--referrers"),
    verifyExisting: !boolFlag(args, "--trust-existing"),
    ...transferLimitsArg(args), // --timeout, --max-depth …
  };
}

/** What a transfer command runs, given the progress callback and a signal. */
export type TransferRun = (
  onProgress: (event: ImageProgressEvent) => void,
  signal: AbortSignal,
) => Promise<ImageTransferResult>;

/**
 * Runs a transfer with progress. Without `--json`, progress goes to stdout
 * (a bar when it is a terminal, else lines); with `--json`, stdout holds
 * only the result and a bar is drawn on stderr when that is a terminal.
 * `destination` (a store name) is rid of stale temporary files first.
 * SIGINT or SIGTERM stops the transfer cleanly: exit 130 or 143.
 */
export async function runTransfer(
  args: ParsedArgs,
  io: Io,
  verb: { ing: string; ed: string },
  run: TransferRun,
  destination?: string,
): Promise<number> {
  const json = args.flags.has("--json");
  const tty = json ? io.stderrIsTerminal : io.stdoutIsTerminal;
  const write = json ? (t: string) => io.err(t) : (t: string) => io.out(t);
  const reporter = json && !tty
    ? undefined
    : new ProgressReporter(write, { tty, verb: verb.ing, columns: io.columns });
  if (destination !== undefined) await removeStaleFor(destination, io);
  let result: ImageTransferResult;
  try {
    result = await interruptible((signal) =>
      run((e) => reporter?.handle(e), signal)
    );
  } catch (err) {
    if (!(err instanceof InterruptedError)) throw err;
    io.err(
      `error: ${err.message} (blobs already written are kept; run again to resume)\n`,
    );
    return err.exitCode;
  } finally {
    reporter?.finish();
  }
  if (json) {
    printJson(io, result);
    return 0;
  }
  const parts = [`${result.blobsCopied} copied`];
  if (result.blobsMounted) parts.push(`${result.blobsMounted} mounted`);
  if (result.blobsExisting) parts.push(`${result.blobsExisting} existing`);
  io.out(
    `${verb.ed} ${result.destination} ${result.digest}${
      result.platform ? ` (${result.platform})` : ""
    }: ${result.blobs} blob${result.blobs === 1 ? "" : "s"} (${
      parts.join(", ")
    }), ${formatBytes(result.bytesTransferred)} in ${
      formatDuration(result.seconds)
    }\n`,
  );
  return 0;
}
