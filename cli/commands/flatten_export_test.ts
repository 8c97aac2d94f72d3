// `dreg flatten` and `dreg export`, run as a subprocess on OCI layouts:
// --json output, files and stdout, usage errors.

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { OciLayout } from "../../lib/layout/oci_layout.ts";
import {
  imageOf,
  readTree,
  run,
  tempDir,
  umociUnpack,
  whiteoutLayers,
} from "../../lib/build/testdata/images.ts";

const CLI = new URL("../../cli.ts", import.meta.url).pathname;

async function dreg(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    env: { NO_COLOR: "1", DOCKER_CONFIG: "/nonexistent" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    bytes: out.stdout,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

Deno.test("dreg flatten and dreg export: one layer, the same tree, to a file or stdout", async () => {
  await using dir = await tempDir();
  const layout = await OciLayout.open(`${dir.path}/oci`, { create: true });
  await imageOf(layout, await whiteoutLayers(dir.path), "1");
  await layout.close();
  const oci = `oci:${dir.path}/oci`;

  const flat = await dreg(["flatten", "--json", `${oci}:1`, `${oci}:flat`]);
  assertEquals(flat.code, 0, flat.stderr);
  const result = JSON.parse(flat.stdout);
  assertEquals(result.tag, "flat");
  assert(result.descriptor.digest.startsWith("sha256:"));
  assertEquals(
    await readTree(
      await umociUnpack(`${dir.path}/oci`, "flat", `${dir.path}/b`),
    ),
    await readTree(await umociUnpack(`${dir.path}/oci`, "1", `${dir.path}/a`)),
  );

  const toFile = await dreg(["export", `${oci}:1`, `${dir.path}/rootfs.tar`]);
  assertEquals(toFile.code, 0, toFile.stderr);
  assertStringIncludes(toFile.stdout, "Exported sha256:");
  const toStdout = await dreg(["export", `${oci}:flat`, "-"]);
  assertEquals(toStdout.code, 0, toStdout.stderr);
  // The flattened image's filesystem is the original's, byte for byte.
  assertEquals(toStdout.bytes, await Deno.readFile(`${dir.path}/rootfs.tar`));
  const names = await run("tar", ["-tf", `${dir.path}/rootfs.tar`]);
  assert(!names.includes(".wh."), names);
});

Deno.test("dreg export and flatten: usage errors exit 2, failures exit 1 leaving no file", async () => {
  await using dir = await tempDir();
  const json = await dreg(["export", "--json", `oci:${dir.path}/x:1`, "-"]);
  assertEquals(json.code, 2);
  assertStringIncludes(json.stderr, "--json needs a FILE");
  const all = await dreg(["export", "--platform", "all", "oci:x:1", "f.tar"]);
  assertEquals(all.code, 2);
  const bad = await dreg([
    "flatten",
    "--platform",
    "linux",
    "oci:x:1",
    "oci:y:1",
  ]);
  assertEquals(bad.code, 2);
  const level = await dreg([
    "flatten",
    "--compression-level",
    "0",
    "oci:x:1",
    "oci:y:1",
  ]);
  assertEquals(level.code, 2);
  await Deno.mkdir(`${dir.path}/empty`);
  const missing = await dreg([
    "export",
    `oci:${dir.path}/empty:nope`,
    `${dir.path}/out.tar`,
  ]);
  assertEquals(missing.code, 1, missing.stderr);
  const left = [];
  for await (const e of Deno.readDir(dir.path)) left.push(e.name);
  assertEquals(left, ["empty"]);
  const help = await dreg(["flatten", "--help"]);
  assertEquals(help.code, 0);
  assertStringIncludes(help.stdout, "Usage: dreg flatten [flags] SRC DST");
});
