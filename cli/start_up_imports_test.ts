// What every `dreg` command loads before it runs: the static import graph
// of cli.ts. A `node:` module in it makes Deno load its Node compatibility
// layer (about 25 ms) at the start of every command; modules that need
// `node:` APIs are imported dynamically, by the commands that use them.
// Each @std package costs about a millisecond more of `dreg` installed from
// JSR (its metadata is read and checked), so the quick commands load only
// the ones they use on every run.

import { assert, assertEquals } from "@std/assert";

interface InfoDependency {
  specifier: string;
  code?: { specifier?: string };
  isDynamic?: boolean;
}

interface InfoModule {
  specifier: string;
  dependencies?: InfoDependency[];
}

interface Info {
  roots: string[];
  modules: InfoModule[];
}

/**
 * The static code imports reachable from `root`, each with the chain of
 * modules that leads to it (type-only and dynamic imports left out: they
 * load nothing at start-up).
 */
async function staticGraph(root: URL): Promise<Map<string, string[]>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", root.pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
  const info: Info = JSON.parse(new TextDecoder().decode(out.stdout));
  const modules = new Map(info.modules.map((m) => [m.specifier, m]));
  const chains = new Map<string, string[]>([[info.roots[0], []]]);
  const queue = [info.roots[0]];
  while (queue.length > 0) {
    const from = queue.shift()!;
    for (const dep of modules.get(from)?.dependencies ?? []) {
      const to = dep.code?.specifier;
      if (dep.isDynamic || to === undefined || chains.has(to)) continue;
      chains.set(to, [...chains.get(from)!, from]);
      queue.push(to);
    }
  }
  return chains;
}

const ROOT = new URL("../", import.meta.url).href;

Deno.test("cli.ts imports no node: module statically (start-up of every command)", async () => {
  const graph = await staticGraph(new URL("../cli.ts", import.meta.url));
  assert(graph.size > 10, `only ${graph.size} modules found`);
  const node = [...graph].filter(([specifier]) => specifier.startsWith("node:"))
    .map(([specifier, chain]) =>
      `${specifier} <- ${
        chain.toReversed().map((s) => s.replace(ROOT, "")).join(" <- ")
      }`
    );
  assertEquals(node, []);
});

/** The @std packages among the modules (from JSR, or linked from a folder). */
function stdPackages(specifiers: Iterable<string>): string[] {
  const names = new Set<string>();
  for (const s of specifiers) {
    const m = s.match(/\/@std\/([a-z-]+)\//) ?? s.match(/\/std\/([a-z_]+)\//);
    if (m) names.add(m[1].replace("_", "-"));
  }
  return [...names].sort();
}

Deno.test("dreg tags and dreg manifest load only @std/cli and @std/encoding at start-up", async () => {
  const main = await staticGraph(new URL("../cli.ts", import.meta.url));
  for (const command of ["tags", "manifest"]) {
    const graph = await staticGraph(
      new URL(`./commands/${command}.ts`, import.meta.url),
    );
    assertEquals(
      stdPackages([...main.keys(), ...graph.keys()]),
      ["cli", "encoding"],
      command,
    );
  }
});

Deno.test("cli.ts loads no image-moving code statically (layouts, archives, builds, copies)", async () => {
  const graph = await staticGraph(new URL("../cli.ts", import.meta.url));
  const heavy = [...graph.keys()].map((s) => s.replace(ROOT, "")).filter((s) =>
    /^lib\/(layout|archive|build|artifact|sync|tar)\//.test(s) ||
    s === "lib/content/copy.ts"
  );
  assertEquals(heavy, []);
});
