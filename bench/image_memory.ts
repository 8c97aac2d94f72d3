#!/usr/bin/env -S deno run -A
// Usage: deno run -A bench/image_memory.ts [LAYER_MIB] [LAYERS]
//
// Pull, push and copy of an image of 4 × 64 MiB random (incompressible)
// layers against real registries (Debian's docker-registry on 127.0.0.1,
// anonymous), each run by the command-line tool (`cli.ts … --json`) in a
// child process under `/usr/bin/time -v` for its peak RSS. Asserts that
// every run peaks under 100 MB and ran blobs concurrently (the result's
// `maxBlobsActive` > 1); prints a JSON report; exits 1 when an assertion
// fails.
//
//   push  OCI layout on disk → registry A
//   pull  registry A → a fresh OCI layout on disk
//   copy  registry A → registry B (streamed, nothing on disk)

import { startRegistry } from "../test_support/real_registry.ts";
import { makeRandomImage } from "../test_support/random_image.ts";
import { CLI_RUN_FLAGS } from "../cli/run_flags.ts";
import { numberOperand, parseBenchArgs, usageFromHeader } from "./_args.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;
const LIMIT_BYTES = 100 * 1000 * 1000;

interface Run {
  op: string;
  peakRssMiB: number;
  seconds: number;
  MBps: number;
  maxBlobsActive: number;
  blobsCopied: number;
  bytesTransferred: number;
}

async function timeBinary(): Promise<string> {
  try {
    await Deno.stat("/usr/bin/time");
    return "/usr/bin/time";
  } catch {
    throw new Error(
      "/usr/bin/time is missing: install it (apt-get install -y time)",
    );
  }
}

async function runCli(op: string, args: string[]): Promise<Run> {
  const time = await timeBinary();
  const out = await new Deno.Command(time, {
    args: [
      "-v",
      Deno.execPath(),
      "run",
      ...CLI_RUN_FLAGS,
      CLI,
      op,
      "--json",
      ...args,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  if (out.code !== 0) throw new Error(`${op} failed:\n${stderr}`);
  const rssKb = Number(
    /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)![1],
  );
  const result = JSON.parse(new TextDecoder().decode(out.stdout));
  return {
    op,
    peakRssMiB: +(rssKb / 1024).toFixed(1),
    seconds: result.seconds,
    MBps: +(result.bytesTransferred / 1e6 / result.seconds).toFixed(0),
    maxBlobsActive: result.maxBlobsActive,
    blobsCopied: result.blobsCopied,
    bytesTransferred: result.bytesTransferred,
  };
}

if (import.meta.main) {
  const args = parseBenchArgs(Deno.args, {
    usage: usageFromHeader(import.meta.url, 1, 2),
    operands: 2,
  });
  const layerMiB = numberOperand(args, 0, "LAYER_MIB", 64, true);
  const layers = numberOperand(args, 1, "LAYERS", 4);
  const dir = await Deno.makeTempDir({ prefix: "image-bench-" });
  await using a = await startRegistry({ mode: "anonymous" });
  await using b = await startRegistry({ mode: "anonymous" });
  try {
    await makeRandomImage(`${dir}/src`, "v1", layers, layerMiB * 1024 * 1024);
    const runs = [
      await runCli("push", [`${dir}/src:v1`, `${a.url}/bench/img:v1`]),
      await runCli("pull", [`${a.url}/bench/img:v1`, `${dir}/pulled`]),
      await runCli("copy", [
        `${a.url}/bench/img:v1`,
        `${b.url}/bench/img:v1`,
      ]),
    ];
    const failures: string[] = [];
    for (const r of runs) {
      if (r.peakRssMiB * 1024 * 1024 >= LIMIT_BYTES) {
        failures.push(`${r.op}: peak RSS ${r.peakRssMiB} MiB is not < 100 MB`);
      }
      if (r.maxBlobsActive < 2) {
        failures.push(
          `${r.op}: blobs did not overlap (max ${r.maxBlobsActive})`,
        );
      }
      if (r.bytesTransferred < layers * layerMiB * 1024 * 1024) {
        failures.push(`${r.op}: transferred only ${r.bytesTransferred} bytes`);
      }
    }
    console.log(JSON.stringify(
      { image: `${layers} × ${layerMiB} MiB`, limit: "100 MB", runs, failures },
      null,
      2,
    ));
    if (failures.length) Deno.exitCode = 1;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
