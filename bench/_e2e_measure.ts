// Runs one command under `/usr/bin/time -v` and reads back its wall time,
// CPU time and peak RSS; small statistics. Private helper of bench/e2e.ts.

/** What one timed process did. */
export interface ProcessStats {
  /** Wall-clock milliseconds, measured around the process. */
  wallMs: number;
  /** User CPU seconds (the process and every child it waited for). */
  userS: number;
  /** System CPU seconds (same). */
  sysS: number;
  /** Peak resident set size in KiB (the largest single process of the tree). */
  maxRssKiB: number;
  /** Exit code. */
  code: number;
  /** Its standard output. */
  stdout: string;
  /** The tail of its standard error. */
  stderr: string;
}

/** A command to run. */
export interface Invocation {
  /** Program. */
  cmd: string;
  /** Arguments. */
  args: string[];
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Working directory. */
  cwd?: string;
}

const decoder = new TextDecoder();

function field(text: string, name: string): number {
  const m = new RegExp(`${name}: ([0-9.]+)`).exec(text);
  if (!m) throw new Error(`/usr/bin/time output lacks "${name}":\n${text}`);
  return Number(m[1]);
}

/**
 * Runs `inv` under `/usr/bin/time -v -o STATS` (so its own stderr stays
 * separate) and returns the figures.
 *
 * @param inv The command.
 * @param statsPath A scratch file for `/usr/bin/time`'s report.
 * @returns Its figures; `code` is the command's exit code.
 */
export async function timeProcess(
  inv: Invocation,
  statsPath: string,
): Promise<ProcessStats> {
  const t0 = performance.now();
  const out = await new Deno.Command("/usr/bin/time", {
    args: ["-v", "-o", statsPath, inv.cmd, ...inv.args],
    env: inv.env,
    cwd: inv.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const wallMs = performance.now() - t0;
  const stats = await Deno.readTextFile(statsPath);
  await Deno.remove(statsPath);
  return {
    wallMs,
    userS: field(stats, "User time \\(seconds\\)"),
    sysS: field(stats, "System time \\(seconds\\)"),
    maxRssKiB: field(stats, "Maximum resident set size \\(kbytes\\)"),
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr).slice(-4000),
  };
}

/** The median of a non-empty list (mean of the middle two for even lengths). */
export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Smallest and largest. */
export function range(values: number[]): [number, number] {
  return [Math.min(...values), Math.max(...values)];
}

/** Output of a short command, trimmed; `"?"` when it fails. */
export async function commandOutput(
  cmd: string,
  args: string[],
): Promise<string> {
  try {
    const out = await new Deno.Command(cmd, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = decoder.decode(out.stdout).trim() ||
      decoder.decode(out.stderr).trim();
    return out.success ? text : `? (${text.split("\n")[0]})`;
  } catch {
    return "?";
  }
}

/** Lines describing the machine and its load, for a report header. */
export async function machine(): Promise<string[]> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? "unknown";
  const meminfo = await Deno.readTextFile("/proc/meminfo").catch(() => "");
  const memKiB = Number(/^MemTotal:\s*(\d+)/m.exec(meminfo)?.[1] ?? 0);
  const load = (await Deno.readTextFile("/proc/loadavg").catch(() => ""))
    .split(" ").slice(0, 3).join(" ");
  return [
    `Machine: ${await commandOutput("nproc", [])} CPUs (${model}), ${
      (memKiB / 1048576).toFixed(1)
    } GiB memory, Linux ${await commandOutput("uname", ["-r"])}`,
    `Load average when the run started: ${load || "?"}`,
  ];
}
