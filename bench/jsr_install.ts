#!/usr/bin/env -S deno run -A
// Usage: deno run -A bench/jsr_install.ts OUT_DIR NAME=CHECKOUT [NAME=CHECKOUT ...]
//
// Installs `dreg` from each checkout the way a user installs it from JSR:
// `deno install -g … jsr:@scope/docker-registry-client@VERSION/cli`, through
// a JSR registry served on 127.0.0.1 for the install only (Deno's `JSR_URL`).
// It serves every checkout as a version `<its version>-NAME` and the @std
// packages of ../shared/std, with the files `deno publish` would publish
// (its excludes applied) and bare `@std/…` imports rewritten to
// `jsr:@std/…@^VERSION`, as `deno publish` does. Each install goes to
// OUT_DIR/NAME/bin/dreg (Deno's own launcher, with the flags of the
// checkout's cli/run_flags.ts) and its modules to a cache of its own,
// OUT_DIR/NAME/deno_dir, as a user's cache holds one version (several
// versions in one cache slow every one of them down by up to 10 ms);
// OUT_DIR/NAME/env.json holds the JSR_URL and DENO_DIR the launcher runs
// with (offline: everything is cached). `bench/compare.ts` takes the
// launchers:
//
//   deno run -A bench/jsr_install.ts /tmp/jsr old=/tmp/old new=.
//   deno run -A bench/compare.ts /tmp/jsr/old/bin/dreg /tmp/jsr/new/bin/dreg --ops tags,manifest

import { walk } from "@std/fs/walk";
import { encodeHex } from "@std/encoding/hex";
import { join } from "@std/path/posix/join";
import { globToRegExp } from "@std/path/posix/glob-to-regexp";
import { CLI_RUN_FLAGS } from "../cli/run_flags.ts";
import { parseBenchArgs, usageFromHeader } from "./_args.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const STD = Deno.realPathSync(`${ROOT}/../shared/std`);

/** One version of one package, as the registry serves it. */
interface Served {
  version: string;
  dir: string;
  exports: Record<string, string>;
  /** The files `deno publish` leaves out (its `publish.exclude`). */
  exclude: RegExp[];
  manifest?: Record<string, { size: number; checksum: string }>;
}

async function readConfig(dir: string) {
  const text = await Deno.readTextFile(`${dir}/deno.json`);
  const config = JSON.parse(text) as {
    name?: string;
    version?: string;
    exports?: string | Record<string, string>;
    exclude?: string[];
    publish?: { exclude?: string[] };
  };
  const exports = typeof config.exports === "string"
    ? { ".": config.exports }
    : config.exports ?? {};
  const patterns = [...config.exclude ?? [], ...config.publish?.exclude ?? []];
  const exclude = patterns.map((p) =>
    globToRegExp(p.replace(/^\.\//, "").replace(/\/$/, "/**"), {
      globstar: true,
    })
  );
  return { name: config.name, version: config.version, exports, exclude };
}

/** The @std packages of ../shared/std: name → version. */
async function stdPackages(packages: Map<string, Served[]>) {
  const versions = new Map<string, string>();
  for await (const entry of Deno.readDir(STD)) {
    if (!entry.isDirectory) continue;
    const dir = `${STD}/${entry.name}`;
    const config = await readConfig(dir).catch(() => undefined);
    if (!config?.name?.startsWith("@std/") || !config.version) continue;
    packages.set(config.name, [{ ...config, version: config.version, dir }]);
    versions.set(config.name.slice("@std/".length), config.version);
  }
  return versions;
}

/** A source file as JSR serves it: bare `@std/…` imports made `jsr:`. */
function unfurl(text: string, std: Map<string, string>): string {
  return text.replace(
    /(["'])@std\/([a-z_-]+)((?:\/[^"'\s]*)?)\1/g,
    (all, quote, name, sub) => {
      const version = std.get(name);
      return version === undefined
        ? all
        : `${quote}jsr:@std/${name}@^${version}${sub}${quote}`;
    },
  );
}

async function fileBytes(
  path: string,
  std: Map<string, string>,
): Promise<Uint8Array<ArrayBuffer>> {
  const bytes = await Deno.readFile(path);
  if (!/\.(ts|js|mjs)$/.test(path)) return bytes;
  return new TextEncoder().encode(unfurl(new TextDecoder().decode(bytes), std));
}

async function manifestOf(p: Served, std: Map<string, string>) {
  if (p.manifest) return p.manifest;
  const manifest: Record<string, { size: number; checksum: string }> = {};
  for await (
    const file of walk(p.dir, {
      includeDirs: false,
      skip: [/\/\.git\//, /\/node_modules\//],
    })
  ) {
    const rel = file.path.slice(p.dir.length + 1);
    if (p.exclude.some((re) => re.test(rel))) continue;
    const bytes = await fileBytes(file.path, std);
    manifest[`/${rel}`] = {
      size: bytes.byteLength,
      checksum: `sha256-${
        encodeHex(await crypto.subtle.digest("SHA-256", bytes))
      }`,
    };
  }
  return p.manifest = manifest;
}

/** The registry: meta.json, VERSION_meta.json and the files. */
function serve(packages: Map<string, Served[]>, std: Map<string, string>) {
  return Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      const path = decodeURIComponent(new URL(req.url).pathname);
      const m = path.match(/^\/(@[^/]+\/[^/]+)\/(.+)$/);
      const versions = m && packages.get(m[1]);
      if (!m || !versions) return new Response("not found", { status: 404 });
      const [scope, name] = m[1].slice(1).split("/");
      if (m[2] === "meta.json") {
        return Response.json({
          scope,
          name,
          latest: versions.at(-1)!.version,
          versions: Object.fromEntries(versions.map((v) => [v.version, {}])),
        });
      }
      const meta = m[2].match(/^([^/]+)_meta\.json$/);
      const file = m[2].match(/^([^/]+)(\/.+)$/);
      const version = versions.find((v) =>
        v.version === (meta?.[1] ?? file?.[1])
      );
      if (!version) return new Response("not found", { status: 404 });
      if (meta) {
        return Response.json({
          manifest: await manifestOf(version, std),
          exports: version.exports,
        });
      }
      try {
        return new Response(await fileBytes(version.dir + file![2], std));
      } catch {
        return new Response("not found", { status: 404 });
      }
    },
  );
}

/** The checkout's `deno run` flags for dreg (its cli/run_flags.ts). */
async function runFlags(dir: string): Promise<readonly string[]> {
  const file = `${dir}/cli/run_flags.ts`;
  try {
    await Deno.stat(file);
  } catch {
    return CLI_RUN_FLAGS;
  }
  const mod = await import(`file://${file}`) as {
    CLI_RUN_FLAGS?: readonly string[];
  };
  return mod.CLI_RUN_FLAGS ?? CLI_RUN_FLAGS;
}

async function main(): Promise<void> {
  const args = parseBenchArgs(Deno.args, {
    usage: usageFromHeader(import.meta.url, 1, 21),
    operands: 100,
  });
  const [out, ...specs] = args.operands;
  if (out === undefined || specs.length === 0) {
    args.fail("OUT_DIR and at least one NAME=CHECKOUT are needed");
  }
  const packages = new Map<string, Served[]>();
  const std = await stdPackages(packages);
  const installs: { name: string; spec: string; flags: readonly string[] }[] =
    [];
  for (const spec of specs) {
    const [name, dir] = spec.split("=", 2);
    if (!name || !dir || !/^[a-z0-9]+$/.test(name)) {
      args.fail(`${spec}: expected NAME=CHECKOUT (NAME in a-z0-9)`);
    }
    const abs = await Deno.realPath(dir);
    const { name: pkg, version: base, exports, exclude } = await readConfig(
      abs,
    );
    if (!pkg || !base) {
      return args.fail(`${abs}: deno.json has no name or version`);
    }
    const version = `${base}-${name}`;
    packages.set(pkg, [...packages.get(pkg) ?? [], {
      version,
      dir: abs,
      exports,
      exclude,
    }]);
    installs.push({
      name,
      spec: `jsr:${pkg}@${version}/cli`,
      flags: await runFlags(abs),
    });
  }
  await Deno.mkdir(out, { recursive: true });
  const server = serve(packages, std);
  try {
    for (const { name, spec, flags } of installs) {
      const root = join(await Deno.realPath(out), name);
      const env = {
        JSR_URL: `http://127.0.0.1:${server.addr.port}/`,
        DENO_DIR: join(root, "deno_dir"),
      };
      const result = await new Deno.Command(Deno.execPath(), {
        args: [
          "install",
          "-g",
          "-f",
          ...flags,
          "--root",
          root,
          "-n",
          "dreg",
          spec,
        ],
        cwd: out,
        env,
        stdout: "inherit",
        stderr: "inherit",
      }).output();
      if (!result.success) throw new Error(`deno install ${spec} failed`);
      await Deno.writeTextFile(
        join(root, "env.json"),
        JSON.stringify(env, null, 2) + "\n",
      );
      console.log(`${name}: ${root}/bin/dreg (${spec}; ${root}/env.json)`);
    }
  } finally {
    await server.shutdown();
  }
}

if (import.meta.main) await main();
