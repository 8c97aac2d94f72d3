// `dreg` writing to disk, as real processes against the fake registry:
// several pulls into one layout at once, a pull killed with SIGKILL then
// run again, SIGINT and SIGTERM in the middle of a pull or of a copy into
// an archive, a blob rotten on disk, a layout whose blobs/ is a symlink, a
// full disk (a 2 MiB tmpfs: root only).
//
// DREG_CLI=/path/to/other/cli.ts runs another checkout's CLI (to see these
// tests fail on the code before a fix).

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { createHash } from "node:crypto";
import { startFakeRegistry } from "../lib/testing/fake_registry.ts";
import {
  CLI,
  dreg,
  layoutTags,
  seedImage,
  slowFront,
  spawnDreg,
  tempFiles,
  waitFor,
} from "../test_support/dreg_process.ts";

const cli = Deno.env.get("DREG_CLI") ?? CLI;

async function withHome(fn: (home: string) => Promise<void>) {
  const home = await Deno.makeTempDir({ prefix: "dreg-disk-test-" });
  try {
    await fn(home);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** The blob files of a layout whose content matches their name. */
async function soundBlobs(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(`${dir}/blobs/sha256`)) {
    const digest = `sha256:${e.name}`;
    if (
      sha256(await Deno.readFile(`${dir}/blobs/sha256/${e.name}`)) === digest
    ) {
      out.push(digest);
    }
  }
  return out.sort();
}

/** The size of the biggest temporary file in `dir`. */
async function biggestTemp(dir: string): Promise<number> {
  let max = 0;
  for (const name of await tempFiles(dir)) {
    max = Math.max(
      max,
      (await Deno.stat(`${dir}/${name}`).catch(() => ({ size: 0 }))).size,
    );
  }
  return max;
}

Deno.test("dreg pull: two processes pulling into one new layout at once, 20 times, never fail nor lose a tag", async () => {
  await using registry = await startFakeRegistry();
  await withHome(async (home) => {
    const a = seedImage(registry, "app", "a", [4096, 8192]);
    const b = seedImage(registry, "app", "b", [4096, 8192]);
    const failures: string[] = [];
    let lost = 0;
    for (let run = 0; run < 20; run++) {
      const dir = `${home}/layout-${run}`;
      const results = await Promise.all(
        [a, b].map((img) => dreg(["pull", img.ref, dir], { home, cli })),
      );
      for (const r of results) if (r.code !== 0) failures.push(r.stderr.trim());
      const tags = await layoutTags(dir);
      lost += 2 - (tags?.length ?? 0);
      assertEquals(await tempFiles(dir), []);
    }
    assertEquals(failures, []);
    assertEquals(lost, 0, `${lost} tags lost in 20 runs`);
  });
});

Deno.test("dreg pull: killed with SIGKILL midway, a rerun removes its temporary file and completes", async () => {
  await using registry = await startFakeRegistry();
  await withHome(async (home) => {
    const img = seedImage(registry, "app", "1", [2 * 1024 * 1024, 1000]);
    const front = slowFront(registry, (d) => d === img.layers[0]);
    try {
      const dir = `${home}/layout`;
      const child = spawnDreg(
        ["pull", `${front.host}/app:1`, dir],
        { home, cli },
      );
      // Only the slow layer is left in flight: the other blobs are in place,
      // so its temporary file is the one there.
      const stored = (digest: string) =>
        Deno.stat(`${dir}/blobs/sha256/${digest.slice(7)}`)
          .then(() => true, () => false);
      await waitFor(
        async () =>
          (await biggestTemp(dir)) > 0 && await stored(img.layers[1]) &&
          await stored(img.config),
        "a temporary file of the slow layer",
      );
      child.process.kill("SIGKILL");
      assertEquals((await child.result).signal, "SIGKILL");
      assertEquals((await tempFiles(dir)).length, 1);
      const rerun = await dreg(["pull", img.ref, dir], { home, cli });
      assertEquals(rerun.code, 0, rerun.stderr);
      assertEquals(await tempFiles(dir), []);
      assertEquals(await layoutTags(dir), ["1"]);
      assertEquals(
        await soundBlobs(dir),
        [img.digest, img.config, ...img.layers].sort(),
      );
    } finally {
      await front.close();
    }
  });
});

for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
  Deno.test(`dreg pull: ${signal} midway exits ${code}, leaves no temporary file, and a rerun resumes`, async () => {
    await using registry = await startFakeRegistry();
    await withHome(async (home) => {
      const img = seedImage(registry, "app", "1", [2 * 1024 * 1024, 1000]);
      const front = slowFront(registry, (d) => d === img.layers[0]);
      try {
        const dir = `${home}/layout`;
        const child = spawnDreg(
          ["pull", `${front.host}/app:1`, dir],
          { home, cli },
        );
        await waitFor(
          async () =>
            (await biggestTemp(dir)) > 0 &&
            (await Deno.stat(`${dir}/blobs/sha256/${img.layers[1].slice(7)}`)
              .then(() => true, () => false)),
          "the small layer written and the big one started",
        );
        child.process.kill(signal);
        const r = await child.result;
        assertEquals(
          r.signal,
          null,
          `killed by ${r.signal}: it did not exit itself`,
        );
        assertEquals(r.code, code, r.stderr);
        assertEquals(await tempFiles(dir), []);
        // index.json is whole and does not list the image.
        assertEquals(await layoutTags(dir), []);
        assertStringIncludes(r.stderr, `interrupted by ${signal}`);
        const rerun = await dreg(["pull", "--json", img.ref, dir], {
          home,
          cli,
        });
        assertEquals(rerun.code, 0, rerun.stderr);
        const result = JSON.parse(rerun.stdout);
        assert(result.blobsExisting >= 1, rerun.stdout);
        assertEquals(await layoutTags(dir), ["1"]);
      } finally {
        await front.close();
      }
    });
  });
}

Deno.test("dreg copy: SIGINT while copying into an archive leaves no archive and no staging directory", async () => {
  await using registry = await startFakeRegistry();
  await withHome(async (home) => {
    const img = seedImage(registry, "app", "1", [2 * 1024 * 1024, 1000]);
    const front = slowFront(registry, (d) => d === img.layers[0]);
    try {
      const out = `${home}/out`;
      await Deno.mkdir(out);
      const child = spawnDreg(
        [
          "copy",
          `docker://${front.host}/app:1`,
          `oci-archive:${out}/app.tar:1`,
        ],
        { home, cli },
      );
      await waitFor(async () => {
        for await (const e of Deno.readDir(out)) {
          if (e.name.startsWith(".app.tar.staging-")) {
            return (await biggestTemp(`${out}/${e.name}`)) > 0;
          }
        }
        return false;
      }, "a staged blob being written");
      child.process.kill("SIGINT");
      const r = await child.result;
      assertEquals(r.signal, null);
      assertEquals(r.code, 130, r.stderr);
      assertEquals([...Deno.readDirSync(out)], []);
    } finally {
      await front.close();
    }
  });
});

Deno.test("dreg pull: a blob rotten on disk is downloaded again, unless --trust-existing", async () => {
  await using registry = await startFakeRegistry();
  await withHome(async (home) => {
    const img = seedImage(registry, "app", "1", [300_000]);
    const dir = `${home}/layout`;
    assertEquals((await dreg(["pull", img.ref, dir], { home, cli })).code, 0);
    const path = `${dir}/blobs/sha256/${img.layers[0].slice(7)}`;
    const good = await Deno.readFile(path);
    const rotten = good.slice();
    rotten[1000] ^= 0xff;
    await Deno.writeFile(path, rotten);
    const trusting = await dreg(
      ["pull", "--json", "--trust-existing", img.ref, dir],
      { home, cli },
    );
    assertEquals(trusting.code, 0, trusting.stderr);
    assertEquals(JSON.parse(trusting.stdout).blobsCopied, 0);
    assertEquals(await Deno.readFile(path), rotten);
    const r = await dreg(["pull", "--json", img.ref, dir], { home, cli });
    assertEquals(r.code, 0, r.stderr);
    assertEquals(JSON.parse(r.stdout).blobsCopied, 1);
    assertEquals(await Deno.readFile(path), good);
  });
});

Deno.test("dreg pull: a layout whose blobs/ is a symlink is refused, nothing written through it", async () => {
  await using registry = await startFakeRegistry();
  await withHome(async (home) => {
    const img = seedImage(registry, "app", "1", [1000]);
    const dir = `${home}/layout`;
    const outside = `${home}/outside`;
    await Deno.mkdir(`${outside}/sha256`, { recursive: true });
    await Deno.mkdir(dir);
    await Deno.writeTextFile(
      `${dir}/oci-layout`,
      '{"imageLayoutVersion":"1.0.0"}',
    );
    await Deno.writeTextFile(
      `${dir}/index.json`,
      '{"schemaVersion":2,"manifests":[]}',
    );
    await Deno.symlink(outside, `${dir}/blobs`);
    const r = await dreg(["pull", img.ref, dir], { home, cli });
    assertEquals(r.code, 1, r.stderr);
    assertStringIncludes(r.stderr, `${dir}/blobs`);
    assertStringIncludes(r.stderr, "symbolic link");
    assertEquals([...Deno.readDirSync(`${outside}/sha256`)], []);
    assertEquals(await tempFiles(dir), []);
  });
});

Deno.test({
  name:
    "dreg pull: a full disk fails with a message naming the file, and leaves no partial blob" +
    // Mounting a tmpfs needs root (as in CI); elsewhere this cannot run.
    (Deno.uid() === 0 ? "" : " (ignored: not root, cannot mount a tmpfs)"),
  ignore: Deno.uid() !== 0,
  async fn() {
    await using registry = await startFakeRegistry();
    await withHome(async (home) => {
      const img = seedImage(registry, "app", "1", [3 * 1024 * 1024]);
      const mnt = `${home}/mnt`;
      await Deno.mkdir(mnt);
      const mount = await new Deno.Command("mount", {
        args: ["-t", "tmpfs", "-o", "size=2m", "tmpfs", mnt],
      }).output();
      assert(mount.success, new TextDecoder().decode(mount.stderr));
      try {
        const dir = `${mnt}/layout`;
        const r = await dreg(["pull", img.ref, dir], { home, cli });
        assertEquals(r.code, 1, r.stderr);
        assertStringIncludes(r.stderr, "no space left on the device");
        assertStringIncludes(r.stderr, `${dir}/.tmp-`);
        assertEquals(await tempFiles(dir), []);
        assert(!(await soundBlobs(dir)).includes(img.layers[0]));
        for await (const e of Deno.readDir(`${dir}/blobs/sha256`)) {
          assert(`sha256:${e.name}` !== img.layers[0], "a partial layer");
        }
      } finally {
        await new Deno.Command("umount", { args: [mnt] }).output();
      }
    });
  },
});

/** The names in `dir`, sorted (none when it is missing). */
function namesIn(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  } catch {
    return [];
  }
}

/** Whether `dir` holds a non-empty file whose name starts with `prefix`, at any depth. */
async function hasPartial(dir: string, prefix: string): Promise<boolean> {
  for (const name of namesIn(dir)) {
    if (!name.startsWith(prefix)) continue;
    const info = await Deno.stat(`${dir}/${name}`).catch(() => undefined);
    if (info?.isFile && info.size > 0) return true;
    if (info?.isDirectory && (await biggestTempIn(`${dir}/${name}`)) > 0) {
      return true;
    }
  }
  return false;
}

/** The size of the biggest file in `dir` (any name). */
async function biggestTempIn(dir: string): Promise<number> {
  let max = 0;
  for (const name of namesIn(dir)) {
    const info = await Deno.stat(`${dir}/${name}`).catch(() => undefined);
    if (info?.isFile) max = Math.max(max, info.size);
  }
  return max;
}

for (
  const [what, build] of [
    [
      "mutate",
      (src: string, out: string) => [
        "mutate",
        src,
        `oci-archive:${out}/app.tar:1`,
        "--label",
        "a=b",
      ],
    ],
    [
      "sync",
      (src: string, out: string) => [
        "sync",
        src.replace(/:1$/, ""),
        `oci-archive:${out}/app.tar`,
      ],
    ],
  ] as const
) {
  Deno.test(`dreg ${what}: SIGTERM while writing an archive exits 143 and leaves no archive, no staging directory`, async () => {
    await using registry = await startFakeRegistry();
    await withHome(async (home) => {
      const img = seedImage(registry, "app", "1", [2 * 1024 * 1024, 1000]);
      const front = slowFront(registry, (d) => d === img.layers[0]);
      try {
        const out = `${home}/out`;
        await Deno.mkdir(out);
        const child = spawnDreg(build(`${front.host}/app:1`, out), {
          home,
          cli,
        });
        await waitFor(
          () => hasPartial(out, ".app.tar.staging-"),
          "a staged blob being written",
        );
        child.process.kill("SIGTERM");
        const r = await child.result;
        assertEquals(
          r.signal,
          null,
          `killed by ${r.signal}: it did not exit itself`,
        );
        assertEquals(r.code, 143, r.stdout + r.stderr);
        assertStringIncludes(r.stderr, "interrupted by SIGTERM");
        assertEquals(namesIn(out), []);
      } finally {
        await front.close();
      }
    });
  });
}

Deno.test("dreg blob get, export, artifact pull: killed with SIGKILL midway, a rerun removes what it left", async (t) => {
  await using registry = await startFakeRegistry();
  await withHome(async (home) => {
    const img = seedImage(registry, "app", "1", [2 * 1024 * 1024]);
    // An image whose layer is a tar of one big file, for export.
    const { rawTarGz } = await import("../test_support/artifacts.ts");
    const gz = await rawTarGz([{
      name: "big.txt",
      content: "x".repeat(2 << 20),
    }]);
    const tar = await new Response(
      new Blob([gz as Uint8Array<ArrayBuffer>]).stream()
        .pipeThrough(new DecompressionStream("gzip")),
    ).bytes();
    const tarImg = seedImage(registry, "rootfs", "1", [tar]);
    const { pushArtifact } = await import("../lib/artifact/push.ts");
    const { RegistryStore } = await import("../lib/registry/store.ts");
    const art = new RegistryStore(`${registry.url}/art:1`, { access: "push" });
    const file = new Uint8Array(2 * 1024 * 1024).fill(7);
    const pushed = await pushArtifact(art, [{
      content: file,
      title: "big.bin",
    }], {
      artifactType: "application/vnd.example",
    });
    await art.close();
    const slow = new Set([
      img.layers[0],
      tarImg.layers[0],
      pushed.manifest.layers[0].digest,
    ]);
    const front = slowFront(registry, (d) => slow.has(d));
    try {
      const cases = [
        {
          what: "blob get",
          args: (host: string, out: string) => [
            "blob",
            "get",
            `${host}/app@${img.layers[0]}`,
            `${out}/layer`,
          ],
          partial: ".layer.",
          left: ["layer"],
        },
        {
          what: "export",
          args: (host: string, out: string) => [
            "export",
            `${host}/rootfs:1`,
            `${out}/rootfs.tar`,
          ],
          partial: ".rootfs.tar.",
          left: ["rootfs.tar"],
        },
        {
          what: "artifact pull",
          args: (host: string, out: string) => [
            "artifact",
            "pull",
            `${host}/art:1`,
            out,
          ],
          partial: ".dreg-pull-",
          left: ["big.bin"],
        },
      ];
      for (const c of cases) {
        await t.step(c.what, async () => {
          const out = `${home}/${c.what.replace(" ", "-")}`;
          await Deno.mkdir(out);
          const child = spawnDreg(c.args(front.host, out), { home, cli });
          await waitFor(
            () => hasPartial(out, c.partial),
            `a partial file in ${out}`,
          );
          child.process.kill("SIGKILL");
          assertEquals((await child.result).signal, "SIGKILL");
          assertEquals(namesIn(out).length, 1, namesIn(out).join(" "));
          const rerun = await dreg(c.args(registry.host, out), { home, cli });
          assertEquals(rerun.code, 0, rerun.stderr);
          assertEquals(namesIn(out), c.left);
        });
      }
    } finally {
      await front.close();
    }
  });
});
