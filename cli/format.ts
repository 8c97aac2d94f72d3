// Human-readable sizes, durations and speeds for the CLI's output.

import { format } from "@std/fmt/bytes";

/** `512 B`, `1.5 KiB`, `64 MiB`, `1.23 GiB`: IEC units, 3 significant digits. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "?";
  // @std/fmt/bytes writes kibibytes "kiB"; the IEC symbol is "KiB".
  return format(bytes, { binary: true }).replace("kiB", "KiB");
}

/**
 * `0s`, `42s`, `3m05s`, `2h04m`: compact, zero-padded, at most two units,
 * which `@std/fmt/duration` does not write (`3m 5s`, and `""` for zero).
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) {
    return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  }
  return `${Math.floor(s / 3600)}h${
    String(Math.floor((s % 3600) / 60)).padStart(2, "0")
  }m`;
}

/** `12.3 MiB/s`. */
export function formatSpeed(bytesPerSecond: number): string {
  return `${formatBytes(Math.round(bytesPerSecond))}/s`;
}

/** `sha256:0123456789ab` (the algorithm and 12 hex digits). */
export function shortDigest(digest: string): string {
  const colon = digest.indexOf(":");
  return colon < 0 ? digest : digest.slice(0, colon + 13);
}
