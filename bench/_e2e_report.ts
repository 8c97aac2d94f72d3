// Summaries, targets and the BENCHMARKS.md text of bench/e2e.ts. Private
// helper.

import type { AccessLogEntry } from "../test_support/real_registry.ts";
import type { TokenRequestRecord } from "../test_support/token_server.ts";
import { median, range } from "./_e2e_measure.ts";
import { type Op, OP_TOOLS, TOOL_LABEL, type ToolId } from "./_e2e_tools.ts";

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
  /** The tool. */
  tool: ToolId;
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
  /** Image description. */
  image: string;
  /** Runs, warm-up rounds. */
  runs: number;
  warmup: number;
  /** Quick mode. */
  quick: boolean;
  /** Layer count (for the N + 4 request target). */
  layers: number;
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

function find(op: OpResult | undefined, tool: ToolId): Summary | undefined {
  const t = op?.tools.find((x) => x.tool === tool);
  return t ? summarize(t) : undefined;
}

/**
 * Checks the issue's targets in one mode.
 *
 * @param layers Layers of the image (the N of N + 4).
 */
export function evaluateTargets(
  m: ModeResult,
  layers: number,
): TargetResult[] {
  const out: TargetResult[] = [];
  const op = (o: Op) => m.ops.find((x) => x.op === o);
  const na = (target: string, why: string) =>
    out.push({ target, mode: m.mode, value: why, verdict: "n/a", margin: "" });
  /** ours ≤ factor × peer (strictly faster when factor is 1). */
  const wallVs = (
    target: string,
    o: Op,
    peer: ToolId,
    factor: number,
  ) => {
    const ours = find(op(o), "ours");
    const other = find(op(o), peer);
    if (!op(o)) return;
    if (!ours || !other) {
      return na(target, `${ours ? peer : "this project"} not measured`);
    }
    const ratio = ours.wall / other.wall;
    const pass = factor === 1 ? ratio < 1 : ratio <= factor;
    const floor = find(op(o), "deno");
    const floorNote = floor
      ? `; Deno + one fetch alone: ${fmt(floor.wall / other.wall)}×`
      : "";
    out.push({
      target,
      mode: m.mode,
      value: `${secs(ours.wall)} vs ${secs(other.wall)} (${
        fmt(ratio)
      }×${floorNote})`,
      verdict: pass ? "PASS" : "MISS",
      margin: factor === 1
        ? (pass ? `${pct(1 - ratio)} faster` : `${pct(ratio - 1)} slower`)
        : (pass
          ? `${fmt(factor - ratio)}× under the ${factor}× line`
          : `${fmt(ratio - factor)}× over the ${factor}× line`),
    });
  };
  wallVs("pull faster than skopeo", "pull", "skopeo", 1);
  wallVs("pull within 15% of curl", "pull", "curl", 1.15);
  const pull = find(op("pull"), "ours");
  if (op("pull")) {
    if (!pull) na("pull peak RSS < 60 MB", "not measured");
    else {
      const mb = pull.rssMiB * 1.048576;
      out.push({
        target: "pull peak RSS < 60 MB",
        mode: m.mode,
        value: `${fmt(mb, 1)} MB (${fmt(pull.rssMiB, 1)} MiB)`,
        verdict: mb < 60 ? "PASS" : "MISS",
        margin: mb < 60
          ? `${fmt(60 - mb, 1)} MB under`
          : `${fmt(mb - 60, 1)} MB over`,
      });
    }
  }
  wallVs("push faster than skopeo", "push", "skopeo", 1);
  wallVs("tags within 1.5× of skopeo", "tags", "skopeo", 1.5);
  wallVs("manifest within 1.5× of skopeo", "manifest", "skopeo", 1.5);
  if (m.mode === "token" && op("pull")) {
    const limit = layers + 4;
    if (!pull) na(`cold pull ≤ N + 4 = ${limit} requests`, "not measured");
    else {
      const n = pull.registry[1] + pull.token[1];
      out.push({
        target: `cold pull ≤ N + 4 = ${limit} requests`,
        mode: m.mode,
        value: `${pull.registry[1]} registry + ${pull.token[1]} token = ${n}`,
        verdict: n <= limit ? "PASS" : "MISS",
        margin: n <= limit ? `${limit - n} to spare` : `${n - limit} too many`,
      });
    }
  }
  for (const o of m.ops) {
    const t = o.tools.find((x) => x.tool === "ours");
    const s = t && summarize(t);
    if (!t || !s) continue;
    if (m.mode === "token") {
      out.push({
        target: `${o.op}: one token fetch`,
        mode: m.mode,
        value: `${s.token[1]} token request(s)`,
        verdict: s.token[1] <= 1 ? "PASS" : "MISS",
        margin: s.token[1] <= 1 ? "" : `${s.token[1] - 1} repeated`,
      });
    }
    const repeated = t.runs.flatMap((r) => repeatedHeads(r.registry));
    out.push({
      target: `${o.op}: no repeated existence checks`,
      mode: m.mode,
      value: repeated.length ? [...new Set(repeated)].join("; ") : "none",
      verdict: repeated.length ? "MISS" : "PASS",
      margin: "",
    });
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
    case "tags":
      return `list the tags of a ${
        meta.tagCount.toLocaleString("en-US")
      }-tag repository`;
    case "manifest":
      return "fetch one manifest by tag";
  }
}

function opTable(o: OpResult, meta: ReportMeta): string[] {
  const lines = [
    `### ${o.op}: ${opTitle(o.op, meta)}`,
    "",
    "| tool | wall (median) | min–max | this project ÷ tool | " +
    (o.bytes ? "MiB/s | " : "") +
    "CPU user+sys | peak RSS | registry req. | token req. |",
    "| --- | ---: | ---: | ---: | " + (o.bytes ? "---: | " : "") +
    "---: | ---: | ---: | ---: |",
  ];
  const ours = o.tools.find((t) => t.tool === "ours");
  const oursS = ours && summarize(ours);
  for (const t of o.tools) {
    const s = summarize(t);
    if (!s) {
      const why = t.skipped ? `not run: ${t.skipped}` : `failed: ${t.error}`;
      lines.push(
        `| ${TOOL_LABEL[t.tool]} | ${cell(why.split("\n")[0].slice(0, 160))} |`,
      );
      continue;
    }
    const ratio = t.tool === "ours"
      ? "—"
      : oursS
      ? `${fmt(oursS.wall / s.wall)}×`
      : "?";
    const mibs = o.bytes ? `${fmt(o.bytes / 1048576 / s.wall, 0)} | ` : "";
    lines.push(
      `| ${TOOL_LABEL[t.tool]} | ${secs(s.wall)} | ${secs(s.wallRange[0])}–${
        secs(s.wallRange[1])
      } | ${ratio} | ${mibs}${fmt(s.cpu)} s | ${fmt(s.rssMiB, 1)} MiB | ${
        spread(s.registry)
      } | ${spread(s.token)} |`,
    );
  }
  lines.push("");
  lines.push("Requests of the last run:");
  lines.push("");
  for (const t of o.tools) {
    const last = t.runs[t.runs.length - 1];
    if (!last) continue;
    const tok = last.token.length
      ? `; token server: ${tokenBreakdown(last.token)}`
      : "";
    lines.push(
      `- ${TOOL_LABEL[t.tool]}: ${
        registryBreakdown(last.registry) || "none"
      }${tok}`,
    );
  }
  lines.push("");
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
    "same local registry (Debian's `docker-registry` on 127.0.0.1). Written by",
    "`bench/e2e.ts`; see `bench/README.md`.",
    "",
    `- Command: \`${meta.command}\``,
    `- Date: ${meta.date}${
      meta.totalSeconds ? ` (the whole run took ${meta.totalSeconds} s)` : ""
    }`,
    ...meta.machine.map((m) => `- ${m}`),
    `- Versions: ${meta.versions.map(([k, v]) => `${k} ${v}`).join("; ")}`,
    `- Image: ${meta.image}`,
    `- Method: ${meta.runs} measured run(s) per tool after ${meta.warmup} ` +
    "warm-up round(s), tools alternating (the starting tool rotates each " +
    "round). Each run is a separate process under `/usr/bin/time -v`: wall " +
    "time is the median, CPU (user + sys, children included) the median, " +
    "peak RSS the largest over the runs (the largest single process of the " +
    "run). Requests are counted per run from the registry's access log and " +
    "the token server's records; a range means runs differed. " +
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
  lines.push("## Targets", "");
  lines.push("| target | mode | measured | verdict | margin |");
  lines.push("| --- | --- | --- | --- | --- |");
  for (const t of targets) {
    lines.push(
      `| ${cell(t.target)} | ${t.mode} | ${cell(t.value)} | ${t.verdict} | ${
        cell(t.margin)
      } |`,
    );
  }
  lines.push("");
  return lines.join("\n");
}

/** Every tool of `op` among the ones selected. */
export function toolsFor(op: Op, selected: readonly ToolId[]): ToolId[] {
  return OP_TOOLS[op].filter((t) => selected.includes(t));
}
