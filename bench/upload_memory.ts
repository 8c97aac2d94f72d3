#!/usr/bin/env -S deno run -A
// Usage: deno run -A bench/upload_memory.ts [SIZE_MIB]
//
// Uploads a large file (1 GiB by default) to the real registry (Debian's
// docker-registry on 127.0.0.1, anonymous) with `blobUpload()` — monolithic
// with and without a known digest, chunked (8 MiB chunks), and as a stream of
// unknown digest — each in a child process run under `/usr/bin/time -v` for
// its peak RSS, next to a plain fetch POST + streaming PUT of the same file.

import { createHash } from "node:crypto";
import { startRegistry } from "../test_support/real_registry.ts";
import { numberOperand, parseBenchArgs, usageFromHeader } from "./_args.ts";

const CHILD = new URL("./_upload_child.ts", import.meta.url).pathname;

/** Writes `mib` MiB of random bytes (4 MiB at a time); returns the digest. */
async function makeFile(path: string, mib: number): Promise<string> {
  const block = new Uint8Array(4 * 1024 * 1024);
  for (let i = 0; i < block.length; i += 65536) {
    crypto.getRandomValues(block.subarray(i, i + 65536));
  }
  const hash = createHash("sha256");
  using file = await Deno.open(path, {
    write: true,
    create: true,
    truncate: true,
  });
  for (let written = 0; written < mib; written += 4) {
    block[0] = written & 0xff; // every block differs
    block[1] = (written >> 8) & 0xff;
    hash.update(block);
    let off = 0;
    while (off < block.length) off += await file.write(block.subarray(off));
  }
  return `sha256:${hash.digest("hex")}`;
}

async function runChild(args: string[]) {
  const out = await new Deno.Command("/usr/bin/time", {
    args: ["-v", Deno.execPath(), "run", "-A", CHILD, ...args],
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
    operands: 1,
  });
  const mib = numberOperand(args, 0, "SIZE_MIB", 1024, true);
  const dir = await Deno.makeTempDir({ prefix: "up-bench-" });
  await using reg = await startRegistry({ mode: "anonymous" });
  try {
    const path = `${dir}/blob`;
    const digest = await makeFile(path, mib);
    const ref = `${reg.host}/bench/big`;
    const report: Record<string, unknown> = { sizeMiB: mib };
    for (const kind of ["raw", "file", "filedigest", "chunked", "stream"]) {
      report[kind] = await runChild([kind, ref, path, digest]);
    }
    console.log(JSON.stringify(report, null, 2));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
