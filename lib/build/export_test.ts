import { assert, assertEquals, assertFalse, assertRejects } from "@std/assert";
import { OciLayout } from "../layout/oci_layout.ts";
import { MemoryStore } from "../content/memory_store.ts";
import { digestOf } from "../ref/digest.ts";
import { MEDIA_TYPE } from "../ref/media_types.ts";
import { UnsafeTarEntryError } from "../errors.ts";
import { encodeHeader } from "../tar/header.ts";
import { exportFilesystem } from "./export.ts";
import { pushTarLayer } from "./layer.ts";
import {
  imageOf,
  readTree,
  run,
  tempDir,
  umociUnpack,
  whiteoutLayers,
} from "./testdata/images.ts";

Deno.test("exportFilesystem() gives the file tree umoci unpacks: whiteouts, opaque dirs, replaced paths, hard links", async () => {
  await using dir = await tempDir();
  const layers = await whiteoutLayers(dir.path);
  const layout = await OciLayout.open(`${dir.path}/oci`, { create: true });
  await imageOf(layout, layers, "1");
  await layout.close();
  const rootfs = await umociUnpack(
    `${dir.path}/oci`,
    "1",
    `${dir.path}/bundle`,
  );
  const expected = await readTree(rootfs);
  // What the layers make of it, as umoci sees it.
  assertFalse("gone.txt" in expected);
  assertFalse("dir/a" in expected);
  assertFalse("olddir" in expected);
  assertEquals(expected["lib"].type, "symlink");
  assertEquals(expected["etc/hosts"].type, "dir");
  assertEquals(expected["bin/sh"].mode, "4755");

  const source = await OciLayout.open(`${dir.path}/oci`);
  const tar = await new Response(
    await exportFilesystem(source, { reference: "1" }),
  ).bytes();
  await Deno.writeFile(`${dir.path}/rootfs.tar`, tar);
  const names = await run("tar", ["-tf", `${dir.path}/rootfs.tar`]);
  assertFalse(names.includes(".wh."), names);
  const out = `${dir.path}/out`;
  await Deno.mkdir(out);
  await run("tar", ["-xpf", `${dir.path}/rootfs.tar`, "-C", out]);
  assertEquals(await readTree(out), expected);
  // The hard link whose target was replaced holds the original content.
  assertEquals(
    await Deno.readTextFile(`${out}/hid/b-link`),
    "original content",
  );
  // The one whose target stayed is still a link.
  assertEquals(
    (await Deno.lstat(`${out}/keep/two`)).ino,
    (await Deno.lstat(`${out}/keep/one`)).ino,
  );
});

Deno.test("exportFilesystem() chooses a platform of an index, and asks for one when there are several", async () => {
  await using dir = await tempDir();
  const layers = await whiteoutLayers(dir.path);
  const store = new MemoryStore();
  const amd = await imageOf(store, layers.slice(0, 1), "amd");
  const arm = await imageOf(store, layers.slice(0, 2), "arm", {
    architecture: "arm64",
  });
  const index = new TextEncoder().encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.OCI_INDEX,
    manifests: [
      { ...amd, platform: { os: "linux", architecture: "amd64" } },
      { ...arm, platform: { os: "linux", architecture: "arm64" } },
    ],
  }));
  await store.push(
    {
      mediaType: MEDIA_TYPE.OCI_INDEX,
      digest: digestOf(index),
      size: index.byteLength,
    },
    index,
    { tag: "multi" },
  );
  await assertRejects(
    () => exportFilesystem(store, { reference: "multi" }),
    TypeError,
    "linux/amd64, linux/arm64",
  );
  const tar = await new Response(
    await exportFilesystem(store, {
      reference: "multi",
      platform: "linux/arm64",
    }),
  ).bytes();
  const names = await run("tar", ["-t"], { stdin: tar });
  assert(names.includes("usr/lib/z.so"), names);
});

Deno.test("exportFilesystem() refuses a layer with an entry that goes through its own symlink", async () => {
  const store = new MemoryStore();
  const tar = new Uint8Array(3 * 512 + 1024);
  tar.set(encodeHeader({ name: "x", typeflag: "2", linkname: "/etc" }), 0);
  tar.set(encodeHeader({ name: "x/cron", typeflag: "5" }), 512);
  // Built without the check, as another tool might have written it.
  const layer = await pushTarLayer(store, new Blob([tar]).stream()).catch(
    (err) => err,
  );
  assert(layer instanceof UnsafeTarEntryError, "pushTarLayer checks too");
  const blob = new Uint8Array(tar);
  const descriptor = {
    mediaType: MEDIA_TYPE.OCI_LAYER,
    digest: digestOf(blob),
    size: blob.byteLength,
  };
  await store.push(descriptor, blob);
  const config = new TextEncoder().encode(JSON.stringify({
    architecture: "amd64",
    os: "linux",
    rootfs: { type: "layers", diff_ids: [descriptor.digest] },
  }));
  const configDescriptor = {
    mediaType: MEDIA_TYPE.OCI_CONFIG,
    digest: digestOf(config),
    size: config.byteLength,
  };
  await store.push(configDescriptor, config);
  const manifest = new TextEncoder().encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.OCI_MANIFEST,
    config: configDescriptor,
    layers: [descriptor],
  }));
  await store.push(
    {
      mediaType: MEDIA_TYPE.OCI_MANIFEST,
      digest: digestOf(manifest),
      size: manifest.byteLength,
    },
    manifest,
    { tag: "evil" },
  );
  const err = await assertRejects(
    async () =>
      await new Response(await exportFilesystem(store, { reference: "evil" }))
        .bytes(),
    UnsafeTarEntryError,
  );
  assertEquals(err.entry, "x/cron");
});
