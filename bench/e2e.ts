#!/usr/bin/env -S deno run -A
// Usage: deno run -A bench/e2e.ts [--quick] [--runs N] [--warmup N]
//          [--modes anonymous,token] [--ops pull,push,re-push,push-small,copy,
//          tags,manifest,memory] [--memory] [--tools ours,skopeo,oras,npm,curl,
//          deno,floor] [--layers N] [--layer-mib N] [--small-layers N]
//          [--small-kib N] [--big-mib N] [--tags N] [--out FILE | --no-write]
//
// End-to-end benchmark (issues 8 and 14): starts Debian's docker-registry on
// 127.0.0.1 in anonymous and token-auth modes (two of each: the second is
// the destination of copies), seeds the first (a 4 × 64 MiB image of random
// layers pushed from an OCI layout with skopeo, a 1,000-tag repository),
// then times, in paired runs alternating between tools, this project's CLI
// against skopeo, an ORAS Go program, the npm docker-registry-client 3.x,
// curl + sha256sum (the practical limit) and `cat | openssl dgst` of the
// registry's own blob files (the disk + hash floor):
//
//   pull        image → OCI layout, every digest checked
//   push        OCI layout → a fresh repository
//   re-push     OCI layout → the repository that already holds it
//   push-small  256 layers × 64 KiB → a fresh repository (vs ORAS Go)
//   copy        registry → a fresh repository of the other registry
//   tags        list 1,000 tags
//   manifest    fetch one manifest
//   memory      peak RSS of pull, push and copy: the 256 MiB image against a
//               1 GiB one (--big-mib), rounds alternating; opt-in (--memory
//               or --ops …,memory), first mode only
//
// For each: median wall time, CPU time, peak RSS, ratios, and the requests
// the registries and the token servers saw per run. Writes BENCHMARKS.md at
// the repo root and prints the issue's targets with PASS/MISS and margins.

import {
  type RealRegistry,
  startRegistry,
} from "../test_support/real_registry.ts";
import { harnessAuthorization } from "../test_support/fixtures.ts";
import { CLI_RUN_FLAGS } from "../cli/run_flags.ts";
import { parseBenchArgs, usageFromHeader } from "./_args.ts";
import { type BenchImage, buildLayout } from "./_e2e_layout.ts";
import { commandOutput, machine } from "./_e2e_measure.ts";
import { buildOrasPush, ORAS_BUILD_COMMAND } from "./_e2e_oras.ts";
import {
  evaluateTargets,
  memoryKey,
  type ModeResult,
  type OpResult,
  renderMarkdown,
  type ReportMeta,
  type TargetResult,
  toolsFor,
} from "./_e2e_report.ts";
import { type Contestant, runRounds } from "./_e2e_run.ts";
import { seedImage, seedTags } from "./_e2e_seed.ts";
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
const BIG_REPO = "bench/big";
const TAGS_REPO = "bench/tags";
const IMAGE_TAG = "v1";
const MiB = 1024 * 1024;
const MODES = ["anonymous", "token"] as const;

interface Options {
  quick: boolean;
  runs: number;
  warmup: number;
  modes: (typeof MODES[number])[];
  ops: Op[];
  tools: ToolId[];
  layers: number;
  layerMiB: number;
  smallLayers: number;
  smallKiB: number;
  bigMiB: number;
  tagCount: number;
  out?: string;
}

function parseOptions(argv: string[]): Options {
  const args = parseBenchArgs(argv, {
    usage: `${
      usageFromHeader(import.meta.url, 1, 6)
    }\n\nSee bench/README.md for what each option does.`,
    string: [
      "runs",
      "warmup",
      "modes",
      "ops",
      "tools",
      "layers",
      "layer-mib",
      "small-layers",
      "small-kib",
      "big-mib",
      "tags",
      "out",
    ],
    boolean: ["quick", "memory", "no-write"],
  });
  const quick = args.flag("quick");
  const ops = args.list("ops", OPS, OPS.filter((o) => o !== "memory"));
  if (args.flag("memory") && !ops.includes("memory")) ops.push("memory");
  const o: Options = {
    quick,
    runs: args.count("runs", quick ? 1 : 5),
    warmup: args.count("warmup", 1, 0),
    modes: args.list("modes", MODES, MODES),
    ops,
    tools: args.list("tools", TOOLS, TOOLS),
    layers: args.count("layers", 4),
    layerMiB: args.count("layer-mib", 64),
    smallLayers: args.count("small-layers", 256),
    smallKiB: args.count("small-kib", 64),
    bigMiB: args.count("big-mib", 1024),
    tagCount: args.count("tags", 1000),
    out: args.flag("no-write")
      ? undefined
      : args.string("out", `${ROOT}/BENCHMARKS.md`),
  };
  if (args.has("out") && args.flag("no-write")) {
    args.fail("--out and --no-write exclude each other");
  }
  if (o.modes.length === 0 || o.ops.length === 0 || o.tools.length === 0) {
    args.fail("--modes, --ops and --tools need at least one item");
  }
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

async function versions(npmVersion: string): Promise<[string, string][]> {
  const first = (s: string) => s.split("\n")[0];
  const pkg = (name: string) =>
    commandOutput("dpkg-query", ["-W", "-f=${Version}", name]);
  return [
    ["deno", first(await commandOutput(Deno.execPath(), ["--version"]))],
    ["skopeo", await commandOutput("skopeo", ["--version"])],
    ["registry", await commandOutput("docker-registry", ["--version"])],
    ["oras-go", await pkg("golang-oras-oras-go-dev")],
    ["go", await commandOutput("go", ["version"])],
    ["curl", first(await commandOutput("curl", ["--version"]))],
    ["openssl", await commandOutput("openssl", ["version"])],
    ["node", await commandOutput("node", ["--version"])],
    [`npm ${NPM_PACKAGE}`, npmVersion],
  ].map(([k, v]) => [k, /\d+\.\d+[\w.+~-]*/.exec(v)?.[0] ?? v]);
}

/** `256 MiB`, `1 GiB`. */
function sizeLabel(mib: number): string {
  return mib % 1024 === 0 ? `${mib / 1024} GiB` : `${mib} MiB`;
}

function describe(what: string, image: BenchImage, layers: string): string {
  return `${what}: ${layers} of random bytes (gzip'ed tar), ${
    (image.totalBytes / MiB).toFixed(1)
  } MiB of blobs`;
}

/** The contestants of one (non-memory) operation. */
function contestants(
  ctx: ModeContext,
  op: Op,
  tools: ToolId[],
  unavailable: Map<ToolId, string>,
): Contestant[] {
  const bytes = op === "pull" || op === "push" || op === "copy"
    ? ctx.image.totalBytes
    : op === "push-small"
    ? ctx.small?.totalBytes
    : undefined;
  return tools.map((tool) => ({
    id: tool,
    label: TOOL_LABEL[tool],
    bytes,
    skipped: unavailable.get(tool),
    prepare: (scratch, runName) =>
      prepareRun(ctx, op, tool, scratch, `${tool}-${runName}`),
  }));
}

/**
 * The memory op: this project's pull, push and copy of the main image and
 * of the big one, all six in each round, alternating.
 */
function memoryContestants(
  ctx: ModeContext,
  big: BenchImage,
  labels: { small: string; big: string },
): Contestant[] {
  const out: Contestant[] = [];
  for (const size of ["small", "big"] as const) {
    const image = size === "big" ? big : ctx.image;
    const sized: ModeContext = {
      ...ctx,
      image,
      imageRepo: size === "big" ? BIG_REPO : ctx.imageRepo,
    };
    for (const op of ["pull", "push", "copy"] as const) {
      out.push({
        id: memoryKey(op, size),
        label: `${op}, ${labels[size]} image`,
        bytes: image.totalBytes,
        prepare: (scratch, runName) =>
          prepareRun(sized, op, "ours", scratch, `mem-${size}-${runName}`),
      });
    }
  }
  return out;
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
  if (!await which("openssl")) unavailable.set("floor", "openssl missing");
  let npmVersion = "not installed";
  if (o.tools.includes("npm")) {
    try {
      if (!await which("node")) throw new Error("node missing");
      npmVersion = await ensureNpmClient();
    } catch (e) {
      unavailable.set("npm", e instanceof Error ? e.message : String(e));
    }
  }
  let orasPush: string | undefined;
  let orasNote = "not needed (no push-small with oras)";
  if (o.ops.includes("push-small") && o.tools.includes("oras")) {
    console.error("building the ORAS Go push program (offline, GOPATH mode) …");
    try {
      orasPush = await buildOrasPush();
      orasNote = `built with \`${ORAS_BUILD_COMMAND}\``;
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      unavailable.set("oras", `cannot be built: ${why}`);
      orasNote = `**not built**: ${why}`;
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
  const labels = {
    small: sizeLabel(o.layers * o.layerMiB),
    big: sizeLabel(o.bigMiB),
  };
  try {
    console.error(
      `building the image: ${o.layers} × ${o.layerMiB} MiB random layers …`,
    );
    const image = await buildLayout(
      `${work}/image`,
      o.layers,
      o.layerMiB * MiB,
      IMAGE_TAG,
    );
    const images = [
      describe("Image", image, `${o.layers} layers × ${o.layerMiB} MiB`) +
      `; ${o.tagCount} tags in the tag-list repository`,
    ];
    let small: BenchImage | undefined;
    if (o.ops.includes("push-small")) {
      console.error(
        `building the small-layer image: ${o.smallLayers} × ${o.smallKiB} KiB …`,
      );
      small = await buildLayout(
        `${work}/small`,
        o.smallLayers,
        o.smallKiB * 1024,
        IMAGE_TAG,
      );
      images.push(describe(
        "Small-layer image (push-small)",
        small,
        `${o.smallLayers} layers × ${o.smallKiB} KiB`,
      ));
    }
    let big: BenchImage | undefined;
    if (o.ops.includes("memory")) {
      const layerBytes = Math.round(o.bigMiB * MiB / o.layers);
      console.error(
        `building the big image: ${o.layers} × ${
          (layerBytes / MiB).toFixed(0)
        } MiB random layers …`,
      );
      big = await buildLayout(`${work}/big`, o.layers, layerBytes, IMAGE_TAG);
      images.push(describe(
        `Big image (memory, ${o.modes[0]} mode only)`,
        big,
        `${o.layers} layers × ${(layerBytes / MiB).toFixed(0)} MiB`,
      ));
    }
    for (const [modeIndex, mode] of o.modes.entries()) {
      const ops = o.ops.filter((op) => op !== "memory" || modeIndex === 0);
      await using reg = await startRegistry({ mode });
      running.add(reg);
      await using dest = await startRegistry({ mode });
      running.add(dest);
      console.error(
        `${mode}: registries at ${reg.url} and ${dest.url}; seeding …`,
      );
      const seedDir = await Deno.makeTempDir({ dir: work, prefix: "seed-" });
      await seedImage(reg, image, IMAGE_REPO, seedDir);
      if (big && ops.includes("memory")) {
        await seedImage(reg, big, BIG_REPO, seedDir);
      }
      await Deno.remove(seedDir, { recursive: true });
      const tags = await seedTags(reg, TAGS_REPO, o.tagCount);
      // The harness's own token fetches are no part of any run.
      await harnessAuthorization(reg, IMAGE_REPO, "pull");
      const ctx: ModeContext = {
        reg,
        dest,
        image,
        imageRepo: IMAGE_REPO,
        small,
        tagsRepo: TAGS_REPO,
        tags,
        cli: CLI,
        runFlags: CLI_RUN_FLAGS,
        npmDriverDir: NPM_DIR,
        denoFetch: `${ROOT}/bench/_e2e_fetch.ts`,
        orasPush,
      };
      const result: ModeResult = { mode, ops: [] };
      for (const op of ops) {
        const list = op === "memory"
          ? memoryContestants(ctx, big!, labels)
          : contestants(ctx, op, toolsFor(op, o.tools), unavailable);
        if (list.length === 0) continue;
        const tools = await runRounds(list, {
          warmup: op === "memory" ? 0 : o.warmup,
          runs: o.runs,
          work,
          registries: [reg, dest],
          title: `${mode} ${op}`,
        });
        const r: OpResult = { op, tools };
        if (op !== "memory") r.bytes = list[0].bytes;
        result.ops.push(r);
      }
      modes.push(result);
      targets.push(...evaluateTargets(result, {
        layers: o.layers,
        smallLabel: labels.small,
        bigLabel: labels.big,
        memoryMode: o.modes[0],
      }));
      running.delete(reg);
      running.delete(dest);
    }
    const meta: ReportMeta = {
      command: ["deno run -A bench/e2e.ts", ...Deno.args].join(" "),
      date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      machine: await machine(),
      versions: await versions(npmVersion),
      images,
      oras: orasNote,
      runs: o.runs,
      warmup: o.warmup,
      quick: o.quick,
      layers: o.layers,
      smallLayers: o.smallLayers,
      smallKiB: o.smallKiB,
      tagCount: o.tagCount,
      totalSeconds: Math.round((performance.now() - started) / 1000),
    };
    const markdown = renderMarkdown(meta, modes, targets);
    if (o.out) {
      await Deno.writeTextFile(o.out, markdown);
      // Aligned tables, and `deno fmt --check` stays clean.
      await commandOutput(Deno.execPath(), ["fmt", "--quiet", o.out]);
      console.error(`wrote ${o.out}`);
    } else {
      console.log(markdown);
    }
    console.log("\nTargets (issue 14):");
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
