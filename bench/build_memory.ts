#!/usr/bin/env -S deno run -A
// Usage: deno run -A bench/build_memory.ts [FILES] [FILE_MIB]
//
// Pushes a directory of FILES × FILE_MIB MiB of random bytes (64 × 16 MiB =
// 1 GiB by default) as one layer with `pushLayer()`: into an OCI layout, and
// into the real registry (Debian's docker-registry on 127.0.0.1, anonymous).
// Each push runs in a child process under `/usr/bin/time -v` for its peak
// RSS, with the V8 flags the CLI runs with and with Deno's defaults. The
// layer's digest and diff_id must be the same in every run (reproducible).
// For scale, `tar -c | gzip -6 | sha256sum` of the same tree is timed too.
// The child, `_build_child.ts`, prints one JSON line.

import { startRegistry } from "../test_support/real_registry.ts";
import { fillRandom } from "../test_support/tar.ts";
import { numberOperand, parseBenchArgs, usageFromHeader } from "./_args.ts";

const CHILD = new URL("./_build_child.ts", import.meta.url).pathname;

/** `files` files of `mib` MiB of random bytes each. */
async function makeTree(dir: string, files: number, mib: number) {
  const block = new Uint8Array(1024 * 1024);
  for (let i = 0; i < files; i++) {
    using file = await Deno.open(`${dir}/f${String(i).padStart(3, "0")}`, {
      write: true,
      create: true,
    });
    for (let m = 0; m < mib; m++) {
      fillRandom(block);
      let off = 0;
      while (off < block.length) off += await file.write(block.subarray(off));
    }
  }
}

async function runChild(v8: string[], args: string[]) {
  const out = await new Deno.Command("/usr/bin/time", {
    args: ["-v", Deno.execPath(), "run", "-A", ...v8, CHILD, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  if (out.code !== 0) throw new Error(`child failed:\n${stderr}`);
  const rssKb = Number(
    /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)![1],
  );
  const result = JSON.parse(new TextDecoder().decode(out.stdout));
  return { ...result, peakRssMiB: +(rssKb / 1024).toFixed(1) };
}

if (import.meta.main) {
  const args = parseBenchArgs(Deno.args, {
    usage: usageFromHeader(import.meta.url, 1, 2),
    operands: 2,
  });
  const files = numberOperand(args, 0, "FILES", 64);
  const mib = numberOperand(args, 1, "FILE_MIB", 16, true);
  const root = await Deno.makeTempDir({ prefix: "build-bench-" });
  await using reg = await startRegistry({ mode: "anonymous" });
  try {
    const tree = `${root}/tree`;
    await Deno.mkdir(tree);
    await makeTree(tree, files, mib);
    const report: Record<string, unknown> = { files, fileMiB: mib };
    const flags = {
      cli: ["--v8-flags=--max-semi-space-size=2"],
      default: [] as string[],
    };
    for (const [name, v8] of Object.entries(flags)) {
      report[`layout (${name} V8 flags)`] = await runChild(v8, [
        "layout",
        tree,
        `${root}/oci-${name}`,
      ]);
      report[`registry (${name} V8 flags)`] = await runChild(v8, [
        "registry",
        tree,
        `${reg.host}/bench/layer-${name}`,
      ]);
    }
    const start = performance.now();
    await new Deno.Command("sh", {
      args: ["-c", `tar -cf - -C '${tree}' . | gzip -6 | sha256sum`],
      stdout: "null",
    }).output();
    const seconds = (performance.now() - start) / 1000;
    report["reference: tar | gzip -6 | sha256sum"] = {
      seconds: +seconds.toFixed(1),
      MiBps: +(files * mib / seconds).toFixed(0),
    };
    const digests = new Set(
      Object.values(report).flatMap((r) =>
        typeof r === "object" && r && "digest" in r
          ? [(r as { digest: string }).digest]
          : []
      ),
    );
    report.reproducible = digests.size === 1;
    console.log(JSON.stringify(report, null, 2));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}
