#!/usr/bin/env -S deno run -A
// Usage: deno run -A bench/e2e.ts [--quick] [--runs N] [--warmup N]
//          [--modes anonymous,token] [--ops pull,push,tags,manifest]
//          [--tools ours,skopeo,npm,curl,deno] [--layers N] [--layer-mib N]
//          [--tags N] [--out FILE | --no-write]
//
// End-to-end benchmark (issue 8): starts Debian's docker-registry on
// 127.0.0.1 in anonymous and token-auth modes, seeds each (a 4 × 64 MiB
// image of random layers pushed from an OCI layout with skopeo, a
// 1,000-tag repository), then times, runs alternating between tools, this
// project's CLI against skopeo, the npm docker-registry-client 3.x (a Node
// driver, installed into bench/npm_driver/node_modules on first use) and
// curl + sha256sum (the practical limit):
//
//   pull      image → OCI layout, every digest checked
//   push      OCI layout → a fresh repository (this project and skopeo)
//   tags      list 1,000 tags
//   manifest  fetch one manifest
//
// For each: median wall time, CPU time, peak RSS, ratios, and the requests
// the registry and the token server saw per run. Writes BENCHMARKS.md at
// the repo root and prints the issue's targets with PASS/MISS.

import {
  type RealRegistry,
  startRegistry,
} from "../test_support/real_registry.ts";
import { type BenchImage, buildLayout } from "./_e2e_layout.ts";
import { commandOutput, timeProcess } from "./_e2e_measure.ts";
import {
  evaluateTargets,
  type ModeResult,
  type OpResult,
  renderMarkdown,
  type ReportMeta,
  type TargetResult,
  type ToolResult,
  toolsFor,
} from "./_e2e_report.ts";
import { harnessAuthorization } from "../test_support/fixtures.ts";
import { seedTags } from "./_e2e_seed.ts";
import {
  type ModeContext,
  type Op,
  OPS,
  prepareRun,
  TOOL_LABEL,
  type ToolId,
  TOOLS,
} from "./_e2e_tools.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const CLI = `${ROOT}/cli.ts`;
const NPM_DIR = `${ROOT}/bench/npm_driver`;
const NPM_PACKAGE = "docker-registry-client";
const IMAGE_REPO = "bench/image";
const TAGS_REPO = "bench/tags";
const IMAGE_TAG = "v1";

interface Options {
  quick: boolean;
  runs: number;
  warmup: number;
  modes: ("anonymous" | "token")[];
  ops: Op[];
  tools: ToolId[];
  layers: number;
  layerMiB: number;
  tagCount: number;
  out?: string;
}

function usage(message: string, code = 2): never {
  console.error(
    `${message}\n\n${
      Deno.readTextFileSync(new URL(import.meta.url)).split("\n").slice(1, 6)
        .map((l) => l.replace(/^\/\/ ?/, "")).join("\n")
    }`,
  );
  Deno.exit(code);
}

function list<T extends string>(
  value: string,
  allowed: readonly T[],
  name: string,
): T[] {
  const items = value.split(",").map((s) => s.trim()).filter(Boolean);
  for (const i of items) {
    if (!allowed.includes(i as T)) {
      usage(`--${name}: unknown "${i}" (one of ${allowed.join(", ")})`);
    }
  }
  return items as T[];
}

function parseOptions(args: string[]): Options {
  const o: Options = {
    quick: false,
    runs: 5,
    warmup: 1,
    modes: ["anonymous", "token"],
    ops: [...OPS],
    tools: [...TOOLS],
    layers: 4,
    layerMiB: 64,
    tagCount: 1000,
    out: `${ROOT}/BENCHMARKS.md`,
  };
  let runsGiven = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = () => {
      const v = args[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    const count = (min: number) => {
      const v = value();
      const n = Number(v);
      if (!Number.isInteger(n) || n < min) usage(`${a}: bad number ${v}`);
      return n;
    };
    switch (a) {
      case "--quick":
        o.quick = true;
        break;
      case "--runs":
        o.runs = count(1);
        runsGiven = true;
        break;
      case "--warmup":
        o.warmup = count(0);
        break;
      case "--modes":
        o.modes = list(value(), ["anonymous", "token"] as const, "modes");
        break;
      case "--ops":
        o.ops = list(value(), OPS, "ops");
        break;
      case "--tools":
        o.tools = list(value(), TOOLS, "tools");
        break;
      case "--layers":
        o.layers = count(1);
        break;
      case "--layer-mib":
        o.layerMiB = count(1);
        break;
      case "--tags":
        o.tagCount = count(1);
        break;
      case "--out":
        o.out = value();
        break;
      case "--no-write":
        o.out = undefined;
        break;
      case "-h":
      case "--help":
        usage("bench/e2e.ts: see bench/README.md", 0);
        break;
      default:
        usage(`unknown argument ${a}`);
    }
  }
  if (o.quick && !runsGiven) o.runs = 1;
  return o;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function which(cmd: string): Promise<boolean> {
  return (await commandOutput("sh", ["-c", `command -v ${cmd}`])) !== "?";
}

/** Installs the npm client into bench/npm_driver/node_modules when missing. */
async function ensureNpmClient(): Promise<string> {
  const pkg = JSON.parse(
    await Deno.readTextFile(`${NPM_DIR}/package.json`),
  ) as { dependencies: Record<string, string> };
  const wanted = pkg.dependencies[NPM_PACKAGE];
  const installed = `${NPM_DIR}/node_modules/${NPM_PACKAGE}/package.json`;
  const version = async () =>
    (JSON.parse(await Deno.readTextFile(installed)) as { version: string })
      .version;
  if (await exists(installed) && await version() === wanted) return wanted;
  console.error(`installing ${NPM_PACKAGE}@${wanted} with npm …`);
  const out = await new Deno.Command("npm", {
    args: [
      "install",
      "--no-package-lock",
      "--no-audit",
      "--no-fund",
      "--ignore-scripts",
      "--loglevel=error",
    ],
    cwd: NPM_DIR,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `npm install failed: ${new TextDecoder().decode(out.stderr).trim()}`,
    );
  }
  return await version();
}

/** skopeo copy of the layout into the registry, digest checked. */
async function seedImage(
  reg: RealRegistry,
  image: BenchImage,
  scratch: string,
): Promise<void> {
  const digestFile = `${scratch}/seed.digest`;
  const creds = reg.mode === "anonymous"
    ? []
    : ["--dest-creds", `${reg.username}:${reg.password}`];
  const out = await new Deno.Command("skopeo", {
    args: [
      "--insecure-policy",
      "copy",
      "--quiet",
      "--dest-tls-verify=false",
      ...creds,
      "--digestfile",
      digestFile,
      `oci:${image.dir}:${image.tag}`,
      `docker://${reg.host}/${IMAGE_REPO}:${image.tag}`,
    ],
    env: {
      REGISTRY_AUTH_FILE: `${scratch}/auth.json`,
      _CONTAINERS_ROOTLESS_UID: "1000",
      XDG_DATA_HOME: `${scratch}/xdg-data`,
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `seeding with skopeo failed: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  const got = (await Deno.readTextFile(digestFile)).trim();
  if (got !== image.manifest.digest) {
    throw new Error(`skopeo pushed ${got}, expected ${image.manifest.digest}`);
  }
}

async function machine(): Promise<string[]> {
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

async function versions(npmVersion: string): Promise<[string, string][]> {
  const first = (s: string) => s.split("\n")[0];
  return [
    ["deno", first(await commandOutput(Deno.execPath(), ["--version"]))],
    ["skopeo", await commandOutput("skopeo", ["--version"])],
    ["registry", await commandOutput("docker-registry", ["--version"])],
    ["curl", first(await commandOutput("curl", ["--version"]))],
    ["node", await commandOutput("node", ["--version"])],
    [`npm ${NPM_PACKAGE}`, npmVersion],
  ].map(([k, v]) => [k, /\d+\.\d+[\w.+-]*/.exec(v)?.[0] ?? v]);
}

/** Rotates `items` left by `n`. */
function rotate<T>(items: T[], n: number): T[] {
  const k = items.length ? n % items.length : 0;
  return [...items.slice(k), ...items.slice(0, k)];
}

async function runOp(
  ctx: ModeContext,
  op: Op,
  tools: ToolId[],
  unavailable: Map<ToolId, string>,
  o: Options,
  work: string,
): Promise<OpResult> {
  const results = new Map<ToolId, ToolResult>(
    tools.map((t) => [t, { tool: t, runs: [], skipped: unavailable.get(t) }]),
  );
  const active = tools.filter((t) => !unavailable.has(t));
  const rounds = o.warmup + o.runs;
  const ts = ctx.reg.tokenServer;
  for (let round = 0; round < rounds; round++) {
    const warm = round < o.warmup;
    for (const tool of rotate(active, round)) {
      const r = results.get(tool)!;
      if (r.error) continue;
      const scratch = await Deno.makeTempDir({ dir: work, prefix: "run-" });
      try {
        const runName = `${warm ? "w" : "r"}${round}`;
        const prepared = prepareRun(ctx, op, tool, scratch, runName);
        const before = (await ctx.reg.flushAccessLog()).length;
        const tokenBefore = ts?.requests.length ?? 0;
        const stats = await timeProcess(prepared.inv, `${work}/time.txt`);
        await ctx.reg.flushAccessLog();
        const registry = ctx.reg.accessLogEntries().slice(before);
        const token = ts?.requests.slice(tokenBefore) ?? [];
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
          `  ${ctx.reg.mode} ${op} ${tool.padEnd(6)} ${
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
        console.error(`  ${ctx.reg.mode} ${op} ${tool}: FAILED ${r.error}`);
      } finally {
        await Deno.remove(scratch, { recursive: true });
      }
    }
  }
  return {
    op,
    bytes: op === "pull" || op === "push" ? ctx.image.totalBytes : undefined,
    tools: tools.map((t) => results.get(t)!),
  };
}

async function main(): Promise<void> {
  const o = parseOptions(Deno.args);
  const started = performance.now();
  for (const bin of ["/usr/bin/time", "docker-registry", "skopeo", "bash"]) {
    if (!await which(bin)) throw new Error(`${bin} is needed`);
  }
  const unavailable = new Map<ToolId, string>();
  if (!await exists(CLI)) unavailable.set("ours", "cli.ts not found");
  if (!await which("curl") || !await which("sha256sum")) {
    unavailable.set("curl", "curl or sha256sum missing");
  }
  let npmVersion = "not installed";
  if (o.tools.includes("npm")) {
    try {
      if (!await which("node")) throw new Error("node missing");
      npmVersion = await ensureNpmClient();
    } catch (e) {
      unavailable.set("npm", e instanceof Error ? e.message : String(e));
    }
  }
  const work = await Deno.makeTempDir({ prefix: "e2e-bench-" });
  // On Ctrl-C: stop the registries and remove the scratch space.
  const running = new Set<RealRegistry>();
  const onInterrupt = async () => {
    console.error("interrupted: cleaning up …");
    for (const reg of running) await reg.stop().catch(() => {});
    await Deno.remove(work, { recursive: true }).catch(() => {});
    Deno.exit(130);
  };
  Deno.addSignalListener("SIGINT", onInterrupt);
  const modes: ModeResult[] = [];
  const targets: TargetResult[] = [];
  try {
    console.error(
      `building the image: ${o.layers} × ${o.layerMiB} MiB random layers …`,
    );
    const image = await buildLayout(
      `${work}/image`,
      o.layers,
      o.layerMiB,
      IMAGE_TAG,
    );
    for (const mode of o.modes) {
      await using reg = await startRegistry({ mode });
      running.add(reg);
      console.error(`${mode}: registry at ${reg.url}; seeding …`);
      const seedDir = await Deno.makeTempDir({ dir: work, prefix: "seed-" });
      await seedImage(reg, image, seedDir);
      await Deno.remove(seedDir, { recursive: true });
      const tags = await seedTags(reg, TAGS_REPO, o.tagCount);
      // The harness's own token fetches are no part of any run.
      await harnessAuthorization(reg, IMAGE_REPO, "pull");
      const ctx: ModeContext = {
        reg,
        image,
        imageRepo: IMAGE_REPO,
        tagsRepo: TAGS_REPO,
        tags,
        cli: CLI,
        npmDriverDir: NPM_DIR,
        denoFetch: `${ROOT}/bench/_e2e_fetch.ts`,
      };
      const result: ModeResult = { mode, ops: [] };
      for (const op of o.ops) {
        const tools = toolsFor(op, o.tools);
        if (tools.length === 0) continue;
        result.ops.push(await runOp(ctx, op, tools, unavailable, o, work));
      }
      modes.push(result);
      targets.push(...evaluateTargets(result, o.layers));
      running.delete(reg);
    }
    const meta: ReportMeta = {
      command: ["deno run -A bench/e2e.ts", ...Deno.args].join(" "),
      date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      machine: await machine(),
      versions: await versions(npmVersion),
      image: `${o.layers} layers × ${o.layerMiB} MiB of random bytes ` +
        `(gzip'ed tar), ${
          (image.totalBytes / 1048576).toFixed(1)
        } MiB of blobs; ${o.tagCount} tags in the tag-list repository`,
      runs: o.runs,
      warmup: o.warmup,
      quick: o.quick,
      layers: o.layers,
      tagCount: o.tagCount,
      totalSeconds: Math.round((performance.now() - started) / 1000),
    };
    const markdown = renderMarkdown(meta, modes, targets);
    if (o.out) {
      await Deno.writeTextFile(o.out, markdown);
      console.error(`wrote ${o.out}`);
    } else {
      console.log(markdown);
    }
    console.log("\nTargets:");
    for (const t of targets) {
      console.log(
        `  ${t.verdict.padEnd(4)} [${t.mode}] ${t.target}: ${t.value}${
          t.margin ? ` (${t.margin})` : ""
        }`,
      );
    }
    for (const [tool, why] of unavailable) {
      console.log(`  note: ${TOOL_LABEL[tool]} not run: ${why}`);
    }
  } finally {
    Deno.removeSignalListener("SIGINT", onInterrupt);
    await Deno.remove(work, { recursive: true });
  }
}

if (import.meta.main) await main();
