#!/usr/bin/env -S deno run -A
// Usage: deno run -A bench/sync.ts [--runs N] [--big-runs N]
//          [--sets small,big] [--tags N]
//
// `dreg sync` against `skopeo sync --src docker --dest docker --all
// --preserve-digests` (issue 12), between two of Debian's docker-registry
// on 127.0.0.1, on two sets:
//
//   small  one repository of 50 tags, each its own small image (one
//          4 KiB layer), and a two-platform index under a 51st tag
//   big    one repository of 1,000 tags of one small image, and the index
//
// Each round runs both tools, the first alternating, each as a fresh
// process: a full sync into a fresh repository of the destination
// registry, checked (same tags, same digests), then a second sync with
// nothing changed. The no-op runs' requests are counted from both
// registries' access logs. Prints medians, ratios and the request counts.

import { copy } from "../lib/content/copy.ts";
import { OciLayout } from "../lib/layout/oci_layout.ts";
import { MEDIA_TYPE } from "../lib/ref/media_types.ts";
import { createClient } from "../lib/registry/client.ts";
import { RegistryStore } from "../lib/registry/store.ts";
import { sync } from "../lib/sync/sync.ts";
import { seedFixtures } from "../test_support/fixtures.ts";
import {
  type RealRegistry,
  startRegistry,
} from "../test_support/real_registry.ts";
import { CLI_RUN_FLAGS } from "../cli/run_flags.ts";
import { median } from "./_e2e_measure.ts";
import { parseBenchArgs, usageFromHeader } from "./_args.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;
const dec = new TextDecoder();

interface Options {
  runs: number;
  bigRuns: number;
  sets: string[];
  tags: number;
}

function parseOptions(argv: string[]): Options {
  const args = parseBenchArgs(argv, {
    usage: usageFromHeader(import.meta.url, 1, 3),
    string: ["runs", "big-runs", "tags", "sets"],
  });
  return {
    runs: args.count("runs", 5),
    bigRuns: args.count("big-runs", 3),
    tags: args.count("tags", 50),
    sets: args.list("sets", ["small", "big"] as const, ["small", "big"]),
  };
}

type Tool = "ours" | "skopeo";

/** One process: wall time, exit code, output tail. */
async function timed(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ ms: number; code: number; out: string }> {
  const t0 = performance.now();
  const out = await new Deno.Command(cmd, {
    args,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const ms = performance.now() - t0;
  return {
    ms,
    code: out.code,
    out: (dec.decode(out.stdout) + dec.decode(out.stderr)).slice(-2000),
  };
}

/** skopeo with a blob-info cache of its own (see bench/_e2e_tools.ts). */
function skopeoEnv(scratch: string): Record<string, string> {
  return {
    REGISTRY_AUTH_FILE: `${scratch}/auth.json`,
    _CONTAINERS_ROOTLESS_UID: "1000",
    XDG_DATA_HOME: `${scratch}/xdg-data`,
    XDG_CONFIG_HOME: `${scratch}/xdg-config`,
    TMPDIR: scratch,
  };
}

/** Runs one tool's sync of `repo` into `dst`'s `prefix/<last part>`. */
async function runTool(
  tool: Tool,
  src: RealRegistry,
  repo: string,
  dst: RealRegistry,
  prefix: string,
): Promise<number> {
  const last = repo.split("/").at(-1)!;
  const scratch = await Deno.makeTempDir({ prefix: "bench-sync-" });
  try {
    const r = tool === "ours"
      ? await timed(Deno.execPath(), [
        "run",
        ...CLI_RUN_FLAGS,
        CLI,
        "sync",
        "--json",
        `${src.url}/${repo}`,
        `${dst.url}/${prefix}/${last}`,
      ], { DOCKER_CONFIG: scratch, XDG_RUNTIME_DIR: scratch })
      : await timed("skopeo", [
        "--insecure-policy",
        "sync",
        "--src",
        "docker",
        "--dest",
        "docker",
        "--all",
        "--preserve-digests",
        "--src-tls-verify=false",
        "--dest-tls-verify=false",
        `${src.host}/${repo}`,
        `${dst.host}/${prefix}`,
      ], skopeoEnv(scratch));
    if (r.code !== 0) throw new Error(`${tool} sync failed:\n${r.out}`);
    return r.ms;
  } finally {
    await Deno.remove(scratch, { recursive: true });
  }
}

/** Every tag's digest (HEAD), through our client. */
async function digests(url: string, repo: string): Promise<string> {
  const client = createClient({ repo: `${url}/${repo}` });
  const { tags } = await client.listTags();
  const out: string[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < tags.length) {
      const tag = tags[next++];
      out.push(`${tag} ${(await client.headManifest(tag)).digest}`);
    }
  }));
  return out.sort().join("\n");
}

/** Requests by kind, from access-log lines. */
function kinds(lines: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of lines) {
    const [method, path] = line.split(" ");
    const what = path === "/v2/"
      ? "ping"
      : path.includes("/blobs/uploads/")
      ? "upload"
      : path.includes("/blobs/")
      ? "blob"
      : path.includes("/tags/list")
      ? "tags"
      : "manifest";
    const key = `${method} ${what}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

function fmtKinds(k: Record<string, number>): string {
  return Object.entries(k).sort().map(([key, n]) => `${n} ${key}`).join(", ");
}

/** Seeds `bench/small`: `n` images of one 4 KiB layer each, and the index. */
async function seedSmall(
  src: RealRegistry,
  n: number,
  indexRef: string,
): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "bench-sync-seed-" });
  try {
    const layout = await OciLayout.open(dir, { create: true });
    for (let i = 0; i < n; i++) {
      const layer = new Uint8Array(4096);
      crypto.getRandomValues(layer);
      const l = await layout.writeBlob(layer);
      const config = await layout.writeBlob(
        new TextEncoder().encode(JSON.stringify({
          architecture: "amd64",
          os: "linux",
          rootfs: { type: "layers", diff_ids: [l.digest] },
        })),
      );
      const manifest = await layout.writeBlob(
        new TextEncoder().encode(JSON.stringify({
          schemaVersion: 2,
          mediaType: MEDIA_TYPE.OCI_MANIFEST,
          config: {
            mediaType: MEDIA_TYPE.OCI_CONFIG,
            digest: config.digest,
            size: config.size,
          },
          layers: [{
            mediaType: MEDIA_TYPE.OCI_LAYER,
            digest: l.digest,
            size: l.size,
          }],
        })),
      );
      await layout.setTag(`v1.${i}.0`, {
        mediaType: MEDIA_TYPE.OCI_MANIFEST,
        digest: manifest.digest,
        size: manifest.size,
      });
    }
    const seeded = await sync(`oci:${dir}`, `${src.url}/bench/small`);
    if (!seeded.ok) throw new Error("seeding bench/small failed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  await copy(
    new RegistryStore(indexRef),
    new RegistryStore(`${src.url}/bench/small:multi`),
  );
  return "bench/small";
}

interface SetResult {
  name: string;
  tags: number;
  full: Record<Tool, number[]>;
  noop: Record<Tool, number[]>;
  requests: Record<
    Tool,
    { src: Record<string, number>; dst: Record<string, number> }
  >;
}

async function benchSet(
  name: string,
  src: RealRegistry,
  dst: RealRegistry,
  repo: string,
  runs: number,
): Promise<SetResult> {
  const want = await digests(src.url, repo);
  const tags = want.split("\n").length;
  const result: SetResult = {
    name,
    tags,
    full: { ours: [], skopeo: [] },
    noop: { ours: [], skopeo: [] },
    requests: {
      ours: { src: {}, dst: {} },
      skopeo: { src: {}, dst: {} },
    },
  };
  const last = repo.split("/").at(-1)!;
  for (let round = 0; round < runs; round++) {
    const order: Tool[] = round % 2 === 0
      ? ["ours", "skopeo"]
      : ["skopeo", "ours"];
    for (const tool of order) {
      const prefix = `${name}-${tool}-${round}`;
      const fullMs = await runTool(tool, src, repo, dst, prefix);
      const got = await digests(dst.url, `${prefix}/${last}`);
      if (got !== want) {
        throw new Error(`${tool}: the mirror differs from the source`);
      }
      const s0 = (await src.flushAccessLog()).length;
      const d0 = (await dst.flushAccessLog()).length;
      const noopMs = await runTool(tool, src, repo, dst, prefix);
      const s = (await src.flushAccessLog()).slice(s0);
      const d = (await dst.flushAccessLog()).slice(d0);
      result.full[tool].push(fullMs);
      result.noop[tool].push(noopMs);
      result.requests[tool] = { src: kinds(s), dst: kinds(d) };
      console.error(
        `${name} round ${round + 1}/${runs} ${tool}: full ${
          (fullMs / 1000).toFixed(2)
        } s, no-op ${
          (noopMs / 1000).toFixed(2)
        } s (${s.length} + ${d.length} requests)`,
      );
    }
  }
  return result;
}

function report(results: SetResult[]): string {
  const lines = [
    "| set | tags | run | dreg sync (median s) | skopeo sync (median s) | skopeo / dreg |",
    "| --- | ---: | --- | ---: | ---: | ---: |",
  ];
  for (const r of results) {
    for (const kind of ["full", "noop"] as const) {
      const ours = median(r[kind].ours) / 1000;
      const skopeo = median(r[kind].skopeo) / 1000;
      lines.push(
        `| ${r.name} | ${r.tags} | ${
          kind === "full" ? "first (copy)" : "second (no-op)"
        } | ${ours.toFixed(2)} | ${skopeo.toFixed(2)} | ${
          (skopeo / ours).toFixed(2)
        } |`,
      );
    }
  }
  lines.push(
    "",
    "Requests of the second (no-op) run, from the access logs:",
    "",
  );
  lines.push("| set | tool | source registry | destination registry |");
  lines.push("| --- | --- | --- | --- |");
  for (const r of results) {
    for (const tool of ["ours", "skopeo"] as const) {
      const q = r.requests[tool];
      const total = (k: Record<string, number>) =>
        Object.values(k).reduce((a, b) => a + b, 0);
      lines.push(
        `| ${r.name} | ${tool === "ours" ? "dreg" : "skopeo"} | ${
          total(q.src)
        }: ${fmtKinds(q.src)} | ${total(q.dst)}: ${fmtKinds(q.dst)} |`,
      );
    }
  }
  return lines.join("\n");
}

if (import.meta.main) {
  const options = parseOptions(Deno.args);
  await using src = await startRegistry({ mode: "anonymous" });
  await using dst = await startRegistry({ mode: "anonymous" });
  console.error("seeding …");
  const fx = await seedFixtures(src, {
    tagCount: options.sets.includes("big") ? 1000 : 1,
  });
  const indexRef = `${src.url}/${fx.index.repo}:v1`;
  await copy(
    new RegistryStore(indexRef),
    new RegistryStore(`${src.url}/${fx.manyTags.repo}:multi`),
  );
  const results: SetResult[] = [];
  if (options.sets.includes("small")) {
    const repo = await seedSmall(src, options.tags, indexRef);
    results.push(await benchSet("small", src, dst, repo, options.runs));
  }
  if (options.sets.includes("big")) {
    results.push(
      await benchSet("big", src, dst, fx.manyTags.repo, options.bigRuns),
    );
  }
  const [deno, skopeo] = await Promise.all([
    timed(Deno.execPath(), ["--version"]),
    timed("skopeo", ["--version"]),
  ]);
  console.log(report(results));
  console.log(
    `\n${
      deno.out.split("\n")[0]
    }; ${skopeo.out.trim()}; ${navigator.hardwareConcurrency} CPUs; loopback registries (distribution 2.8, filesystem storage).`,
  );
}
