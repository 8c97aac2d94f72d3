// What loading the client costs, and how the registry files depend on each
// other: `client.ts` loads neither hashing (`node:`) nor the upload code
// until a blob moves, and no two files of `lib/registry/` import each other
// in a circle (type-only and dynamic imports count).

import { assertEquals } from "@std/assert";

interface ModuleInfo {
  specifier: string;
  dependencies?: {
    isDynamic?: boolean;
    code?: { specifier: string };
    type?: { specifier: string };
  }[];
}

async function graphOf(root: string): Promise<Map<string, ModuleInfo>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL(root, import.meta.url).href],
    stdout: "piped",
    stderr: "null",
  }).output();
  assertEquals(out.code, 0);
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: ModuleInfo[];
  };
  return new Map(info.modules.map((m) => [m.specifier, m]));
}

const REGISTRY_DIR = new URL("./", import.meta.url).href;

Deno.test("client.ts loads no node: module and no upload code until a blob moves", async () => {
  const graph = await graphOf("./client.ts");
  const seen = new Set<string>();
  const walk = (specifier: string) => {
    if (seen.has(specifier)) return;
    seen.add(specifier);
    for (const dep of graph.get(specifier)?.dependencies ?? []) {
      const next = dep.code?.specifier;
      if (!dep.isDynamic && next) walk(next);
    }
  };
  walk(new URL("./client.ts", import.meta.url).href);
  assertEquals([...seen].filter((s) => s.startsWith("node:")), []);
  assertEquals(
    [...seen].filter((s) =>
      s.startsWith(`${REGISTRY_DIR}uploads/`) ||
      s.endsWith("/_resumable_body.ts") || s.endsWith("/manifest_push.ts")
    ),
    [],
  );
});

Deno.test("the files of lib/registry/ import each other without a cycle", async () => {
  const graph = await graphOf("./client.ts");
  const inRegistry = (s: string) =>
    s.startsWith(REGISTRY_DIR) && !s.endsWith("_test.ts");
  const edges = (s: string) =>
    (graph.get(s)?.dependencies ?? [])
      .flatMap((d) => [d.code?.specifier, d.type?.specifier])
      .filter((t): t is string => t !== undefined && inRegistry(t));
  const short = (s: string) => s.slice(REGISTRY_DIR.length);
  // Depth-first search; a file met again while on the path closes a cycle.
  const state = new Map<string, "open" | "done">();
  const cycles: string[][] = [];
  const visit = (s: string, path: string[]) => {
    state.set(s, "open");
    for (const t of edges(s)) {
      if (state.get(t) === "open") {
        cycles.push([...path.slice(path.indexOf(t)), t].map(short));
      } else if (!state.has(t)) visit(t, [...path, t]);
    }
    state.set(s, "done");
  };
  for (const s of graph.keys()) {
    if (inRegistry(s) && !state.has(s)) visit(s, [s]);
  }
  assertEquals(cycles, []);
  // The upload code is in the graph (behind dynamic imports), so it is checked too.
  assertEquals(graph.has(`${REGISTRY_DIR}uploads/blob_upload.ts`), true);
});
