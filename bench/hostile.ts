#!/usr/bin/env -S deno run -A
// Usage: deno run -A bench/hostile.ts [--cli PATH/cli.ts] [--only a,b] [--cap SECONDS] [--depth N] [--json]
//
// The CLI against a hostile registry: the fake registry of this tree
// (lib/testing) with one fault switched on per scenario, and `dreg` run as a
// child under `/usr/bin/time -v` — peak RSS, wall time to the end (the
// typed error, or the exit), the exit code and the last line it printed.
// A child still running after `--cap` seconds (default 240) is killed and
// reported as such. `--cli` runs another tree's CLI against the same fake
// (for before/after figures: `git worktree add /tmp/before HEAD`, then
// `--cli /tmp/before/cli.ts`).
//
// Scenarios:
//   nested        pull of an index nested 5,000 deep (`--depth N`)
//   trickle-mf    manifest of 4 KiB sent a byte every 500 ms
//   trickle-blob  pull whose 64 KiB layer comes a byte every 500 ms
//   link-cycle    tags whose last page links back to the first
//   401-put       push whose closing PUT is refused once (401, invalid_token)
//   expire-put    push during which every token expires at the closing PUT

import { parseBenchArgs } from "./_args.ts";
import { createHash } from "node:crypto";
import { startFakeRegistry } from "../lib/testing/fake_registry.ts";
import type { FakeRegistry } from "../lib/testing/fake_registry.ts";

const HERE_CLI = new URL("../cli.ts", import.meta.url).pathname;

interface Run {
  scenario: string;
  code: number | null;
  killed: boolean;
  seconds: number;
  peakRssMiB: number | undefined;
  requests: number;
  last: string;
}

interface Scenario {
  name: string;
  what: string;
  /** Sets the registry up; returns the CLI arguments. */
  setup(
    registry: FakeRegistry,
    dir: string,
    cli: Cli,
    depth: number,
  ): Promise<string[]>;
}

type Cli = (
  argv: string[],
  cap: number,
) => Promise<Omit<Run, "scenario" | "requests">>;

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** An image of one layer of `size` random bytes, tagged `tag` in `repo`. */
function seedImage(
  registry: FakeRegistry,
  repo: string,
  tag: string,
  size: number,
): void {
  const layer = new Uint8Array(size);
  for (let i = 0; i < size; i += 65_536) {
    crypto.getRandomValues(layer.subarray(i, i + 65_536));
  }
  const config = new TextEncoder().encode(
    '{"architecture":"amd64","os":"linux"}',
  );
  registry.seedBlob(repo, layer);
  registry.seedBlob(repo, config);
  registry.seedManifest(repo, tag, {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: {
      mediaType: "application/vnd.oci.image.config.v1+json",
      digest: sha256(config),
      size: config.byteLength,
    },
    layers: [{
      mediaType: "application/vnd.oci.image.layer.v1.tar",
      digest: sha256(layer),
      size,
    }],
    annotations: { padding: "x".repeat(4_000) },
  });
}

/**
 * Seeds `src:1`, pulls it into `dir/oci` with the CLI under test, and returns
 * the arguments that push it to `dst:1` as the registry's user: the push
 * scenarios then switch their fault on.
 */
async function pushOfPulledImage(
  registry: FakeRegistry,
  dir: string,
  cli: Cli,
): Promise<string[]> {
  seedImage(registry, "src", "1", 2 * 1024 * 1024);
  const pulled = await cli(
    ["pull", `${registry.url}/src:1`, `${dir}/oci:1`],
    60,
  );
  if (pulled.code !== 0) throw new Error(`setup pull failed: ${pulled.last}`);
  return [
    "push",
    "-u",
    "user",
    "-p",
    "pass",
    `${dir}/oci:1`,
    `${registry.url}/dst:1`,
  ];
}

const SCENARIOS: Scenario[] = [
  {
    name: "nested",
    what: "pull of an index nested 5,000 deep",
    setup(registry, dir, _cli, depth) {
      registry.faults.nestedIndex = { depth };
      return Promise.resolve(["pull", `${registry.url}/deep:1`, `${dir}/oci`]);
    },
  },
  {
    name: "trickle-mf",
    what: "manifest of 4 KiB, a byte every 500 ms",
    setup(registry) {
      seedImage(registry, "app", "1", 1024);
      registry.faults.trickle = {
        everyMs: 500,
        path: /\/manifests\//,
        method: "GET",
      };
      return Promise.resolve(["manifest", `${registry.url}/app:1`]);
    },
  },
  {
    name: "trickle-blob",
    what: "pull, the 64 KiB layer a byte every 500 ms",
    setup(registry, dir) {
      seedImage(registry, "app", "1", 64 * 1024);
      registry.faults.trickle = {
        everyMs: 500,
        path: /\/blobs\/sha256/,
        method: "GET",
      };
      return Promise.resolve(["pull", `${registry.url}/app:1`, `${dir}/oci`]);
    },
  },
  {
    name: "link-cycle",
    what: "tags, the last page linking to the first",
    setup(registry) {
      seedImage(registry, "app", "1", 1024);
      for (let i = 2; i <= 5; i++) {
        registry.seedManifest(
          "app",
          String(i),
          registry.getManifest("app", "1")!.bytes,
        );
      }
      registry.faults.linkCycle = true;
      return Promise.resolve(["tags", `${registry.url}/app`]);
    },
  },
  {
    name: "401-put",
    what: "push, the closing PUT refused once (401)",
    async setup(registry, dir, cli) {
      const args = await pushOfPulledImage(registry, dir, cli);
      registry.faults.uploadUnauthorized = { step: "PUT" };
      return args;
    },
  },
  {
    name: "expire-put",
    what: "push, every token expiring at the closing PUT",
    async setup(registry, dir, cli) {
      const args = await pushOfPulledImage(registry, dir, cli);
      registry.faults.expireTokensAt = { step: "PUT" };
      return args;
    },
  },
];

/** The children of a process (Linux), to end the one `time` runs. */
async function childrenOf(pid: number): Promise<number[]> {
  try {
    const text = await Deno.readTextFile(`/proc/${pid}/task/${pid}/children`);
    return text.trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function cliRunner(cliPath: string, home: string): Cli {
  return async (argv, cap) => {
    const started = performance.now();
    const child = new Deno.Command("/usr/bin/time", {
      args: [
        "-v",
        Deno.execPath(),
        "run",
        "-A",
        "--v8-flags=--max-semi-space-size=2",
        cliPath,
        ...argv,
      ],
      env: {
        DOCKER_CONFIG: `${home}/docker`,
        REGISTRY_AUTH_FILE: `${home}/auth.json`,
        XDG_CONFIG_HOME: `${home}/config`,
        NO_COLOR: "1",
      },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let killed = false;
    const timer = setTimeout(async () => {
      killed = true;
      // Only the deno process this `time` started, by its id.
      for (const pid of await childrenOf(child.pid)) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch { /* gone already */ }
      }
    }, cap * 1000);
    const out = await child.output();
    clearTimeout(timer);
    const seconds = (performance.now() - started) / 1000;
    const stderr = new TextDecoder().decode(out.stderr);
    const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
    const exit = /Exit status: (\d+)/.exec(stderr);
    const lines = (new TextDecoder().decode(out.stdout) + "\n" +
      stderr.split("\tCommand being timed")[0]).split("\n")
      .map((l) => l.trim()).filter((l) =>
        l && !/^Command (exited|terminated)/.test(l)
      );
    return {
      code: killed ? null : exit ? Number(exit[1]) : out.code,
      killed,
      seconds,
      peakRssMiB: rss ? Number(rss[1]) / 1024 : undefined,
      last: (lines.at(-1) ?? "").slice(0, 160),
    };
  };
}

async function main(): Promise<void> {
  const names = SCENARIOS.map((s) => s.name);
  const flags = parseBenchArgs(Deno.args, {
    usage: [
      "Usage: deno run -A bench/hostile.ts [--cli PATH] [--only a,b] [--cap SECONDS] [--depth N] [--json]",
      ...SCENARIOS.map((s) => `  ${s.name.padEnd(14)}${s.what}`),
    ].join("\n"),
    string: ["cli", "only", "cap", "depth"],
    boolean: ["json"],
  });
  const cap = flags.positive("cap", 240);
  const depth = flags.count("depth", 5_000);
  const only = flags.has("only") ? flags.list("only", names, names) : undefined;
  const cliPath = flags.string("cli", HERE_CLI)!;
  const json = flags.flag("json");
  const runs: Run[] = [];
  for (const scenario of SCENARIOS) {
    if (only && !only.includes(scenario.name)) continue;
    const home = await Deno.makeTempDir({ prefix: "hostile-" });
    await using registry = await startFakeRegistry({ auth: "bearer" });
    try {
      const cli = cliRunner(cliPath, home);
      const argv = await scenario.setup(registry, home, cli, depth);
      registry.requests.length = 0;
      const run = await cli(argv, cap);
      runs.push({
        scenario: scenario.name,
        ...run,
        requests: registry.requests.length,
      });
      if (!json) {
        console.error(
          `${scenario.name}: exit ${run.killed ? "killed" : run.code} in ${
            run.seconds.toFixed(1)
          } s, peak ${
            run.peakRssMiB?.toFixed(0)
          } MiB, ${registry.requests.length} requests`,
        );
      }
    } finally {
      registry.faults = {};
      await Deno.remove(home, { recursive: true });
    }
  }
  if (json) {
    console.log(JSON.stringify({ cli: cliPath, cap, runs }, null, 2));
    return;
  }
  console.log(`CLI: ${cliPath} (cap ${cap} s)\n`);
  console.log(
    "| scenario | exit | time to end | peak RSS | requests | last line |",
  );
  console.log("| --- | --- | --- | --- | --- | --- |");
  for (const r of runs) {
    const time = r.killed ? `> ${cap} s (killed)` : `${r.seconds.toFixed(1)} s`;
    console.log(
      `| ${r.scenario} | ${r.killed ? "—" : r.code} | ${time} | ${
        r.peakRssMiB?.toFixed(0) ?? "?"
      } MiB | ${r.requests} | ${r.last.replaceAll("|", "\\|")} |`,
    );
  }
}

if (import.meta.main) await main();
