// The flags that bound what a command may wait for and walk: `--timeout`
// (the whole command), `--request-timeout` (one small request),
// `--idle-timeout`, `--min-speed` and `--speed-time` (every request), and
// for pull, push and copy the bounds on the image's graph (`--max-depth`,
// `--max-manifests`, `--max-descriptors`, `--max-manifest-bytes`).

import { LimitExceededError } from "../lib/errors.ts";
import type { ClientOptions } from "../lib/registry/client.ts";
import type { TransferOptions } from "../lib/content/copy.ts";
import {
  type FlagSpec,
  type ParsedArgs,
  stringFlag,
  UsageError,
} from "./args.ts";

/** The time and speed flags, which every command takes. */
export const TIME_FLAGS: FlagSpec[] = [
  {
    name: "--timeout",
    value: "DURATION",
    help:
      "give up on the whole command after this long (e.g. 10m; default: none)",
  },
  {
    name: "--request-timeout",
    value: "DURATION",
    help:
      "give up on a small request (manifest, token, tag page) after this long (default 60s)",
  },
  {
    name: "--idle-timeout",
    value: "DURATION",
    help: "give up on a request that sends nothing for this long (default 2m)",
  },
  {
    name: "--min-speed",
    value: "BYTES/S",
    help:
      "give up on a transfer slower than this over --speed-time (default 1KiB; 0: off)",
  },
  {
    name: "--speed-time",
    value: "DURATION",
    help: "the window --min-speed is averaged over (default 30s)",
  },
];

/** The bounds on the graph an image transfer walks (pull, push, copy). */
export const WALK_LIMIT_FLAGS: FlagSpec[] = [
  {
    name: "--max-depth",
    value: "N",
    help:
      "deepest nesting of indexes and referrers below the image (default 8)",
  },
  {
    name: "--max-manifests",
    value: "N",
    help: "most manifests one transfer reads (default 10000)",
  },
  {
    name: "--max-descriptors",
    value: "N",
    help: "most descriptors one transfer reads (default 100000)",
  },
  {
    name: "--max-manifest-bytes",
    value: "SIZE",
    help:
      "most manifest bytes one transfer reads, all together (default 64MiB)",
  },
];

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * A duration flag in milliseconds: `500ms`, `30s`, `2m`, `1h`, or seconds
 * alone (`90`); `0` is off.
 */
export function durationArg(
  args: ParsedArgs,
  flag: string,
): number | undefined {
  const text = stringFlag(args, flag);
  if (text === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (m === null) {
    throw new UsageError(
      `${flag} must be a duration such as 500ms, 30s, 2m or 1h, got "${text}"`,
    );
  }
  return Math.round(Number(m[1]) * DURATION_UNITS[m[2] ?? "s"]);
}

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
};

/** A size flag in bytes: `1024`, `64k`, `1KiB`, `64MiB`, `1G`, optionally `/s`. */
export function sizeArg(args: ParsedArgs, flag: string): number | undefined {
  const text = stringFlag(args, flag);
  if (text === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?(?:\/s)?$/i.exec(text.trim());
  if (m === null) {
    throw new UsageError(
      `${flag} must be a size such as 1024, 64KiB or 1MiB, got "${text}"`,
    );
  }
  return Math.floor(Number(m[1]) * SIZE_UNITS[m[2].toLowerCase()]);
}

function countArg(args: ParsedArgs, flag: string): number | undefined {
  const text = stringFlag(args, flag);
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1) {
    throw new UsageError(`${flag} must be a positive integer, got "${text}"`);
  }
  return Number(text);
}

/** The client's per-request bounds from the time and speed flags. */
export function requestLimitsArg(
  args: ParsedArgs,
): Pick<
  ClientOptions,
  "requestDeadlineMs" | "requestTimeoutMs" | "minSpeed" | "minSpeedWindowMs"
> {
  const out: Record<string, number> = {};
  const set = (key: string, value: number | undefined) => {
    if (value !== undefined) out[key] = value;
  };
  set("requestDeadlineMs", durationArg(args, "--request-timeout"));
  set("requestTimeoutMs", durationArg(args, "--idle-timeout"));
  set("minSpeed", sizeArg(args, "--min-speed"));
  const window = durationArg(args, "--speed-time");
  if (window === 0) throw new UsageError("--speed-time must be more than 0");
  set("minSpeedWindowMs", window);
  return out;
}

/** A transfer's `--timeout` and graph bounds. */
export function transferLimitsArg(
  args: ParsedArgs,
): Pick<
  TransferOptions,
  | "timeoutMs"
  | "maxIndexDepth"
  | "maxManifests"
  | "maxDescriptors"
  | "maxTotalManifestBytes"
> {
  const out: Record<string, number> = {};
  const set = (key: string, value: number | undefined) => {
    if (value !== undefined) out[key] = value;
  };
  set("timeoutMs", durationArg(args, "--timeout"));
  set("maxIndexDepth", countArg(args, "--max-depth"));
  set("maxManifests", countArg(args, "--max-manifests"));
  set("maxDescriptors", countArg(args, "--max-descriptors"));
  const bytes = sizeArg(args, "--max-manifest-bytes");
  if (bytes === 0) {
    throw new UsageError("--max-manifest-bytes must be more than 0");
  }
  set("maxTotalManifestBytes", bytes);
  return out;
}

/**
 * The signal that ends a command after `--timeout` (a `LimitExceededError`
 * naming the flag), for commands that are not transfers; `undefined`
 * without the flag. Its timer does not keep the process alive.
 */
export function commandDeadlineArg(args: ParsedArgs): AbortSignal | undefined {
  const ms = durationArg(args, "--timeout");
  if (!ms) return undefined;
  const controller = new AbortController();
  const started = Date.now();
  const timer = setTimeout(() =>
    controller.abort(
      new LimitExceededError(
        "finish the command",
        "time",
        Date.now() - started,
        ms,
        "--timeout",
        "ms",
      ),
    ), ms);
  Deno.unrefTimer(timer);
  return controller.signal;
}
