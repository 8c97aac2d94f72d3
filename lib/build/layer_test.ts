import {
  assert,
  assertEquals,
  assertNotEquals,
  assertRejects,
} from "@std/assert";
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { MemoryStore } from "../content/memory_store.ts";
import { OciLayout } from "../layout/oci_layout.ts";
import { UnsafeTarEntryError } from "../errors.ts";
import { encodeHeader } from "../tar/header.ts";
import { pushLayer, pushTarLayer } from "./layer.ts";
import {
  imageOf,
  readTree,
  run,
  tempDir,
  umociUnpack,
  writeFiles,
} from "./testdata/images.ts";

const sha256 = (bytes: Uint8Array) =>
  `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

/** The files every layer test builds: modes, links, long names, nesting. */
const FILES = {
  "etc/passwd": "root:x:0:0::/root:/bin/sh\n",
  "bin/tool": { mode: 0o4755, content: "#!/bin/sh\necho setuid\n" },
  "bin/alias": { link: "tool" },
  "bin/abs": { link: "/etc/passwd" },
  "tmp/": { mode: 0o1777, content: "" },
  "private/": { mode: 0o700, content: "" },
  "private/key": { mode: 0o600, content: "secret" },
  [`deep/${"d".repeat(90)}/${"f".repeat(120)}.txt`]: "long name",
  "long-link": { link: `../${"t".repeat(150)}` },
  "a.txt": "a-dot", // sorts between "a" and "a/…" bytewise
  "a/b": "nested",
  "empty/": "",
  "ünïcode/日本.txt": "utf-8 names",
} as const;

/** The bytes of a layer blob from a store. */
async function blobOf(store: MemoryStore, digest: string, size: number) {
  return await new Response(
    await store.fetch({ mediaType: "x", digest, size }),
  ).bytes();
}

Deno.test("pushLayer() gives the same digest for the same files, whatever their mtimes, owners and creation order", async () => {
  await using dir = await tempDir();
  const one = `${dir.path}/one`;
  const two = `${dir.path}/two`;
  await writeFiles(one, FILES);
  // The same files, created in the opposite order, with other times and owners.
  const entries = Object.entries(FILES).reverse();
  await writeFiles(two, Object.fromEntries(entries));
  for (const [path, value] of entries) {
    const abs = `${two}/${path}`;
    if (typeof value === "object" && "link" in value) continue;
    await Deno.utime(abs, 1_234_567_890, 987_654_321);
    await Deno.chown(abs, 4321, 8765).catch(() => {}); // needs root
    // chown clears setuid: set the mode again.
    if (typeof value === "object" && "mode" in value) {
      await Deno.chmod(abs, value.mode);
    }
  }
  // Hard links: same inode twice in both trees.
  await Deno.link(`${one}/etc/passwd`, `${one}/etc/passwd-`);
  await Deno.link(`${two}/etc/passwd`, `${two}/etc/passwd-`);
  const store = new MemoryStore();
  const a = await pushLayer(store, one);
  const b = await pushLayer(store, two);
  assertEquals(b, a);
  // The gzip header has no name and no time.
  const blob = await blobOf(store, a.descriptor.digest, a.descriptor.size);
  assertEquals([...blob.subarray(0, 8)], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0]);
  assertEquals(sha256(gunzipSync(blob)), a.diffId);
  assertEquals(sha256(blob), a.descriptor.digest);
  // What is asked for changes it: a time, kept owners.
  const timed = await pushLayer(store, one, { mtime: 1_700_000_000 });
  assertNotEquals(timed.diffId, a.diffId);
  const owned = await pushLayer(store, two, { keepOwners: true });
  if (Deno.uid() === 0) assertNotEquals(owned.diffId, a.diffId);
});

Deno.test({
  name: "pushLayer() keeps owners (ids and names) only when asked",
  ignore: Deno.uid() !== 0,
  async fn() {
    await using dir = await tempDir();
    await writeFiles(dir.path, { "mine": "x", "theirs": "y" });
    await Deno.chown(`${dir.path}/theirs`, 4321, 8765);
    const store = new MemoryStore();
    const list = async (keepOwners: boolean) => {
      const l = await pushLayer(store, dir.path, { keepOwners });
      const blob = await blobOf(store, l.descriptor.digest, l.descriptor.size);
      return (await run("tar", ["-tvz"], { stdin: blob })).split("\n")
        .filter((line) => line).map((line) => line.split(/\s+/)[1]);
    };
    assertEquals(await list(true), ["root/root", "4321/8765"]);
    assertEquals(await list(false), ["0/0", "0/0"]);
  },
});

Deno.test("pushLayer() takes SOURCE_DATE_EPOCH as the time of every entry", async () => {
  await using dir = await tempDir();
  await writeFiles(dir.path, { "f": "x" });
  const store = new MemoryStore();
  const before = Deno.env.get("SOURCE_DATE_EPOCH");
  Deno.env.set("SOURCE_DATE_EPOCH", "1700000000");
  try {
    const fromEnv = await pushLayer(store, dir.path);
    const given = await pushLayer(store, dir.path, { mtime: 1_700_000_000 });
    assertEquals(fromEnv, given);
    const blob = await blobOf(
      store,
      fromEnv.descriptor.digest,
      fromEnv.descriptor.size,
    );
    const listing = await run("tar", ["--utc", "-tvz"], { stdin: blob });
    assert(listing.includes("2023-11-14 22:13"), listing);
  } finally {
    if (before === undefined) Deno.env.delete("SOURCE_DATE_EPOCH");
    else Deno.env.set("SOURCE_DATE_EPOCH", before);
  }
});

Deno.test("pushLayer() writes a tar GNU tar unpacks: sorted entries, modes, owners 0, links, long names", async () => {
  await using dir = await tempDir();
  const src = `${dir.path}/src`;
  await writeFiles(src, FILES);
  await Deno.link(`${src}/a/b`, `${src}/a/hard`);
  const store = new MemoryStore();
  const layer = await pushLayer(store, src);
  const blob = await blobOf(
    store,
    layer.descriptor.digest,
    layer.descriptor.size,
  );
  const names = (await run("tar", ["-tz"], { stdin: blob })).trim().split("\n");
  const sorted = [...names].sort((x, y) =>
    Buffer.compare(
      new TextEncoder().encode(x.replace(/\/$/, "")),
      new TextEncoder().encode(y.replace(/\/$/, "")),
    )
  );
  assertEquals(names, sorted);
  // Bytewise: "a" < "a.txt" < "a/b" ("." is 0x2e, "/" is 0x2f).
  assertEquals(names.slice(0, 4), ["a/", "a.txt", "a/b", "a/hard"]);
  const listing = await run("tar", ["-tvz", "--numeric-owner"], {
    stdin: blob,
  });
  for (const line of listing.trim().split("\n")) {
    assert(/ 0\/0 /.test(line), `owner 0/0: ${line}`);
    assert(line.includes("1970-01-01"), `mtime 0: ${line}`);
  }
  assert(listing.includes("a/hard link to a/b"), listing);
  const out = `${dir.path}/out`;
  await Deno.mkdir(out);
  await run("tar", ["-xzpf", "-", "-C", out], { stdin: blob });
  assertEquals(await readTree(out), await readTree(src));
  assertEquals(
    (await Deno.lstat(`${out}/a/hard`)).ino,
    (await Deno.lstat(`${out}/a/b`)).ino,
  );
});

Deno.test("pushLayer() layers unpack with umoci: files, modes, contents and symlinks", async () => {
  await using dir = await tempDir();
  const src = `${dir.path}/src`;
  await writeFiles(src, FILES);
  const layout = await OciLayout.open(`${dir.path}/oci`, { create: true });
  await imageOf(layout, [src], "1");
  await layout.close();
  const rootfs = await umociUnpack(
    `${dir.path}/oci`,
    "1",
    `${dir.path}/bundle`,
  );
  assertEquals(await readTree(rootfs), await readTree(src));
});

Deno.test("pushLayer() puts a single file or a directory under a prefix", async () => {
  await using dir = await tempDir();
  await writeFiles(dir.path, {
    "site/index.html": "<p>hi</p>",
    "one.txt": "1",
  });
  const store = new MemoryStore();
  const tree = await pushLayer(store, `${dir.path}/site`, {
    prefix: "srv/www/",
  });
  const file = await pushLayer(store, `${dir.path}/one.txt`, { prefix: "opt" });
  const list = async (l: typeof tree) =>
    (await run("tar", ["-tz"], {
      stdin: await blobOf(store, l.descriptor.digest, l.descriptor.size),
    })).trim().split("\n");
  assertEquals(await list(tree), ["srv/", "srv/www/", "srv/www/index.html"]);
  assertEquals(await list(file), ["opt/", "opt/one.txt"]);
  await assertRejects(
    () => pushLayer(store, dir.path, { prefix: "../x" }),
    RangeError,
  );
});

Deno.test("pushLayer() takes a .tar as it is (gzip'ed) and a .tar.gz as it is (diff_id while it streams)", async () => {
  await using dir = await tempDir();
  await writeFiles(`${dir.path}/src`, FILES);
  await run("tar", [
    "--format=pax",
    "-cf",
    `${dir.path}/l.tar`,
    "-C",
    `${dir.path}/src`,
    ".",
  ]);
  await run("tar", [
    "--format=gnu",
    "-czf",
    `${dir.path}/l.tgz`,
    "-C",
    `${dir.path}/src`,
    ".",
  ]);
  const store = new MemoryStore();
  const tar = await Deno.readFile(`${dir.path}/l.tar`);
  const fromTar = await pushLayer(store, `${dir.path}/l.tar`);
  assertEquals(fromTar.diffId, sha256(tar));
  const blob = await blobOf(
    store,
    fromTar.descriptor.digest,
    fromTar.descriptor.size,
  );
  assertEquals(new Uint8Array(gunzipSync(blob)), tar);
  const tgz = await Deno.readFile(`${dir.path}/l.tgz`);
  const fromTgz = await pushLayer(store, `${dir.path}/l.tgz`);
  assertEquals(fromTgz.descriptor.digest, sha256(tgz));
  assertEquals(fromTgz.descriptor.size, tgz.byteLength);
  assertEquals(fromTgz.diffId, sha256(gunzipSync(tgz)));
  // A stream of an uncompressed tar.
  const fromStream = await pushTarLayer(store, new Blob([tar]).stream());
  assertEquals(fromStream, fromTar);
});

Deno.test("pushLayer() refuses a tar with an entry that leaves the root, and keeps nothing of it", async () => {
  await using dir = await tempDir();
  const evil = new Uint8Array(4096);
  evil.set(encodeHeader({ name: "ok", typeflag: "5" }), 0);
  evil.set(encodeHeader({ name: "../../etc/cron.d/x", typeflag: "0" }), 512);
  await Deno.writeFile(`${dir.path}/evil.tar`, evil);
  await Deno.writeFile(
    `${dir.path}/evil.tar.gz`,
    (await import("node:zlib")).gzipSync(evil),
  );
  const layout = await OciLayout.open(`${dir.path}/oci`, { create: true });
  for (const name of ["evil.tar", "evil.tar.gz"]) {
    const err = await assertRejects(
      () => pushLayer(layout, `${dir.path}/${name}`),
      UnsafeTarEntryError,
    );
    assertEquals(err.entry, "../../etc/cron.d/x");
  }
  await layout.close();
  const blobs: string[] = [];
  try {
    for await (const e of Deno.readDir(`${dir.path}/oci/blobs/sha256`)) {
      blobs.push(e.name);
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  assertEquals(blobs, []);
});

Deno.test("pushLayer() stops when aborted and leaves nothing in a layout", async () => {
  await using dir = await tempDir();
  const big = new Uint8Array(8 * 1024 * 1024);
  for (let i = 0; i < big.length; i += 65536) {
    crypto.getRandomValues(big.subarray(i, i + 65536));
  }
  await Deno.mkdir(`${dir.path}/src`);
  await Deno.writeFile(`${dir.path}/src/big`, big);
  const layout = await OciLayout.open(`${dir.path}/oci`, { create: true });
  const controller = new AbortController();
  const reason = new Error("stop");
  await assertRejects(
    () =>
      pushLayer(layout, `${dir.path}/src`, {
        signal: controller.signal,
        onBytes: () => controller.abort(reason),
      }),
    Error,
    "stop",
  );
  await layout.close();
  const left: string[] = [];
  for await (const e of Deno.readDir(`${dir.path}/oci`)) left.push(e.name);
  if (left.includes("blobs")) {
    for await (const e of Deno.readDir(`${dir.path}/oci/blobs/sha256`)) {
      left.push(e.name);
    }
  }
  // The layout itself (oci-layout, an empty index.json), no blob.
  assertEquals(
    left.filter((n) => !["blobs", "oci-layout", "index.json"].includes(n)),
    [],
  );
});
