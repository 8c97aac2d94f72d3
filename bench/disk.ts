#!/usr/bin/env -S deno run -A
// Usage: deno run -A bench/disk.ts [--cli PATH] [--writers N] [--runs M]
//          [--layers L] [--layer-mib S] [--repeats R] [--skip-race] [--skip-verify]
//
// The disk half of resilience, with real `dreg` processes against the fake
// registry (in this process, on 127.0.0.1):
//
// 1. Concurrent writers: N `dreg pull` processes, each pulling its own tag
//    (with a layer of its own and one shared by all), into one layout at
//    once — a new layout, then an existing one — M times each. Counts the
//    processes that failed, the runs whose index.json was not valid JSON,
//    the tags lost (pulled with exit 0 but not listed), the temporary files
//    left behind.
// 2. Verify-on-first-use: the time to pull an image of L layers × S MiB
//    into a layout that already holds it all, with the default (every blob
//    hashed once before it is skipped) and with --trust-existing (size
//    only), best of R; and the time of the first pull for scale.
//
// --cli runs another checkout's cli.ts (e.g. `git worktree add /tmp/before
// HEAD` for the code before a change); its pulls must accept the same
// arguments (--skip-verify for a CLI without --trust-existing).

import { startFakeRegistry } from "../lib/testing/fake_registry.ts";
import {
  CLI,
  dreg,
  layoutTags,
  patterned,
  seedImage,
  tempFiles,
} from "../test_support/dreg_process.ts";
import { parseBenchArgs, usageFromHeader } from "./_args.ts";

const args = parseBenchArgs(Deno.args, {
  usage: usageFromHeader(import.meta.url, 1, 3),
  string: ["cli", "writers", "runs", "layers", "layer-mib", "repeats"],
  boolean: ["skip-race", "skip-verify"],
});
const cli = args.string("cli", CLI)!;
const writers = args.count("writers", 4);
const runs = args.count("runs", 20);
const layers = args.count("layers", 4);
const layerMiB = args.positive("layer-mib", 64);
const repeats = args.count("repeats", 3);

await using registry = await startFakeRegistry();
const home = await Deno.makeTempDir({ prefix: "bench-disk-home-" });
const work = await Deno.makeTempDir({ prefix: "bench-disk-" });
const opts = { home, cli };
console.log(`cli: ${cli}`);

async function race(existing: boolean) {
  const shared = patterned(256 * 1024, Math.random());
  const images = Array.from(
    { length: writers },
    (_, i) => seedImage(registry, "race", `t${i}`, [64 * 1024, shared]),
  );
  const totals = {
    runs,
    processes: runs * writers,
    failed: 0,
    badIndex: 0,
    lostTags: 0,
    tempLeft: 0,
    errors: new Map<string, number>(),
  };
  for (let run = 0; run < runs; run++) {
    const dir = `${work}/${existing ? "existing" : "new"}-${run}`;
    if (existing) {
      const seed = seedImage(registry, "race", `seed${run}`, [1024]);
      const r = await dreg(["pull", seed.ref, dir], opts);
      if (r.code !== 0) throw new Error(`seeding pull failed: ${r.stderr}`);
    }
    const results = await Promise.all(
      images.map((img) => dreg(["pull", img.ref, dir], opts)),
    );
    const ok = results.filter((r) => r.code === 0).length;
    totals.failed += results.length - ok;
    for (const r of results) {
      if (r.code === 0) continue;
      const line = r.stderr.trim().split("\n").at(-1) ?? "";
      const key = line.replace(/\/tmp\/\S+/g, "DIR").slice(0, 160);
      totals.errors.set(key, (totals.errors.get(key) ?? 0) + 1);
    }
    const tags = await layoutTags(dir);
    if (tags === undefined) {
      totals.badIndex++;
      totals.lostTags += ok;
    } else {
      totals.lostTags += images.filter((img, i) =>
        results[i].code === 0 && !tags.includes(img.ref.split(":").at(-1)!)
      ).length;
    }
    totals.tempLeft += (await tempFiles(dir)).length;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  console.log(
    `\n${writers} concurrent pulls into one ${
      existing ? "existing" : "new"
    } layout, ${runs} runs (${totals.processes} processes):`,
  );
  console.log(`  processes failed:      ${totals.failed}`);
  console.log(`  runs with bad index:   ${totals.badIndex}`);
  console.log(`  tags lost (exit 0):    ${totals.lostTags}`);
  console.log(`  temporary files left:  ${totals.tempLeft}`);
  for (const [line, n] of totals.errors) console.log(`    ${n}× ${line}`);
}

async function timed(argv: string[]): Promise<number> {
  const t0 = performance.now();
  const r = await dreg(argv, opts);
  const ms = performance.now() - t0;
  if (r.code !== 0) throw new Error(`${argv.join(" ")}: ${r.stderr}`);
  return ms;
}

async function verifyCost() {
  const img = seedImage(
    registry,
    "big",
    "1",
    Array.from({ length: layers }, () => layerMiB * 1024 * 1024),
  );
  const total = layers * layerMiB;
  const dir = `${work}/full`;
  const first = await timed(["pull", img.ref, dir]);
  const verified: number[] = [];
  const trusted: number[] = [];
  for (let i = 0; i < repeats; i++) {
    verified.push(await timed(["pull", img.ref, dir]));
    trusted.push(await timed(["pull", "--trust-existing", img.ref, dir]));
  }
  // A run of the CLI that does nothing, for its start-up cost.
  const startups: number[] = [];
  for (let i = 0; i < 3; i++) startups.push(await timed(["--help"]));
  const startup = Math.min(...startups);
  const best = (xs: number[]) => Math.min(...xs);
  const v = best(verified);
  const t = best(trusted);
  console.log(
    `\nre-pull into a layout that holds all ${layers} × ${layerMiB} MiB (best of ${repeats}):`,
  );
  console.log(`  first pull (download):          ${first.toFixed(0)} ms`);
  console.log(`  re-pull, blobs hashed (default): ${v.toFixed(0)} ms`);
  console.log(`  re-pull, --trust-existing:       ${t.toFixed(0)} ms`);
  console.log(
    `  verification cost:               ${(v - t).toFixed(0)} ms (${
      (total / ((v - t) / 1000)).toFixed(0)
    } MiB/s over ${total} MiB)`,
  );
  console.log(`  dreg start-up (--help):          ${startup.toFixed(0)} ms`);
  await Deno.remove(dir, { recursive: true });
}

try {
  if (!args.flag("skip-race")) {
    await race(false);
    await race(true);
  }
  if (!args.flag("skip-verify")) await verifyCost();
} finally {
  await Deno.remove(work, { recursive: true }).catch(() => {});
  await Deno.remove(home, { recursive: true }).catch(() => {});
}
