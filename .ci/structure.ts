#!/usr/bin/env -S deno run --allow-read --allow-write --allow-run --allow-env
/**
 * Structure checks of the library, run by `deno task structure`:
 *
 * - no import cycle among the files of `lib/` (type-only and dynamic
 *   imports count: a cycle of types is still a knot a reader must untie);
 * - no source file of `lib/` (tests included, `testdata/` excluded) over
 *   800 lines.
 *
 * Prints one line per problem and exits 1 when there is any, 0 otherwise.
 * The module graph comes from `deno info --json`, which lists both the
 * code and the type dependencies of each module.
 *
 * Usage: deno run --allow-read --allow-write --allow-run --allow-env .ci/structure.ts [ROOT]
 *
 * @module
 */

import { join } from "@std/path/join";
import { relative } from "@std/path/relative";
import { toFileUrl } from "@std/path/to-file-url";
import { fromFileUrl } from "@std/path/from-file-url";

/** Longest a source file of `lib/` may be, in lines. */
export const MAX_LINES = 800;

/** Which files count as source files of the checked folder. */
const SOURCE_RE = /\.(m?ts|tsx|m?js)$/;

/** An import graph: each file (a path relative to the root) → its imports. */
export type ImportGraph = Map<string, Set<string>>;

/** Options of {@linkcode checkStructure}. */
export interface StructureOptions {
  /** The folder checked, relative to the root. @default {"lib"} */
  dir?: string;
  /** Longest a file may be, in lines. @default {800} */
  maxLines?: number;
}

/**
 * The source files under `root/dir` (`.ts`, `.mts`, `.tsx`, `.js`, `.mjs`),
 * skipping `testdata/` folders, as sorted paths relative to `root` with `/`.
 */
export async function sourceFiles(
  root: string,
  dir: string,
): Promise<string[]> {
  const found: string[] = [];
  async function walk(path: string): Promise<void> {
    for await (const entry of Deno.readDir(path)) {
      const full = join(path, entry.name);
      if (entry.isDirectory && entry.name !== "testdata") await walk(full);
      else if (entry.isFile && SOURCE_RE.test(entry.name)) {
        found.push(relative(root, full).replaceAll("\\", "/"));
      }
    }
  }
  await walk(join(root, dir));
  return found.sort();
}

/** The number of lines of a text, as `wc -l` counts them plus an unterminated last line. */
export function countLines(text: string): number {
  if (text === "") return 0;
  const newlines = text.split("\n").length - 1;
  return text.endsWith("\n") ? newlines : newlines + 1;
}

/** The import graph of a set of files, and the modules that did not load. */
export interface ModuleGraph {
  /** Each file (a path relative to the root) → the files it imports. */
  imports: ImportGraph;
  /** `path: error` for each file of the root that does not load or parse. */
  errors: string[];
}

/** One module of `deno info --json`. */
interface InfoModule {
  specifier: string;
  error?: string;
  dependencies?: {
    code?: { specifier: string };
    type?: { specifier: string };
  }[];
}

/**
 * The import graph of `files` (paths relative to `root`) and everything they
 * import inside `root`, code and type dependencies alike, from one
 * `deno info --json` run over an entry module that imports them all.
 * Files of `root` that do not load (missing, not parsing) are listed in
 * `errors`.
 *
 * @throws {Error} When `deno info` itself fails; the message holds its
 *   first error line.
 */
export async function importGraph(
  root: string,
  files: string[],
): Promise<ModuleGraph> {
  const entry = await Deno.makeTempFile({
    prefix: "structure-entry-",
    suffix: ".ts",
  });
  try {
    await Deno.writeTextFile(
      entry,
      files.map((f) =>
        `import ${JSON.stringify(toFileUrl(join(root, f)).href)};\n`
      )
        .join(""),
    );
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", entry],
      cwd: root,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!output.success) {
      const stderr = new TextDecoder().decode(output.stderr).trim();
      const first = stderr.split("\n").find((line) => line.trim() !== "");
      throw new Error(`deno info failed: ${first ?? `exit ${output.code}`}`);
    }
    const info = JSON.parse(new TextDecoder().decode(output.stdout)) as {
      modules: InfoModule[];
    };
    const rootUrl = toFileUrl(join(root, "/")).href;
    const local = (specifier: string | undefined): string | undefined =>
      specifier?.startsWith(rootUrl)
        ? relative(root, fromFileUrl(specifier)).replaceAll("\\", "/")
        : undefined;
    const graph: ImportGraph = new Map();
    const errors: string[] = [];
    for (const module of info.modules) {
      const from = local(module.specifier);
      if (from === undefined) continue;
      if (module.error !== undefined) {
        errors.push(`${from}: ${module.error.split("\n")[0]}`);
        continue;
      }
      const edges = graph.get(from) ?? new Set<string>();
      graph.set(from, edges);
      for (const dep of module.dependencies ?? []) {
        for (
          const to of [local(dep.code?.specifier), local(dep.type?.specifier)]
        ) {
          if (to !== undefined) edges.add(to);
        }
      }
    }
    return { imports: graph, errors: errors.sort() };
  } finally {
    await Deno.remove(entry).catch(() => {});
  }
}

/** A knot of imports: files that all reach each other. */
export interface Cycle {
  /** Every file of the knot (a strongly connected component), sorted. */
  files: string[];
  /** The shortest cycle through `files[0]`, closed: `[a, b, a]`. */
  path: string[];
}

/**
 * The import cycles of a graph: one per strongly connected component of
 * more than one file, or of one file importing itself. Sorted by their
 * first file.
 */
export function findCycles(graph: ImportGraph): Cycle[] {
  // Tarjan's algorithm, iterative so that deep graphs cannot overflow.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  const edgesOf = (node: string) => [...(graph.get(node) ?? [])].sort();
  for (const start of [...graph.keys()].sort()) {
    if (index.has(start)) continue;
    const work: { node: string; next: number; edges: string[] }[] = [];
    const visit = (node: string) => {
      index.set(node, counter);
      low.set(node, counter);
      counter++;
      stack.push(node);
      onStack.add(node);
      work.push({ node, next: 0, edges: edgesOf(node) });
    };
    visit(start);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      if (frame.next < frame.edges.length) {
        const to = frame.edges[frame.next++];
        if (!index.has(to)) visit(to);
        else if (onStack.has(to)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(to)!));
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1].node;
        low.set(parent, Math.min(low.get(parent)!, low.get(frame.node)!));
      }
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        const selfLoop = graph.get(frame.node)?.has(frame.node) ?? false;
        if (component.length > 1 || selfLoop) components.push(component.sort());
      }
    }
  }
  return components
    .sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)
    .map((files) => ({ files, path: shortestCycle(graph, files) }));
}

/** The shortest cycle through `component[0]` inside the component (BFS). */
function shortestCycle(graph: ImportGraph, component: string[]): string[] {
  const inside = new Set(component);
  const start = component[0];
  const parent = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i];
    for (const to of [...(graph.get(node) ?? [])].sort()) {
      if (!inside.has(to)) continue;
      if (to === start) {
        const path = [node];
        while (path[0] !== start) path.unshift(parent.get(path[0])!);
        return [...path, start];
      }
      if (!parent.has(to)) {
        parent.set(to, node);
        queue.push(to);
      }
    }
  }
  return [start, start]; // unreachable for a strongly connected component
}

/**
 * Checks the files under `root/dir`: import cycles and files over the line
 * limit.
 *
 * @param root The project root (where `deno.json` is).
 * @param options The folder and the line limit.
 * @returns One line per problem: files that do not load, cycles, then
 *   long files.
 */
export async function checkStructure(
  root: string,
  options: StructureOptions = {},
): Promise<string[]> {
  const dir = options.dir ?? "lib";
  const maxLines = options.maxLines ?? MAX_LINES;
  const files = await sourceFiles(root, dir);
  const problems: string[] = [];
  const inDir = (file: string) => file.startsWith(`${dir}/`);
  let graph: ImportGraph = new Map();
  try {
    const modules = await importGraph(root, files);
    graph = modules.imports;
    for (const error of modules.errors) problems.push(`cannot load ${error}`);
  } catch (error) {
    problems.push(`cannot build the import graph: ${(error as Error).message}`);
  }
  for (const { files: knot, path } of findCycles(graph)) {
    if (!knot.some(inDir)) continue;
    const among = knot.length === 1 ? "" : ` among ${knot.length} files`;
    problems.push(`import cycle${among}: ${path.join(" -> ")}`);
  }
  for (const file of files) {
    const lines = countLines(await Deno.readTextFile(join(root, file)));
    if (lines > maxLines) {
      problems.push(`${file}: ${lines} lines, over the ${maxLines}-line limit`);
    }
  }
  return problems;
}

if (import.meta.main) {
  const root = Deno.args[0] ?? fromFileUrl(new URL("..", import.meta.url));
  const problems = await checkStructure(root);
  for (const problem of problems) console.log(problem);
  if (problems.length > 0) Deno.exit(1);
  console.log(
    `structure: ok (no import cycle in lib/, no file over ${MAX_LINES} lines)`,
  );
}
