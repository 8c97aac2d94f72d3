// append() against the real registry, checked by independent tools: skopeo
// copies the result into an OCI layout and umoci unpacks it; the appended
// files are in umoci's rootfs with their modes and contents, a whiteout
// layer removes a base file, and the registry's access log shows that
// nothing the registry had was uploaded again.

import { assert, assertEquals, assertFalse } from "@std/assert";
import { join } from "@std/path/posix/join";
import { RegistryStore } from "../registry/store.ts";
import type { ImageManifest } from "../ref/media_types.ts";
import { startRegistry } from "../../test_support/real_registry.ts";
import { seedFixtures } from "../../test_support/fixtures.ts";
import { append } from "./append.ts";

const dec = new TextDecoder();

async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, `${cmd} ${args.join(" ")}: ${dec.decode(out.stderr)}`);
  return dec.decode(out.stdout);
}

/** skopeo copies the image to an OCI layout; umoci unpacks it; returns the rootfs. */
async function unpack(
  host: string,
  ref: string,
  work: string,
): Promise<string> {
  const name = ref.replaceAll(/[/:]/g, "_");
  const layout = join(work, `${name}-oci`);
  const bundle = join(work, `${name}-bundle`);
  await run("skopeo", [
    "--insecure-policy",
    "copy",
    "--quiet",
    "--src-tls-verify=false",
    `docker://${host}/${ref}`,
    `oci:${layout}:img`,
  ]);
  await run("umoci", [
    "unpack",
    "--rootless",
    "--image",
    `${layout}:img`,
    bundle,
  ]);
  return join(bundle, "rootfs");
}

function modeOf(info: Deno.FileInfo): number {
  return info.mode! & 0o7777;
}

Deno.test("append() of a directory to a real image: umoci finds the files, modes and contents", async () => {
  await using reg = await startRegistry({ mode: "anonymous" });
  const fx = await seedFixtures(reg, { tagCount: 1 });
  const work = await Deno.makeTempDir({ prefix: "append-umoci-" });
  try {
    const files = join(work, "files");
    await Deno.mkdir(join(files, "bin"), { recursive: true });
    await Deno.mkdir(join(files, "etc"));
    await Deno.mkdir(join(files, "data"), { mode: 0o750 });
    await Deno.chmod(join(files, "data"), 0o750);
    await Deno.writeTextFile(
      join(files, "bin/hello.sh"),
      "#!/bin/sh\necho hello\n",
    );
    await Deno.chmod(join(files, "bin/hello.sh"), 0o755);
    await Deno.writeTextFile(join(files, "etc/app.conf"), "key=value\n");
    await Deno.chmod(join(files, "etc/app.conf"), 0o640);
    const big = new Uint8Array(300 * 1024).map((_, i) => (i * 7) & 0xff);
    await Deno.writeFile(join(files, "data/big.bin"), big);
    await Deno.chmod(join(files, "data/big.bin"), 0o600);
    await Deno.symlink("app.conf", join(files, "etc/link"));

    const base = new RegistryStore(`${reg.url}/${fx.multiLayer.repo}:v1`);
    const target = new RegistryStore(`${reg.url}/built/app:1`, {
      access: "push",
    });
    const result = await append(base, target, { layers: [files] });
    assertEquals(result.tag, "1");

    const rootfs = await unpack(reg.host, "built/app:1", work);
    assertEquals(
      await Deno.readTextFile(join(rootfs, "bin/hello.sh")),
      "#!/bin/sh\necho hello\n",
    );
    assertEquals(modeOf(await Deno.lstat(join(rootfs, "bin/hello.sh"))), 0o755);
    assertEquals(
      await Deno.readTextFile(join(rootfs, "etc/app.conf")),
      "key=value\n",
    );
    assertEquals(modeOf(await Deno.lstat(join(rootfs, "etc/app.conf"))), 0o640);
    assertEquals(await Deno.readFile(join(rootfs, "data/big.bin")), big);
    assertEquals(modeOf(await Deno.lstat(join(rootfs, "data/big.bin"))), 0o600);
    assertEquals(modeOf(await Deno.lstat(join(rootfs, "data"))), 0o750);
    assert((await Deno.lstat(join(rootfs, "etc/link"))).isSymlink);
    assertEquals(await Deno.readLink(join(rootfs, "etc/link")), "app.conf");
    // The base's files are there too.
    for (const i of [0, 1, 2]) {
      assert((await Deno.stat(join(rootfs, `file-${i}.bin`))).isFile);
    }

    // A layer holding a whiteout removes a base file; the registry gets
    // only the new layer and config: no base blob is uploaded or read.
    const whiteout = join(work, "whiteout");
    await Deno.mkdir(whiteout);
    await Deno.writeFile(join(whiteout, ".wh.file-0.bin"), new Uint8Array());
    const before = (await reg.flushAccessLog()).length;
    const same = new RegistryStore(`${reg.url}/built/app:1`, {
      access: "push",
    });
    const second = await append(same, same, { layers: [whiteout], tag: "2" });
    const log = (await reg.flushAccessLog()).slice(before);
    const manifest = (await same.fetchManifest("2")).manifest as ImageManifest;
    const uploads = log.filter((l) =>
      /^POST \/v2\/built\/app\/blobs\/uploads\//.test(l)
    );
    assertEquals(uploads.length, 2, log.join("\n"));
    assertFalse(uploads.some((l) => l.includes("mount=")), log.join("\n"));
    const blobGets = log.filter((l) =>
      /^GET \/v2\/built\/app\/blobs\//.test(l)
    );
    const firstConfig = (await same.fetchManifest("1"))
      .manifest as ImageManifest;
    assertEquals(blobGets, [
      `GET /v2/built/app/blobs/${firstConfig.config.digest}`,
    ]);
    assertEquals(
      log.filter((l) => l.startsWith("PUT /v2/built/app/manifests/")),
      ["PUT /v2/built/app/manifests/2"],
    );
    assertEquals(manifest.layers.length, 5);
    assertEquals(second.descriptor.digest, (await same.resolve("2")).digest);

    const rootfs2 = await unpack(reg.host, "built/app:2", work);
    assertFalse(
      await Deno.lstat(join(rootfs2, "file-0.bin")).then(
        () => true,
        () => false,
      ),
      "the whiteout did not remove file-0.bin",
    );
    assert((await Deno.stat(join(rootfs2, "file-1.bin"))).isFile);
    assert((await Deno.stat(join(rootfs2, "bin/hello.sh"))).isFile);
    assertFalse(
      await Deno.lstat(join(rootfs2, ".wh.file-0.bin")).then(
        () => true,
        () => false,
      ),
    );
    await base.close();
    await target.close();
    await same.close();
  } finally {
    await Deno.remove(work, { recursive: true }).catch(async () => {
      await new Deno.Command("chmod", { args: ["-R", "u+rwX", work] }).output();
      await Deno.remove(work, { recursive: true });
    });
  }
});
