// Summaries, targets and the BENCHMARKS.md text of bench/e2e.ts. Private
// helper.

import type { AccessLogEntry } from "../test_support/real_registry.ts";
import type { TokenRequestRecord } from "../test_support/token_server.ts";
import { median, range } from "./_e2e_measure.ts";
import { type Op, OP_TOOLS, type ToolId } from "./_e2e_tools.ts";

/** One measured run. */
export interface RunRecord {
  /** Wall-clock milliseconds. */
  wallMs: number;
  /** User + system CPU seconds. */
  cpuS: number;
  /** Peak RSS in KiB. */
  maxRssKiB: number;
  /** Requests the registry logged during the run. */
  registry: AccessLogEntry[];
  /** Requests the token server received during the run. */
  token: TokenRequestRecord[];
}

/** One tool's runs of one operation. */
export interface ToolResult {
  /** The tool (a ToolId, or another contestant's key). */
  tool: string;
  /** How the report names it. */
  label: string;
  /** Bytes moved per run, for throughput (else the operation's). */
  bytes?: number;
  /** The measured runs (warm-up rounds excluded). */
  runs: RunRecord[];
  /** Why it stopped, when a run failed. */
  error?: string;
  /** Why it was not run at all. */
  skipped?: string;
}

/** One operation in one mode. */
export interface OpResult {
  /** The operation. */
  op: Op;
  /** Bytes moved (pull and push), for throughput. */
  bytes?: number;
  /** Per tool. */
  tools: ToolResult[];
}

/** Everything measured in one auth mode. */
export interface ModeResult {
  /** `anonymous` or `token`. */
  mode: string;
  /** Per operation. */
  ops: OpResult[];
}

/** What the report header says. */
export interface ReportMeta {
  /** The command line. */
  command: string;
  /** ISO date. */
  date: string;
  /** Machine description lines. */
  machine: string[];
  /** Tool versions. */
  versions: [string, string][];
  /** Image descriptions: the main image, the small-layer one, the big one. */
  images: string[];
  /** How the ORAS Go program was built, or why it was not. */
  oras: string;
  /** Runs, warm-up rounds. */
  runs: number;
  warmup: number;
  /** Quick mode. */
  quick: boolean;
  /** Layer count of the main image (the N of the request targets). */
  layers: number;
  /** Layers of the small-layer image, and their size in KiB. */
  smallLayers: number;
  smallKiB: number;
  /** Tags in the tag-list repository. */
  tagCount: number;
  /** Total wall time of the benchmark, seconds. */
  totalSeconds?: number;
}

/** A tool's figures over its runs. */
export interface Summary {
  /** Median wall seconds. */
  wall: number;
  /** Fastest and slowest run, seconds. */
  wallRange: [number, number];
  /** Median CPU seconds. */
  cpu: number;
  /** Largest peak RSS over the runs, MiB. */
  rssMiB: number;
  /** Registry requests per run: [fewest, most]. */
  registry: [number, number];
  /** Token-server requests per run: [fewest, most]. */
  token: [number, number];
}

/** Summarizes a tool's runs; undefined when it has none. */
export function summarize(t: ToolResult): Summary | undefined {
  if (t.error || t.skipped || t.runs.length === 0) return undefined;
  return {
    wall: median(t.runs.map((r) => r.wallMs)) / 1000,
    wallRange: range(t.runs.map((r) => r.wallMs / 1000)),
    cpu: median(t.runs.map((r) => r.cpuS)),
    rssMiB: Math.max(...t.runs.map((r) => r.maxRssKiB)) / 1024,
    registry: range(t.runs.map((r) => r.registry.length)),
    token: range(t.runs.map((r) => r.token.length)),
  };
}

/** `/v2/<name>/blobs/<digest>` → `blobs/<digest>` and so on. */
function routeOf(path: string): string {
  const p = path.split("?")[0];
  if (p === "/v2/" || p === "/v2") return "/v2/";
  let m: RegExpExecArray | null;
  if ((m = /\/manifests\/([^/]+)$/.exec(p))) {
    return m[1].includes(":") ? "manifests/<digest>" : "manifests/<tag>";
  }
  if (/\/blobs\/uploads\/?$/.test(p)) return "blobs/uploads/";
  if (/\/blobs\/uploads\/[^/]+$/.test(p)) return "blobs/uploads/<id>";
  if (/\/blobs\/[^/]+$/.test(p)) return "blobs/<digest>";
  if (/\/tags\/list$/.test(p)) return "tags/list";
  if (/\/referrers\//.test(p)) return "referrers/<digest>";
  return p;
}

function countKeys(keys: string[]): string {
  const counts = new Map<string, number>();
  for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  return [...counts].map(([k, n]) => n > 1 ? `${k} ×${n}` : k).join(", ");
}

/** The registry requests of a run, grouped: `GET blobs/<digest> ×5, …`. */
export function registryBreakdown(entries: AccessLogEntry[]): string {
  return countKeys(
    entries.map((e) =>
      `${e.method} ${routeOf(e.path)}${e.status >= 400 ? ` → ${e.status}` : ""}`
    ),
  );
}

/** The token requests of a run: `GET (repository:a:pull) ×2`. */
export function tokenBreakdown(records: TokenRequestRecord[]): string {
  return countKeys(
    records.map((r) =>
      `${r.method} (${r.scopes.join(" ") || "no scope"})${
        r.status >= 400 ? ` → ${r.status}` : ""
      }`
    ),
  );
}

/** Blob or manifest existence checks (HEAD) repeated for one digest in a run. */
export function repeatedHeads(entries: AccessLogEntry[]): string[] {
  const seen = new Map<string, number>();
  for (const e of entries) {
    if (e.method !== "HEAD") continue;
    const p = e.path.split("?")[0];
    seen.set(p, (seen.get(p) ?? 0) + 1);
  }
  return [...seen].filter(([, n]) => n > 1).map(([p, n]) => `${p} ×${n}`);
}

/** One target check. */
export interface TargetResult {
  /** What is checked. */
  target: string;
  /** Auth mode. */
  mode: string;
  /** The measured value. */
  value: string;
  /** PASS, MISS, or n/a when it could not be measured. */
  verdict: "PASS" | "MISS" | "n/a";
  /** How far from the line, and which way. */
  margin: string;
}

const fmt = (n: number, digits = 2) => n.toFixed(digits);
/** Seconds as `63 ms` below one second, else `1.23 s`. */
const secs = (s: number) =>
  s < 1 ? `${(s * 1000).toFixed(0)} ms` : `${fmt(s)} s`;
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function find(op: OpResult | undefined, tool: string): Summary | undefined {
  const t = op?.tools.find((x) => x.tool === tool);
  return t ? summarize(t) : undefined;
}

function why(op: OpResult | undefined, tool: string): string {
  const t = op?.tools.find((x) => x.tool === tool);
  if (!t) return `${tool} not selected`;
  if (t.skipped) return `${t.label} not run: ${t.skipped}`;
  if (t.error) return `${t.label} failed: ${t.error.slice(0, 120)}`;
  return `${t.label} not measured`;
}

/** The `memory` contestant key of an operation on one image size. */
export function memoryKey(op: "pull" | "push" | "copy", size: "small" | "big") {
  return `${op}@${size}`;
}

/** Peak RSS limits of the issue, MiB. */
export const RSS_LIMIT_MIB = { pull: 60, push: 75, copy: 75 } as const;
/** Largest growth of peak RSS from the main image to the big one. */
export const FLAT_FACTOR = 1.1;

/** What the targets need to know beyond the runs. */
export interface TargetContext {
  /** Layers of the main image (the N of N + 4). */
  layers: number;
  /** Size labels of the main and the big image (`256 MiB`, `1 GiB`). */
  smallLabel: string;
  bigLabel: string;
  /** The mode the memory op runs in (or would, with --memory). */
  memoryMode: string;
}

/**
 * Checks the issue's targets (issue 14) in one mode.
 */
export function evaluateTargets(
  m: ModeResult,
  tc: TargetContext,
): TargetResult[] {
  const out: TargetResult[] = [];
  const op = (o: Op) => m.ops.find((x) => x.op === o);
  const push = (
    target: string,
    value: string,
    pass: boolean | undefined,
    margin: string,
  ) =>
    out.push({
      target,
      mode: m.mode,
      value,
      verdict: pass === undefined ? "n/a" : pass ? "PASS" : "MISS",
      margin,
    });
  /** ours ≤ factor × peer, by median wall time. */
  const wallVs = (
    target: string,
    o: Op,
    peer: ToolId,
    factor: number,
  ) => {
    if (!op(o)) return;
    const ours = find(op(o), "ours");
    const other = find(op(o), peer);
    if (!ours || !other) {
      return push(target, why(op(o), ours ? peer : "ours"), undefined, "");
    }
    const ratio = ours.wall / other.wall;
    const floor = find(op(o), "deno");
    const floorNote = floor
      ? `; Deno + one fetch alone: ${fmt(floor.wall / other.wall)}×`
      : "";
    const pass = ratio <= factor;
    push(
      target,
      `${secs(ours.wall)} vs ${secs(other.wall)} (${fmt(ratio)}×${floorNote})`,
      pass,
      pass
        ? `${fmt(factor - ratio)}× under the line (${
          pct(1 - ratio / factor)
        } to spare)`
        : `${fmt(ratio - factor)}× over the line (${
          pct(ratio / factor - 1)
        } too slow)`,
    );
  };
  wallVs("copy ≤ 0.85× skopeo", "copy", "skopeo", 0.85);
  wallVs("tags ≤ 1.3× skopeo", "tags", "skopeo", 1.3);
  wallVs("manifest ≤ 1.3× skopeo", "manifest", "skopeo", 1.3);
  wallVs("push-small ≤ 1.0× ORAS Go", "push-small", "oras", 1);
  wallVs("pull ≤ 0.70× skopeo", "pull", "skopeo", 0.7);
  wallVs("pull ≤ 1.10× the disk + hash floor", "pull", "floor", 1.1);
  wallVs("push ≤ 0.70× skopeo", "push", "skopeo", 0.7);

  // Peak RSS: the main image (its own operation's runs and the memory
  // op's), and the big image; flat = big ≤ FLAT_FACTOR × main, paired.
  const memory = op("memory");
  for (const o of ["pull", "push", "copy"] as const) {
    const limit = RSS_LIMIT_MIB[o];
    const runsOf = (t: ToolResult | undefined) => t?.error ? [] : t?.runs ?? [];
    const small = [
      ...runsOf(op(o)?.tools.find((t) => t.tool === "ours")),
      ...runsOf(memory?.tools.find((t) => t.tool === memoryKey(o, "small"))),
    ];
    const bigTool = memory?.tools.find((t) => t.tool === memoryKey(o, "big"));
    const big = runsOf(bigTool);
    const peak = (runs: RunRecord[]) =>
      Math.max(...runs.map((r) => r.maxRssKiB)) / 1024;
    for (
      const [label, runs] of [[tc.smallLabel, small], [tc.bigLabel, big]] as [
        string,
        RunRecord[],
      ][]
    ) {
      if (runs.length === 0) {
        const bigSize = label === tc.bigLabel;
        // The big image is measured in one mode only (when asked for).
        if (bigSize && m.mode !== tc.memoryMode) continue;
        if (op(o) || memory) {
          push(
            `${o} peak RSS ≤ ${limit} MiB (${label} image)`,
            bigSize && !memory
              ? "not measured (opt-in: --memory)"
              : "not measured",
            undefined,
            "",
          );
        }
        continue;
      }
      const p = peak(runs);
      push(
        `${o} peak RSS ≤ ${limit} MiB (${label} image)`,
        `${fmt(p, 1)} MiB`,
        p <= limit,
        p <= limit
          ? `${fmt(limit - p, 1)} MiB under`
          : `${fmt(p - limit, 1)} MiB over`,
      );
    }
    const pairedSmall = runsOf(
      memory?.tools.find((t) => t.tool === memoryKey(o, "small")),
    );
    if (memory) {
      const target =
        `${o} peak RSS flat from ${tc.smallLabel} to ${tc.bigLabel} (≤ ${FLAT_FACTOR}×)`;
      if (pairedSmall.length === 0 || big.length === 0) {
        push(target, "not measured", undefined, "");
      } else {
        const a = peak(pairedSmall);
        const b = peak(big);
        const ratio = b / a;
        push(
          target,
          `${fmt(a, 1)} → ${fmt(b, 1)} MiB (${fmt(ratio)}×)`,
          ratio <= FLAT_FACTOR,
          `${b >= a ? "+" : ""}${fmt(b - a, 1)} MiB (${ratio >= 1 ? "+" : ""}${
            pct(ratio - 1)
          })`,
        );
      }
    }
  }

  // Requests (token mode: registry + token server, the most of any run).
  if (m.mode === "token") {
    const count = (o: Op, target: string, limit: number) => {
      if (!op(o)) return;
      const s = find(op(o), "ours");
      if (!s) return push(target, why(op(o), "ours"), undefined, "");
      const n = s.registry[1] + s.token[1];
      push(
        target,
        `${s.registry[1]} registry + ${s.token[1]} token = ${n}`,
        n <= limit,
        n <= limit ? `${limit - n} to spare` : `${n - limit} too many`,
      );
    };
    const n = tc.layers;
    count("pull", `cold pull ≤ N + 4 = ${n + 4} requests`, n + 4);
    count(
      "push",
      `fresh push ≤ 3 × (N + 1) + 4 = ${3 * (n + 1) + 4} requests`,
      3 * (n + 1) + 4,
    );
    count("re-push", "re-push ≤ 4 requests", 4);
  }
  for (const o of m.ops) {
    if (o.op === "memory") continue;
    const t = o.tools.find((x) => x.tool === "ours");
    const s = t && summarize(t);
    if (!t || !s) continue;
    if (m.mode === "token") {
      // A copy talks to two registries, each with its own token server.
      const tokens = o.op === "copy" ? 2 : 1;
      push(
        `${o.op}: one token fetch${tokens > 1 ? " per registry" : ""}`,
        `${s.token[1]} token request(s)`,
        s.token[1] <= tokens,
        s.token[1] <= tokens ? "" : `${s.token[1] - tokens} repeated`,
      );
    }
    const repeated = t.runs.flatMap((r) => repeatedHeads(r.registry));
    push(
      `${o.op}: no repeated existence checks`,
      repeated.length ? [...new Set(repeated)].join("; ") : "none",
      repeated.length === 0,
      "",
    );
  }
  return out;
}

function cell(s: string): string {
  return s.replaceAll("|", "\\|");
}

function spread([a, b]: [number, number]): string {
  return a === b ? String(a) : `${a}–${b}`;
}

function opTitle(op: Op, meta: ReportMeta): string {
  switch (op) {
    case "pull":
      return "pull the image to an OCI layout, every digest checked";
    case "push":
      return "push the image from an OCI layout to a fresh repository";
    case "re-push":
      return "push the image again to the repository that holds it " +
        "(every blob and the manifest there)";
    case "push-small":
      return `push ${meta.smallLayers} layers × ${meta.smallKiB} KiB from ` +
        "an OCI layout to a fresh repository";
    case "copy":
      return "copy the image from one registry to a fresh repository of " +
        "another";
    case "tags":
      return `list the tags of a ${
        meta.tagCount.toLocaleString("en-US")
      }-tag repository`;
    case "manifest":
      return "fetch one manifest by tag";
    case "memory":
      return "peak RSS of this project's pull, push and copy, main image " +
        "against the big one (rounds alternate)";
  }
}

function opTable(o: OpResult, meta: ReportMeta): string[] {
  const bytes = o.bytes ?? (o.tools.some((t) => t.bytes) ? 1 : undefined);
  const lines = [
    `### ${o.op}: ${opTitle(o.op, meta)}`,
    "",
    `| ${
      o.op === "memory" ? "operation, image" : "tool"
    } | wall (median) | min–max | ` +
    (o.op === "memory" ? "" : "this project ÷ tool | ") +
    (bytes ? "MiB/s | " : "") +
    "CPU user+sys | peak RSS | registry req. | token req. |",
    "| --- | ---: | ---: | " + (o.op === "memory" ? "" : "---: | ") +
    (bytes ? "---: | " : "") + "---: | ---: | ---: | ---: |",
  ];
  const ours = o.tools.find((t) => t.tool === "ours");
  const oursS = ours && summarize(ours);
  for (const t of o.tools) {
    const s = summarize(t);
    if (!s) {
      const text = t.skipped ? `not run: ${t.skipped}` : `failed: ${t.error}`;
      lines.push(
        `| ${cell(t.label)} | ${cell(text.split("\n")[0].slice(0, 200))} |`,
      );
      continue;
    }
    const ratio = o.op === "memory"
      ? ""
      : t.tool === "ours"
      ? "— | "
      : oursS
      ? `${fmt(oursS.wall / s.wall)}× | `
      : "? | ";
    const b = t.bytes ?? o.bytes;
    const mibs = bytes ? `${b ? fmt(b / 1048576 / s.wall, 0) : ""} | ` : "";
    lines.push(
      `| ${cell(t.label)} | ${secs(s.wall)} | ${secs(s.wallRange[0])}–${
        secs(s.wallRange[1])
      } | ${ratio}${mibs}${fmt(s.cpu)} s | ${fmt(s.rssMiB, 1)} MiB | ${
        spread(s.registry)
      } | ${spread(s.token)} |`,
    );
  }
  lines.push("");
  if (o.op === "memory") return lines;
  lines.push("Requests of the last run:");
  lines.push("");
  for (const t of o.tools) {
    const last = t.runs[t.runs.length - 1];
    if (!last) continue;
    const tok = last.token.length
      ? `; token server: ${tokenBreakdown(last.token)}`
      : "";
    lines.push(
      `- ${t.label}: ${registryBreakdown(last.registry) || "none"}${tok}`,
    );
  }
  lines.push("");
  return lines;
}

/** The target table (markdown lines). */
export function targetTable(targets: TargetResult[]): string[] {
  const lines = [
    "| target | mode | measured | verdict | margin |",
    "| --- | --- | --- | --- | --- |",
  ];
  for (const t of targets) {
    lines.push(
      `| ${cell(t.target)} | ${t.mode} | ${cell(t.value)} | ${t.verdict} | ${
        cell(t.margin)
      } |`,
    );
  }
  return lines;
}

/** The text of BENCHMARKS.md. */
export function renderMarkdown(
  meta: ReportMeta,
  modes: ModeResult[],
  targets: TargetResult[],
): string {
  const lines = [
    "# Benchmarks",
    "",
    "End-to-end timings of this project against its peers, all talking to the",
    "same local registries (Debian's `docker-registry` on 127.0.0.1). Written",
    "by `bench/e2e.ts`; see `bench/README.md`.",
    "",
    `- Command: \`${meta.command}\``,
    `- Date: ${meta.date}${
      meta.totalSeconds ? ` (the whole run took ${meta.totalSeconds} s)` : ""
    }`,
    ...meta.machine.map((m) => `- ${m}`),
    `- Versions: ${meta.versions.map(([k, v]) => `${k} ${v}`).join("; ")}`,
    ...meta.images.map((i) => `- ${i}`),
    `- ORAS Go program: ${meta.oras}`,
    `- Method: ${meta.runs} measured run(s) per tool after ${meta.warmup} ` +
    "warm-up round(s), tools alternating (the starting tool rotates each " +
    "round). Each run is a separate process under `/usr/bin/time -v`: wall " +
    "time is the median, CPU (user + sys, children included) the median, " +
    "peak RSS the largest over the runs (the largest single process of the " +
    "run). Requests are counted per run from the registries' access logs and " +
    "the token servers' records; a range means runs differed. " +
    '"this project ÷ tool" is the ratio of median wall times (below 1: ' +
    "this project is faster).",
  ];
  if (meta.quick) {
    lines.push(
      "- **Quick mode**: one measured run per tool; figures are indicative only.",
    );
  }
  lines.push("");
  for (const m of modes) {
    lines.push(`## ${m.mode === "token" ? "Token auth" : "Anonymous"}`, "");
    for (const o of m.ops) lines.push(...opTable(o, meta));
  }
  lines.push("## Targets (issue 14)", "", ...targetTable(targets), "");
  return lines.join("\n");
}

/** Every tool of `op` among the ones selected. */
export function toolsFor(op: Op, selected: readonly ToolId[]): ToolId[] {
  return OP_TOOLS[op].filter((t) => op === "memory" || selected.includes(t));
}
