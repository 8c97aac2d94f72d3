#!/usr/bin/env -S deno run -A
// Usage: deno run -A bench/download_memory.ts [SIZE_MIB]
//
// Downloads a large blob (1 GiB by default) from the real registry (Debian's
// docker-registry on 127.0.0.1, anonymous) with `downloadBlob()` and with
// `createBlobReadStream()` drained in memory, each in a child process run
// under `/usr/bin/time -v` for its peak RSS, and compares the verifying
// download's throughput with a plain fetch of the same blob, with and
// without a plain node:crypto hash of the bytes.

import { createHash } from "node:crypto";
import { startRegistry } from "../test_support/real_registry.ts";
import { numberOperand, parseBenchArgs, usageFromHeader } from "./_args.ts";

const CHILD = new URL("./_download_child.ts", import.meta.url).pathname;

async function makeBlob(path: string, mib: number): Promise<string> {
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

async function pushBlob(
  url: string,
  repo: string,
  path: string,
  digest: string,
) {
  const post = await fetch(`${url}/v2/${repo}/blobs/uploads/`, {
    method: "POST",
  });
  await post.body?.cancel();
  const location = new URL(post.headers.get("location")!, url);
  location.searchParams.set("digest", digest);
  const file = await Deno.open(path);
  const put = await fetch(location, {
    method: "PUT",
    headers: { "content-type": "application/octet-stream" },
    body: file.readable,
  });
  await put.body?.cancel();
  if (put.status !== 201) throw new Error(`push failed: ${put.status}`);
}

/** Plain node:crypto hashing of `mib` MiB in 64 KiB chunks: MB/s. */
function plainHashRate(mib: number): number {
  const chunk = new Uint8Array(65536);
  crypto.getRandomValues(chunk);
  const hash = createHash("sha256");
  const start = performance.now();
  for (let i = 0; i < mib * 16; i++) hash.update(chunk);
  hash.digest("hex");
  return (mib * 1.048576) / ((performance.now() - start) / 1000);
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
  const dir = await Deno.makeTempDir({ prefix: "dl-bench-" });
  await using reg = await startRegistry({ mode: "anonymous" });
  try {
    const src = `${dir}/blob`;
    const digest = await makeBlob(src, mib);
    await pushBlob(reg.url, "bench/big", src, digest);
    await Deno.remove(src);
    const ref = `${reg.host}/bench/big`;
    const plain = plainHashRate(mib);
    const toFile = await runChild(["file", ref, digest, `${dir}/out`]);
    await Deno.remove(`${dir}/out`);
    const toMemory = await runChild(["stream", ref, digest]);
    const toMemoryDefault = await runChild(["streamdefault", ref, digest]);
    const raw = await runChild(["raw", ref, digest]);
    const rawHash = await runChild(["rawhash", ref, digest]);
    const report = {
      sizeMiB: mib,
      plainHashMBps: +plain.toFixed(0),
      downloadBlob: toFile,
      createBlobReadStreamByob: toMemory,
      createBlobReadStreamDefaultReader: toMemoryDefault,
      rawFetchNoHash: raw,
      rawFetchPlainHash: rawHash,
    };
    console.log(JSON.stringify(report, null, 2));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
