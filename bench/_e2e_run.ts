// Paired, alternating runs of bench/e2e.ts and bench/compare.ts: each round
// runs every contestant once, the first one rotating from round to round,
// after untimed warm-up rounds, so drift on a busy machine spreads over all
// of them. Each run is a fresh process in a fresh scratch directory, timed
// under /usr/bin/time -v, then checked; the registries' access logs and
// token servers say which requests it made. Private helper.

import type { RealRegistry } from "../test_support/real_registry.ts";
import { timeProcess } from "./_e2e_measure.ts";
import type { ToolResult } from "./_e2e_report.ts";
import type { PreparedRun } from "./_e2e_tools.ts";

/** One side of a comparison. */
export interface Contestant {
  /** Its key in the results (`ours`, `old`, `pull@big` …). */
  id: string;
  /** How the report names it. */
  label: string;
  /** Bytes it moves per run, for throughput. */
  bytes?: number;
  /** Why it is not run at all (it is listed with this reason). */
  skipped?: string;
  /**
   * Prepares one run.
   *
   * @param scratch A fresh, empty directory for this run.
   * @param runName Unique among the runs of this contestant (`w0`, `r3`).
   */
  prepare(scratch: string, runName: string): PreparedRun;
}

/** How many rounds, and where. */
export interface RoundOptions {
  /** Untimed rounds first. */
  warmup: number;
  /** Measured rounds. */
  runs: number;
  /** Parent of the runs' scratch directories. */
  work: string;
  /** Registries whose access logs count (a copy's source and destination). */
  registries: RealRegistry[];
  /** Prefix of the progress lines on stderr (`anonymous pull`). */
  title: string;
}

/** Rotates `items` left by `n`. */
export function rotate<T>(items: T[], n: number): T[] {
  const k = items.length ? n % items.length : 0;
  return [...items.slice(k), ...items.slice(0, k)];
}

/**
 * Runs the contestants in alternating rounds. A contestant whose run fails
 * (exit code or check) stops there; its error is kept and the others go on.
 *
 * @returns One result per contestant, in the order given.
 */
export async function runRounds(
  contestants: Contestant[],
  o: RoundOptions,
): Promise<ToolResult[]> {
  const results = new Map<string, ToolResult>(
    contestants.map((c) => [c.id, {
      tool: c.id,
      label: c.label,
      bytes: c.bytes,
      runs: [],
      skipped: c.skipped,
    }]),
  );
  const active = contestants.filter((c) => !c.skipped);
  const width = Math.max(...contestants.map((c) => c.id.length));
  for (let round = 0; round < o.warmup + o.runs; round++) {
    const warm = round < o.warmup;
    for (const c of rotate(active, round)) {
      const r = results.get(c.id)!;
      if (r.error) continue;
      const scratch = await Deno.makeTempDir({ dir: o.work, prefix: "run-" });
      try {
        const prepared = c.prepare(scratch, `${warm ? "w" : "r"}${round}`);
        const before: number[] = [];
        for (const reg of o.registries) {
          before.push((await reg.flushAccessLog()).length);
        }
        const tokenBefore = o.registries.map((reg) =>
          reg.tokenServer?.requests.length ?? 0
        );
        const stats = await timeProcess(prepared.inv, `${o.work}/time.txt`);
        const registry = [];
        const token = [];
        for (const [i, reg] of o.registries.entries()) {
          await reg.flushAccessLog();
          registry.push(...reg.accessLogEntries().slice(before[i]));
          token.push(...reg.tokenServer?.requests.slice(tokenBefore[i]) ?? []);
        }
        if (stats.code !== 0) {
          throw new Error(
            `exit ${stats.code}: ${
              stats.stderr.trim().split("\n").slice(-3).join(" / ")
            }`,
          );
        }
        await prepared.check(stats);
        const cpuS = stats.userS + stats.sysS;
        console.error(
          `  ${o.title} ${c.id.padEnd(width)} ${
            warm ? "warm-up" : `run ${round - o.warmup + 1}/${o.runs}`
          }: ${(stats.wallMs / 1000).toFixed(2)} s, cpu ${cpuS.toFixed(2)} s, ${
            (stats.maxRssKiB / 1024).toFixed(1)
          } MiB, ${registry.length} req + ${token.length} token`,
        );
        if (!warm) {
          r.runs.push({
            wallMs: stats.wallMs,
            cpuS,
            maxRssKiB: stats.maxRssKiB,
            registry,
            token,
          });
        }
      } catch (e) {
        r.error = e instanceof Error ? e.message : String(e);
        console.error(`  ${o.title} ${c.id}: FAILED ${r.error}`);
      } finally {
        await Deno.remove(scratch, { recursive: true });
      }
    }
  }
  return contestants.map((c) => results.get(c.id)!);
}
