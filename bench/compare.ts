#!/usr/bin/env -S deno run -A
// Usage: deno run -A bench/compare.ts OLD NEW [--runs N] [--warmup N]
//          [--modes anonymous,token] [--ops pull,push,copy,tags,manifest]
//          [--layers N] [--layer-mib N] [--tags N] [--json]
//
// Old against new: the CLIs of two checkouts of this repository
// (OLD/cli.ts and NEW/cli.ts, each run with the Deno flags its own
// cli/run_flags.ts names), or two `dreg` commands installed from a
// loopback JSR by bench/jsr_install.ts (OLD and NEW are then the launchers,
// DIR/NAME/bin/dreg, run as installed, with DIR/NAME/env.json), in paired runs
// against the same registries,
// alternating old and new each round (the first one rotating) after
// untimed warm-up rounds, each run a fresh process under /usr/bin/time -v:
//
//   pull      the e2e image (4 × 64 MiB) → an OCI layout, checked
//   push      its layout → a fresh repository
//   copy      registry → a fresh repository of a second registry
//   tags      list 1,000 tags (start-up bound)
//   manifest  fetch one manifest (start-up bound)
//
// Prints, per mode and operation, the medians of both, new ÷ old of the
// medians and the median of the per-round ratios, CPU time, peak RSS and
// requests. Exits 1 when a run failed. A checkout whose deno.json imports
// @std needs its parent folder linked first:
// `(cd DIR && bash /work/shared/std/link.sh)`.

import { startRegistry } from "../test_support/real_registry.ts";
import { harnessAuthorization } from "../test_support/fixtures.ts";
import { CLI_RUN_FLAGS } from "../cli/run_flags.ts";
import { parseBenchArgs, usageFromHeader } from "./_args.ts";
import { buildLayout } from "./_e2e_layout.ts";
import { machine, median } from "./_e2e_measure.ts";
import {
  registryBreakdown,
  summarize,
  type ToolResult,
} from "./_e2e_report.ts";
import { type Contestant, runRounds } from "./_e2e_run.ts";
import { seedImage, seedTags } from "./_e2e_seed.ts";
import { type ModeContext, prepareRun } from "./_e2e_tools.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const OPS = ["pull", "push", "copy", "tags", "manifest"] as const;
type CompareOp = typeof OPS[number];
const MODES = ["anonymous", "token"] as const;
const MiB = 1024 * 1024;

interface Side {
  id: "old" | "new";
  dir: string;
  cli: string;
  runFlags: readonly string[];
  /** The environment an installed launcher runs with. */
  env?: Record<string, string>;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * A `dreg` installed by bench/jsr_install.ts: its launcher's
 * `exec deno run FLAGS 'jsr:…' "$@"` line, and the env.json beside it.
 */
async function installedSide(
  id: "old" | "new",
  launcher: string,
  fail: (m: string) => never,
): Promise<Side> {
  const text = await Deno.readTextFile(launcher);
  const line = text.split("\n").find((l) => l.startsWith("exec deno run "));
  const words = line?.split(" ").slice(3).map((w) => w.replace(/^'|'$/g, ""));
  const at = words?.findIndex((w) => w.startsWith("jsr:")) ?? -1;
  if (!words || at < 0) fail(`${launcher}: not a deno install launcher`);
  // DIR/NAME/bin/dreg → DIR/NAME/env.json
  const envFile = launcher.split("/").slice(0, -2).join("/") + "/env.json";
  const env = JSON.parse(
    await Deno.readTextFile(envFile).catch(() =>
      fail(`${envFile}: missing (install with bench/jsr_install.ts)`)
    ),
  ) as Record<string, string>;
  return {
    id,
    dir: launcher,
    cli: words![at],
    runFlags: words!.slice(0, at),
    env,
  };
}

/** Checks a checkout (or a launcher) and reads the Deno flags its CLI runs with. */
async function side(
  id: "old" | "new",
  dir: string,
  fail: (m: string) => never,
): Promise<Side> {
  const abs = await Deno.realPath(dir).catch(() =>
    fail(`${dir}: no such directory`)
  );
  if ((await Deno.stat(abs)).isFile) return installedSide(id, abs, fail);
  const cli = `${abs}/cli.ts`;
  if (!await exists(cli)) fail(`${abs}: no cli.ts (not a checkout?)`);
  const config = await Deno.readTextFile(`${abs}/deno.json`).catch(() => "");
  if (config.includes('"jsr:@std/') && !await exists(`${abs}/../deno.json`)) {
    fail(
      `${abs} imports @std but ${abs}/../deno.json is missing: run ` +
        `(cd ${abs} && bash /work/shared/std/link.sh) first`,
    );
  }
  let runFlags: readonly string[] = CLI_RUN_FLAGS;
  const flagsFile = `${abs}/cli/run_flags.ts`;
  if (await exists(flagsFile)) {
    const mod = await import(`file://${flagsFile}`) as {
      CLI_RUN_FLAGS?: readonly string[];
    };
    if (mod.CLI_RUN_FLAGS) runFlags = mod.CLI_RUN_FLAGS;
  }
  return { id, dir: abs, cli, runFlags };
}

function fmt(n: number, digits = 2): string {
  return n.toFixed(digits);
}

function secs(s: number): string {
  return s < 1 ? `${(s * 1000).toFixed(0)} ms` : `${fmt(s)} s`;
}

/** Median of new ÷ old over the rounds both completed. */
function pairedRatio(
  old: ToolResult,
  neu: ToolResult,
  pick: (r: ToolResult["runs"][number]) => number,
): number {
  const n = Math.min(old.runs.length, neu.runs.length);
  const ratios = [];
  for (let i = 0; i < n; i++) {
    ratios.push(pick(neu.runs[i]) / pick(old.runs[i]));
  }
  return median(ratios);
}

interface Row {
  mode: string;
  op: CompareOp;
  old?: ReturnType<typeof summarize>;
  new?: ReturnType<typeof summarize>;
  ratio?: number;
  pairedRatio?: number;
  cpuRatio?: number;
  errors: string[];
  requests: { old?: string; new?: string };
}

async function main(): Promise<void> {
  const args = parseBenchArgs(Deno.args, {
    usage: usageFromHeader(import.meta.url, 1, 4),
    string: ["runs", "warmup", "modes", "ops", "layers", "layer-mib", "tags"],
    boolean: ["json"],
    operands: 2,
  });
  if (args.operands.length !== 2) args.fail("OLD and NEW are needed");
  const o = {
    runs: args.count("runs", 10),
    warmup: args.count("warmup", 1, 0),
    modes: args.list("modes", MODES, MODES),
    ops: args.list("ops", OPS, OPS),
    layers: args.count("layers", 4),
    layerMiB: args.count("layer-mib", 64),
    tags: args.count("tags", 1000),
    json: args.flag("json"),
  };
  const sides = [
    await side("old", args.operands[0], args.fail),
    await side("new", args.operands[1], args.fail),
  ];
  const work = await Deno.makeTempDir({ prefix: "compare-bench-" });
  const rows: Row[] = [];
  const header = await machine();
  try {
    console.error(`building the image: ${o.layers} × ${o.layerMiB} MiB …`);
    const image = await buildLayout(
      `${work}/image`,
      o.layers,
      o.layerMiB * MiB,
      "v1",
    );
    for (const mode of o.modes) {
      await using reg = await startRegistry({ mode });
      await using dest = await startRegistry({ mode });
      console.error(`${mode}: registries at ${reg.url} and ${dest.url} …`);
      const seedDir = await Deno.makeTempDir({ dir: work, prefix: "seed-" });
      await seedImage(reg, image, "bench/image", seedDir);
      const tags = o.ops.includes("tags")
        ? await seedTags(reg, "bench/tags", o.tags)
        : ["t0000"];
      await harnessAuthorization(reg, "bench/image", "pull");
      const base: Omit<ModeContext, "cli" | "runFlags" | "env"> = {
        reg,
        dest,
        image,
        imageRepo: "bench/image",
        tagsRepo: "bench/tags",
        tags,
        npmDriverDir: `${ROOT}/bench/npm_driver`,
        denoFetch: `${ROOT}/bench/_e2e_fetch.ts`,
      };
      for (const op of o.ops) {
        const contestants: Contestant[] = sides.map((s) => ({
          id: s.id,
          label: `${s.id} (${s.dir})`,
          prepare: (scratch, runName) =>
            prepareRun(
              { ...base, cli: s.cli, runFlags: s.runFlags, env: s.env },
              op,
              "ours",
              scratch,
              `${s.id}-${runName}`,
            ),
        }));
        const [old, neu] = await runRounds(contestants, {
          warmup: o.warmup,
          runs: o.runs,
          work,
          registries: [reg, dest],
          title: `${mode} ${op}`,
        });
        const so = summarize(old);
        const sn = summarize(neu);
        const last = (t: ToolResult) => {
          const r = t.runs.at(-1);
          return r &&
            `${r.registry.length} + ${r.token.length} token: ${
              registryBreakdown(r.registry)
            }`;
        };
        rows.push({
          mode,
          op,
          old: so,
          new: sn,
          ratio: so && sn ? sn.wall / so.wall : undefined,
          pairedRatio: so && sn
            ? pairedRatio(old, neu, (r) => r.wallMs)
            : undefined,
          cpuRatio: so && sn ? sn.cpu / so.cpu : undefined,
          errors: [old, neu].filter((t) => t.error).map((t) =>
            `${t.tool}: ${t.error}`
          ),
          requests: { old: last(old), new: last(neu) },
        });
      }
    }
  } finally {
    await Deno.remove(work, { recursive: true });
  }
  if (o.json) {
    console.log(JSON.stringify({ sides, machine: header, rows }, null, 2));
  } else {
    const lines = [
      `# old vs new: ${o.runs} paired run(s) after ${o.warmup} warm-up round(s)`,
      "",
      `- old: ${sides[0].dir}`,
      `- new: ${sides[1].dir}`,
      ...header.map((h) => `- ${h}`),
      "",
      "| mode | op | old (median) | new (median) | new ÷ old | per-round new ÷ old (median) | CPU old | CPU new | CPU new ÷ old | RSS old | RSS new | requests old | requests new |",
      "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ];
    for (const r of rows) {
      if (!r.old || !r.new) {
        lines.push(
          `| ${r.mode} | ${r.op} | failed: ${
            r.errors.join("; ").replaceAll("|", "\\|")
          } |`,
        );
        continue;
      }
      const req = (s: NonNullable<Row["old"]>) =>
        `${s.registry[1]} + ${s.token[1]}`;
      lines.push(
        `| ${r.mode} | ${r.op} | ${secs(r.old.wall)} | ${secs(r.new.wall)} | ${
          fmt(r.ratio!)
        }× | ${fmt(r.pairedRatio!)}× | ${fmt(r.old.cpu)} s | ${
          fmt(r.new.cpu)
        } s | ${fmt(r.cpuRatio!)}× | ${fmt(r.old.rssMiB, 1)} MiB | ${
          fmt(r.new.rssMiB, 1)
        } MiB | ${req(r.old)} | ${req(r.new)} |`,
      );
    }
    lines.push(
      "",
      "Below 1: new is faster. Requests: registry + token server, the most of any run.",
    );
    const differ = rows.filter((r) => r.requests.old !== r.requests.new);
    if (differ.length) {
      lines.push("", "Requests that differ (last run):", "");
      for (const r of differ) {
        lines.push(
          `- ${r.mode} ${r.op}: old ${r.requests.old ?? "?"}; new ${
            r.requests.new ?? "?"
          }`,
        );
      }
    }
    console.log(lines.join("\n"));
  }
  if (rows.some((r) => r.errors.length)) Deno.exit(1);
}

if (import.meta.main) await main();
