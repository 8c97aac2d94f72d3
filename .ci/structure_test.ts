import { assertEquals } from "@std/assert";
import { join } from "@std/path/join";
import { toFileUrl } from "@std/path/to-file-url";
import {
  checkStructure,
  countLines,
  findCycles,
  type ImportGraph,
  sourceFiles,
} from "./structure.ts";

function graphOf(edges: Record<string, string[]>): ImportGraph {
  return new Map(Object.entries(edges).map(([k, v]) => [k, new Set(v)]));
}

Deno.test("countLines() counts lines as wc -l does, plus an unterminated last one", () => {
  assertEquals(countLines(""), 0);
  assertEquals(countLines("a"), 1);
  assertEquals(countLines("a\n"), 1);
  assertEquals(countLines("a\nb"), 2);
  assertEquals(countLines("\n\n"), 2);
});

Deno.test("findCycles() finds each knot once, with its shortest cycle", () => {
  const graph = graphOf({
    "a.ts": ["b.ts", "x.ts"],
    "b.ts": ["c.ts", "a.ts"],
    "c.ts": ["a.ts"],
    "d.ts": ["d.ts"],
    "e.ts": ["f.ts"],
    "f.ts": ["g.ts"],
    "g.ts": ["e.ts"],
    "x.ts": ["y.ts"],
    "y.ts": [],
  });
  assertEquals(findCycles(graph), [
    { files: ["a.ts", "b.ts", "c.ts"], path: ["a.ts", "b.ts", "a.ts"] },
    { files: ["d.ts"], path: ["d.ts", "d.ts"] },
    {
      files: ["e.ts", "f.ts", "g.ts"],
      path: ["e.ts", "f.ts", "g.ts", "e.ts"],
    },
  ]);
  assertEquals(findCycles(graphOf({ "a.ts": ["b.ts"], "b.ts": [] })), []);
});

Deno.test("findCycles() copes with a long chain without recursion", () => {
  const edges: Record<string, string[]> = {};
  const n = 20_000;
  for (let i = 0; i < n; i++) edges[`m${i}`] = [`m${(i + 1) % n}`];
  const [cycle] = findCycles(graphOf(edges));
  assertEquals(cycle.files.length, n);
  assertEquals(cycle.path.length, n + 1);
});

Deno.test("checkStructure() reports type-only cycles and long files, one line each", async () => {
  const root = await Deno.makeTempDir({ prefix: "structure-test-" });
  try {
    const write = async (path: string, text: string) => {
      await Deno.mkdir(join(root, path, ".."), { recursive: true });
      await Deno.writeTextFile(join(root, path), text);
    };
    // A cycle made of type-only imports.
    await write(
      "lib/a.ts",
      'import type { B } from "./sub/b.ts";\nexport type A = { b?: B };\n',
    );
    await write(
      "lib/sub/b.ts",
      'import type { A } from "../a.ts";\nexport type B = { a?: A };\n',
    );
    // A cycle through a dynamic import and a re-export.
    await write(
      "lib/c.ts",
      'export { d } from "./d.ts";\nexport const c = 1;\n',
    );
    await write(
      "lib/d.ts",
      'export const d = 1;\nexport const load = () => import("./c.ts");\n',
    );
    await write("lib/ok.ts", 'import "./a.ts";\n' + "//\n".repeat(799));
    await write("lib/long_test.ts", "//\n".repeat(801));
    await write("lib/testdata/huge.ts", "//\n".repeat(5000));
    await write("lib/notes.md", "x\n".repeat(5000));
    // Outside lib/: neither counted nor reported.
    await write("cli/long.ts", "//\n".repeat(900));

    assertEquals(await sourceFiles(root, "lib"), [
      "lib/a.ts",
      "lib/c.ts",
      "lib/d.ts",
      "lib/long_test.ts",
      "lib/ok.ts",
      "lib/sub/b.ts",
    ]);
    assertEquals(await checkStructure(root), [
      "import cycle among 2 files: lib/a.ts -> lib/sub/b.ts -> lib/a.ts",
      "import cycle among 2 files: lib/c.ts -> lib/d.ts -> lib/c.ts",
      "lib/long_test.ts: 801 lines, over the 800-line limit",
    ]);
    assertEquals(await checkStructure(root, { maxLines: 2000 }), [
      "import cycle among 2 files: lib/a.ts -> lib/sub/b.ts -> lib/a.ts",
      "import cycle among 2 files: lib/c.ts -> lib/d.ts -> lib/c.ts",
    ]);

    // Untied, and an unresolvable import is a problem too.
    await write("lib/sub/b.ts", "export type B = { n: number };\n");
    await write("lib/d.ts", "export const d = 1;\n");
    await write("lib/long_test.ts", "//\n".repeat(800));
    assertEquals(await checkStructure(root), []);
    await write("lib/e.ts", 'import "./missing.ts";\nimport "./f.ts";\n');
    await write("lib/f.ts", "export const = ;\n");
    assertEquals(await checkStructure(root), [
      "cannot load lib/f.ts: SyntaxError: Unexpected token `=`. Expected yield, an identifier, [ or {",
      `cannot load lib/missing.ts: Module not found "${
        toFileUrl(join(root, "lib/missing.ts")).href
      }".`,
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("the script exits 1 with one line per problem, 0 when clean", async () => {
  const root = await Deno.makeTempDir({ prefix: "structure-cli-" });
  try {
    await Deno.mkdir(join(root, "lib"));
    await Deno.writeTextFile(join(root, "lib/a.ts"), 'import "./a.ts";\n');
    const run = () =>
      new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-read",
          "--allow-write",
          "--allow-run",
          "--allow-env",
          new URL("./structure.ts", import.meta.url).pathname,
          root,
        ],
        env: { NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
    const failed = await run();
    assertEquals(failed.code, 1);
    assertEquals(
      new TextDecoder().decode(failed.stdout),
      "import cycle: lib/a.ts -> lib/a.ts\n",
    );
    await Deno.writeTextFile(join(root, "lib/a.ts"), "export const a = 1;\n");
    const clean = await run();
    assertEquals(clean.code, 0);
    assertEquals(
      new TextDecoder().decode(clean.stdout),
      "structure: ok (no import cycle in lib/, no file over 800 lines)\n",
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
