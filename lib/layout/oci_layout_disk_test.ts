// OciLayout on a hostile or shared disk: writers in several instances (and
// processes) at once, stale temporary files and locks, blobs that rot, paths
// that are symlinks, a full disk.

import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
} from "@std/assert";
import { digestOf } from "../ref/digest.ts";
import { MEDIA_TYPE } from "../ref/media_types.ts";
import { StoreError } from "../errors.ts";
import { OciArchive } from "../archive/oci_archive.ts";
import {
  OciLayout,
  OciLayoutError,
  removeStaleLayoutFiles,
} from "./oci_layout.ts";
import { PROCESS_START_MS } from "./_stale.ts";

const enc = new TextEncoder();

async function withTempDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "oci-layout-disk-test-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function names(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

function manifestOf(n: number) {
  const bytes = enc.encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.OCI_MANIFEST,
    config: {
      mediaType: MEDIA_TYPE.OCI_EMPTY,
      digest: digestOf("{}"),
      size: 2,
    },
    layers: [],
    annotations: { n: String(n) },
  }));
  return {
    bytes,
    descriptor: {
      mediaType: MEDIA_TYPE.OCI_MANIFEST,
      digest: digestOf(bytes),
      size: bytes.byteLength,
    },
  };
}

/** The pid of a process that has ended (so no process has it, for now). */
async function deadPid(): Promise<number> {
  const child = new Deno.Command("true").spawn();
  await child.status;
  return child.pid;
}

Deno.test("OciLayout: writers in separate instances creating one layout at once lose no tag", async () => {
  await withTempDir(async (root) => {
    for (let run = 0; run < 5; run++) {
      const dir = `${root}/layout-${run}`;
      const writers = 8;
      await Promise.all(
        Array.from({ length: writers }, async (_, i) => {
          const layout = await OciLayout.open(dir, {
            create: i % 2 ? "on-write" : true,
          });
          const { bytes, descriptor } = manifestOf(i);
          await layout.push(descriptor, bytes, { tag: `t${i}` });
        }),
      );
      const tags = await (await OciLayout.open(dir)).listTags();
      assertEquals(
        tags.sort(),
        Array.from({ length: writers }, (_, i) => `t${i}`).sort(),
      );
      assertEquals(names(dir), ["blobs", "index.json", "oci-layout"]);
    }
  });
});

Deno.test("OciLayout.open() with create removes the temporary files of writers that are gone", async () => {
  await withTempDir(async (dir) => {
    await OciLayout.open(dir, { create: true });
    const dead = await deadPid();
    const start = (Date.now() - 60_000).toString(36);
    const mine = PROCESS_START_MS.toString(36);
    const files = {
      dead: `.tmp-${dead}-${start}-0123abcd-blob`,
      // This process's own, being written: kept.
      live: `.tmp-${Deno.pid}-${mine}-0123abcd-blob`,
      // This pid, but an earlier process (another start time): stale.
      reused: `.tmp-${Deno.pid}-${start}-0123abcd-blob`,
      // The old naming, without an owner: kept for a day.
      oldRecent: `.tmp-blob-0b5d4d5e-3c8e-4d53-9a5e-6c0f1d2e3f40`,
      oldStale: `.tmp-blob-1b5d4d5e-3c8e-4d53-9a5e-6c0f1d2e3f40`,
    };
    for (const name of Object.values(files)) {
      await Deno.writeFile(`${dir}/${name}`, new Uint8Array(1000));
    }
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
    await Deno.utime(`${dir}/${files.oldStale}`, twoDaysAgo, twoDaysAgo);
    // A lock on index.json held by a process that is gone.
    await Deno.writeTextFile(
      `${dir}/index.json.lock`,
      JSON.stringify({
        pid: dead,
        start: Date.now() - 60_000,
        host: Deno.hostname(),
        time: Date.now(),
        nonce: "z",
      }),
    );
    await OciLayout.open(dir, { create: "on-write" });
    assertEquals(
      names(dir),
      ["blobs", "index.json", "oci-layout", files.live, files.oldRecent].sort(),
    );
    // The same, by hand, reports what it removed.
    await Deno.writeFile(`${dir}/${files.dead}`, new Uint8Array(10));
    const removed = await removeStaleLayoutFiles(dir);
    assertEquals(removed, { paths: [`${dir}/${files.dead}`], bytes: 10 });
    // Opened for reading only: nothing is removed.
    await Deno.writeFile(`${dir}/${files.dead}`, new Uint8Array(10));
    await OciLayout.open(dir);
    assert(names(dir).includes(files.dead));
  });
});

Deno.test("OciLayout.setTag() waits for a live lock and breaks a stale one", async (t) => {
  await withTempDir(async (dir) => {
    const layout = await OciLayout.open(dir, { create: true });
    const { bytes, descriptor } = manifestOf(1);
    await layout.writeBlob(bytes);
    const lock = `${dir}/index.json.lock`;
    await t.step("a lock of a process that is gone is broken", async () => {
      await Deno.writeTextFile(
        lock,
        JSON.stringify({
          pid: await deadPid(),
          start: Date.now(),
          host: Deno.hostname(),
          time: Date.now(),
          nonce: "x",
        }),
      );
      await layout.setTag("a", descriptor);
      assertEquals(await layout.listTags(), ["a"]);
      assertEquals(names(dir), ["blobs", "index.json", "oci-layout"]);
    });
    await t.step("a lock older than 30 s is broken", async () => {
      await Deno.writeTextFile(lock, "");
      const old = new Date(Date.now() - 60_000);
      await Deno.utime(lock, old, old);
      await layout.setTag("b", descriptor);
      assertEquals(await layout.listTags(), ["a", "b"]);
    });
    await t.step("a live holder is waited for", async () => {
      await Deno.writeTextFile(
        lock,
        JSON.stringify({
          pid: Deno.pid,
          start: PROCESS_START_MS,
          host: Deno.hostname(),
          time: Date.now(),
          nonce: "y",
        }),
      );
      let done = false;
      const tagging = layout.setTag("c", descriptor).then(() => done = true);
      await new Promise((r) => setTimeout(r, 300));
      assertEquals(done, false);
      assertEquals(await layout.listTags(), ["a", "b"]);
      await Deno.remove(lock);
      await tagging;
      assertEquals(await layout.listTags(), ["a", "b", "c"]);
    });
  });
});

Deno.test("OciLayout hashes a blob already there before relying on it", async (t) => {
  await withTempDir(async (dir) => {
    const content = enc.encode("layer content ".repeat(1000));
    const digest = digestOf(content);
    const desc = {
      mediaType: MEDIA_TYPE.OCI_LAYER,
      digest,
      size: content.length,
    };
    const first = await OciLayout.open(dir, { create: true });
    const { path } = await first.writeBlob(content);
    // Corrupted on disk, same size.
    const rotten = content.slice();
    rotten[10] ^= 0xff;
    await Deno.writeFile(path, rotten);
    await t.step(
      "a new instance finds it corrupt and writes it again",
      async () => {
        const layout = await OciLayout.open(dir, { create: true });
        assertEquals(await layout.exists(desc), false);
        assertEquals(await layout.push(desc, content), "copied");
        assertEquals(await Deno.readFile(path), content);
        assertEquals(await layout.exists(desc), true);
      },
    );
    await t.step("verifyExisting: false trusts name and size", async () => {
      await Deno.writeFile(path, rotten);
      const layout = await OciLayout.open(dir, { verifyExisting: false });
      assertEquals(await layout.exists(desc), true);
      assertEquals(await layout.push(desc, content), "exists");
      assertEquals(await Deno.readFile(path), rotten);
    });
    await t.step("a sound blob is hashed once per instance", async () => {
      await Deno.writeFile(path, content);
      const layout = await OciLayout.open(dir);
      assertEquals(await layout.hasBlob(digest), true);
      // Rotting after it was checked goes unseen by this instance...
      await Deno.writeFile(path, rotten);
      assertEquals(await layout.hasBlob(digest), true);
      // ...but not by the next one.
      assertEquals(await (await OciLayout.open(dir)).hasBlob(digest), false);
    });
  });
});

Deno.test("OciLayout refuses symlinks inside the layout (UNSAFE_PATH)", async (t) => {
  await withTempDir(async (root) => {
    const content = enc.encode("secret");
    const digest = digestOf(content);
    const hex = digest.slice(7);
    const outside = `${root}/outside`;
    await Deno.mkdir(`${outside}/sha256`, { recursive: true });
    const unsafe = (err: OciLayoutError, what: string) => {
      assertEquals(err.code, "UNSAFE_PATH");
      assertStringIncludes(err.message, what);
      assertStringIncludes(err.message, "symbolic link");
    };
    await t.step(
      "blobs/ is a symlink: nothing is written through it",
      async () => {
        const dir = `${root}/a`;
        await OciLayout.open(dir, { create: true });
        await Deno.remove(`${dir}/blobs`, { recursive: true });
        await Deno.symlink(outside, `${dir}/blobs`);
        const layout = await OciLayout.open(dir, { create: true }).catch((e) =>
          e
        );
        unsafe(layout, `${dir}/blobs`);
        // Opened before the link appeared: each use checks.
        await Deno.remove(`${dir}/blobs`);
        await Deno.mkdir(`${dir}/blobs/sha256`, { recursive: true });
        const opened = await OciLayout.open(dir, { create: true });
        await Deno.remove(`${dir}/blobs`, { recursive: true });
        await Deno.symlink(outside, `${dir}/blobs`);
        unsafe(
          await assertRejects(() => opened.writeBlob(content), OciLayoutError),
          `${dir}/blobs`,
        );
        unsafe(
          await assertRejects(() => opened.hasBlob(digest), OciLayoutError),
          `${dir}/blobs`,
        );
        unsafe(
          await assertRejects(() => opened.readBlob(digest), OciLayoutError),
          `${dir}/blobs`,
        );
        assertEquals(names(`${outside}/sha256`), []);
        assertEquals(names(dir).filter((n) => n.startsWith(".tmp-")), []);
      },
    );
    await t.step("blobs/sha256 is a symlink", async () => {
      const dir = `${root}/b`;
      const layout = await OciLayout.open(dir, { create: true });
      await Deno.remove(`${dir}/blobs/sha256`);
      await Deno.symlink(`${outside}/sha256`, `${dir}/blobs/sha256`);
      unsafe(
        await assertRejects(() => layout.writeBlob(content), OciLayoutError),
        `${dir}/blobs/sha256`,
      );
      assertEquals(names(`${outside}/sha256`), []);
    });
    await t.step("a blob file is a symlink", async () => {
      const dir = `${root}/c`;
      const layout = await OciLayout.open(dir, { create: true });
      await Deno.writeFile(`${outside}/secret`, content);
      await Deno.symlink(`${outside}/secret`, `${dir}/blobs/sha256/${hex}`);
      unsafe(
        await assertRejects(() => layout.readBlob(digest), OciLayoutError),
        hex,
      );
      unsafe(
        await assertRejects(() => layout.hasBlob(digest), OciLayoutError),
        hex,
      );
    });
    await t.step("index.json or oci-layout is a symlink", async () => {
      const dir = `${root}/d`;
      await OciLayout.open(dir, { create: true });
      await Deno.writeTextFile(`${outside}/index.json`, '{"manifests":[]}');
      await Deno.remove(`${dir}/index.json`);
      await Deno.symlink(`${outside}/index.json`, `${dir}/index.json`);
      unsafe(
        await assertRejects(() => OciLayout.open(dir), OciLayoutError),
        "index.json",
      );
      await Deno.remove(`${dir}/index.json`);
      await Deno.writeTextFile(`${dir}/index.json`, '{"manifests":[]}');
      await Deno.writeTextFile(
        `${outside}/oci-layout`,
        '{"imageLayoutVersion":"1.0.0"}',
      );
      await Deno.remove(`${dir}/oci-layout`);
      await Deno.symlink(`${outside}/oci-layout`, `${dir}/oci-layout`);
      unsafe(
        await assertRejects(() => OciLayout.open(dir), OciLayoutError),
        "oci-layout",
      );
    });
  });
});

const root = Deno.uid() === 0;

Deno.test({
  name:
    "OciLayout and OciArchive on a full disk: a typed NO_SPACE error naming the file, nothing partial left" +
    // Mounting a tmpfs needs root (as in CI); elsewhere this cannot run.
    (root ? "" : " (ignored: not root, cannot mount a tmpfs)"),
  ignore: !root,
  async fn(t) {
    const mnt = await Deno.makeTempDir({ prefix: "oci-layout-enospc-" });
    const mount = await new Deno.Command("mount", {
      args: ["-t", "tmpfs", "-o", "size=2m", "tmpfs", mnt],
    }).output();
    assert(mount.success, new TextDecoder().decode(mount.stderr));
    try {
      const big = new Uint8Array(3 * 1024 * 1024).fill(7);
      await t.step("a blob larger than the disk", async () => {
        const dir = `${mnt}/layout`;
        const layout = await OciLayout.open(dir, { create: true });
        const err = await assertRejects(
          () =>
            layout.writeBlob(
              ReadableStream.from([
                big.subarray(0, 1 << 20),
                big.subarray(1 << 20),
              ]),
              {
                digest: digestOf(big),
                size: big.length,
              },
            ),
          OciLayoutError,
        );
        assertEquals(err.code, "NO_SPACE");
        assertStringIncludes(err.message, "no space left on the device");
        assertStringIncludes(err.message, `${dir}/.tmp-`);
        assertEquals(names(dir), ["blobs", "index.json", "oci-layout"]);
        assertEquals(names(`${dir}/blobs/sha256`), []);
        await Deno.remove(dir, { recursive: true });
      });
      await t.step("an archive that does not fit", async () => {
        const path = `${mnt}/app.tar`;
        const archive = await OciArchive.open(path, { create: true });
        const blob = big.subarray(0, 1200 * 1024);
        await archive.push(
          {
            mediaType: MEDIA_TYPE.OCI_LAYER,
            digest: digestOf(blob),
            size: blob.length,
          },
          blob,
        );
        const err = await assertRejects(() => archive.close(), StoreError);
        assertEquals(err.code, "NO_SPACE");
        assertStringIncludes(err.message, `${mnt}/.app.tar.tmp-`);
        assertEquals(names(mnt), []);
      });
    } finally {
      await new Deno.Command("umount", { args: [mnt] }).output();
      await Deno.remove(mnt, { recursive: true });
    }
  },
});
