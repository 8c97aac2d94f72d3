// Runs smoke.mjs — the library as Node and Bun import it — under Node (24
// or later) and Bun, against a real open registry and a real one with basic
// auth. A runtime that is not installed is skipped, unless
// DREG_SMOKE_REQUIRE (`node,bun`) names it: `.ci/run` installs both and
// requires them. DREG_TEST_NODE and DREG_TEST_BUN choose the binaries
// (default: `node` and `bun` on PATH).

import { assertEquals } from "@std/assert";
import { encodeBase64 } from "@std/encoding/base64";
import { fromFileUrl } from "@std/path/from-file-url";
import { join } from "@std/path/posix/join";
import { pushImage } from "../../lib/image/push.ts";
import { startRegistry } from "../real_registry.ts";
import { makeRandomImage } from "../random_image.ts";
import { bundleLibrary } from "./bundle.ts";

const SMOKE = fromFileUrl(new URL("./smoke.mjs", import.meta.url));
const MIN_NODE_MAJOR = 24;

interface Runtime {
  name: "node" | "bun";
  bin?: string;
  version?: string;
  /** Why it is not used, when it is not. */
  missing?: string;
}

async function versionOf(bin: string): Promise<string | undefined> {
  try {
    const out = await new Deno.Command(bin, {
      args: ["--version"],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    return out.success
      ? new TextDecoder().decode(out.stdout).trim()
      : undefined;
  } catch {
    return undefined;
  }
}

async function findRuntime(name: "node" | "bun"): Promise<Runtime> {
  const bin =
    Deno.env.get(name === "node" ? "DREG_TEST_NODE" : "DREG_TEST_BUN") ??
      name;
  const version = await versionOf(bin);
  if (version === undefined) return { name, missing: `${bin} not found` };
  if (name === "node") {
    const major = Number(/^v(\d+)\./.exec(version)?.[1]);
    if (!(major >= MIN_NODE_MAJOR)) {
      return {
        name,
        missing:
          `${bin} is ${version}; the suite needs Node ${MIN_NODE_MAJOR}+ (set DREG_TEST_NODE)`,
      };
    }
  }
  return { name, bin, version };
}

const required = new Set(
  (Deno.env.get("DREG_SMOKE_REQUIRE") ?? "").split(",").map((s) => s.trim())
    .filter(Boolean),
);
const runtimes = await Promise.all([findRuntime("node"), findRuntime("bun")]);

Deno.test("the library under Node and Bun: tags, pull, push, credentials", async (t) => {
  const usable = runtimes.filter((r) =>
    r.bin !== undefined || required.has(r.name)
  );
  if (usable.length === 0) {
    // Nothing to run: say why instead of starting registries for nothing.
    for (const r of runtimes) {
      await t.step({ name: `${r.name} (${r.missing})`, ignore: true, fn() {} });
    }
    return;
  }
  await using open = await startRegistry({ mode: "anonymous" });
  await using basic = await startRegistry({ mode: "basic" });
  const work = await Deno.makeTempDir({ prefix: "runtimes-smoke-" });
  try {
    const bundle = await bundleLibrary(join(work, "bundle"));
    const seed = join(work, "seed");
    const digest = await makeRandomImage(seed, "v1", 2, 4096);
    await pushImage(`${seed}:v1`, `${open.url}/smoke/seed:v1`);
    const docker = join(work, "docker");
    await Deno.mkdir(docker);
    await Deno.writeTextFile(
      join(docker, "config.json"),
      JSON.stringify({
        auths: {
          [basic.host]: {
            auth: encodeBase64(`${basic.username}:${basic.password}`),
          },
        },
      }),
    );
    for (const runtime of runtimes) {
      const ignore = runtime.bin === undefined && !required.has(runtime.name);
      const label = runtime.bin === undefined
        ? `${runtime.name} (${runtime.missing})`
        : `${runtime.name} ${runtime.version?.split("\n")[0]}`;
      await t.step({
        name: label,
        ignore,
        fn: async () => {
          if (runtime.bin === undefined) {
            throw new Error(
              `${runtime.name} is required (DREG_SMOKE_REQUIRE) but ${runtime.missing}`,
            );
          }
          const dir = join(work, runtime.name);
          await Deno.mkdir(dir);
          const config = join(dir, "config.json");
          await Deno.writeTextFile(
            config,
            JSON.stringify({
              runtime: runtime.name,
              mod: bundle.mod,
              credentials: bundle.credentials,
              work: dir,
              open: { url: open.url, repo: "smoke/seed", tag: "v1", digest },
              basic: {
                url: basic.url,
                host: basic.host,
                username: basic.username,
                password: basic.password,
              },
            }),
          );
          const out = await new Deno.Command(runtime.bin, {
            args: [SMOKE, config],
            clearEnv: true,
            env: {
              PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
              HOME: dir,
              DOCKER_CONFIG: docker,
              XDG_RUNTIME_DIR: join(dir, "run"),
              XDG_CONFIG_HOME: join(dir, "config"),
            },
            stdin: "null",
            stdout: "piped",
            stderr: "piped",
          }).output();
          const dec = new TextDecoder();
          const text = dec.decode(out.stdout) + dec.decode(out.stderr);
          assertEquals(out.code, 0, text);
          assertEquals(/ 0 failed$/m.test(text), true, text);
        },
      });
    }
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});
