// Shared by `pull`, `push` and `copy`: progress (a bar on a terminal, plain
// lines otherwise), Ctrl-C, and the summary.

import type { ImageTransferResult } from "../../lib/image/types.ts";
import type { ImageProgressEvent } from "../../lib/content/progress.ts";
import { boolFlag, type ParsedArgs } from "../args.ts";
import type { Io } from "../common.ts";
import { concurrencyArg, platformArg, printJson } from "../common.ts";
import { formatBytes, formatDuration } from "../format.ts";
import { ProgressReporter } from "../progress_bar.ts";

/** The flags pull, push and copy share: platform, concurrency, referrers. */
export function transferOptionsArg(args: ParsedArgs): {
  platform: ReturnType<typeof platformArg>;
  concurrency: ReturnType<typeof concurrencyArg>;
  referrers: boolean;
} {
  return {
    platform: platformArg(args),
    concurrency: concurrencyArg(args),
    referrers: boolFlag(args, "--referrers"),
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
 */
export async function runTransfer(
  args: ParsedArgs,
  io: Io,
  verb: { ing: string; ed: string },
  run: TransferRun,
): Promise<number> {
  const json = args.flags.has("--json");
  const tty = json ? io.stderrIsTerminal : io.stdoutIsTerminal;
  const write = json ? (t: string) => io.err(t) : (t: string) => io.out(t);
  const reporter = json && !tty
    ? undefined
    : new ProgressReporter(write, { tty, verb: verb.ing, columns: io.columns });
  const controller = new AbortController();
  const onSigint = () => controller.abort(new Error("interrupted"));
  let listening = false;
  try {
    Deno.addSignalListener("SIGINT", onSigint);
    listening = true;
  } catch { /* not supported here */ }
  let result: ImageTransferResult | undefined;
  try {
    result = await run((e) => reporter?.handle(e), controller.signal);
  } catch (err) {
    if (!controller.signal.aborted) throw err;
  } finally {
    reporter?.finish();
    if (listening) Deno.removeSignalListener("SIGINT", onSigint);
  }
  if (result === undefined) {
    io.err("error: interrupted (blobs already written are kept)\n");
    return 130;
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
