/**
 * Builds what Node and Bun users import: the library's two entry points
 * (`mod.ts`, `lib/credentials/mod.ts`) as ES modules, TypeScript stripped
 * and `@std` inlined, with `deno bundle`. JSR serves Node and Bun the same
 * code transpiled per module; a bundle is the closest thing that can be
 * built without reaching jsr.io. `node:` imports stay imports.
 *
 * Usage: deno run -A test_support/runtimes/bundle.ts OUT_DIR
 *
 * @module
 */

import { fromFileUrl } from "@std/path/from-file-url";
import { join } from "@std/path/posix/join";

/** The repository's root. */
const ROOT = fromFileUrl(new URL("../../", import.meta.url));

/** Where the bundled entry points are. */
export interface LibraryBundle {
  /** The main entry (`mod.ts`): `import { createClient } from …`. */
  mod: string;
  /** The `/credentials` entry (`lib/credentials/mod.ts`). */
  credentials: string;
}

/**
 * Bundles the library into `outDir` (shared code split into chunks, as the
 * library's own lazy imports are).
 *
 * @throws {Error} When `deno bundle` fails, with its output.
 */
export async function bundleLibrary(outDir: string): Promise<LibraryBundle> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--format=esm",
      "--platform=deno",
      "--code-splitting",
      `--outdir=${outDir}`,
      "mod.ts",
      "lib/credentials/mod.ts",
    ],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    const dec = new TextDecoder();
    throw new Error(
      `deno bundle failed (${out.code}):\n${dec.decode(out.stdout)}${
        dec.decode(out.stderr)
      }`,
    );
  }
  return {
    mod: join(outDir, "mod.js"),
    credentials: join(outDir, "lib", "credentials", "mod.js"),
  };
}

if (import.meta.main) {
  const [outDir] = Deno.args;
  if (outDir === undefined) {
    console.error("Usage: bundle.ts OUT_DIR");
    Deno.exit(2);
  }
  console.log(await bundleLibrary(outDir));
}
