// dreg append, mutate, index, tag, validate and blob, run as a subprocess
// against the real registry and checked with skopeo and the registry's
// access log: labels show in `skopeo inspect`, an index is read with both
// platforms (and `--override-arch` picks the right one), a tag uploads no
// blob, validate exits 1 naming a deleted blob, blobs stream out verified
// (atomically) and in.

import { assert, assertEquals, assertFalse, assertMatch } from "@std/assert";
import { join } from "@std/path/posix/join";
import { createHash } from "node:crypto";
import { startRegistry } from "../../test_support/real_registry.ts";
import { type Fixtures, seedFixtures } from "../../test_support/fixtures.ts";

const CLI = new URL("../../cli.ts", import.meta.url).pathname;
const dec = new TextDecoder();

interface CliResult {
  code: number;
  stdout: string;
  bytes: Uint8Array;
  stderr: string;
}

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

async function dreg(home: string, args: string[]): Promise<CliResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    env: {
      DOCKER_CONFIG: `${home}/docker`,
      REGISTRY_AUTH_FILE: `${home}/containers-auth.json`,
      XDG_RUNTIME_DIR: `${home}/run`,
      XDG_CONFIG_HOME: `${home}/config`,
      NO_COLOR: "1",
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    bytes: out.stdout,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}

async function skopeo(args: string[]): Promise<string> {
  const out = await new Deno.Command("skopeo", {
    args: ["--insecure-policy", ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, `skopeo ${args.join(" ")}: ${dec.decode(out.stderr)}`);
  return dec.decode(out.stdout);
}

function ok(r: CliResult): CliResult {
  assertEquals(r.code, 0, `exit ${r.code}: ${r.stderr}`);
  return r;
}

Deno.test("dreg append, mutate, index, tag, validate, blob against the real registry", async (t) => {
  await using reg = await startRegistry({ mode: "anonymous" });
  const fx: Fixtures = await seedFixtures(reg, { tagCount: 1 });
  const home = await Deno.makeTempDir({ prefix: "dreg-build-test-" });
  const run = (args: string[]) => dreg(home, args);
  const host = reg.host;
  const ml = `${host}/${fx.multiLayer.repo}:v1`;
  try {
    await t.step("--help of each command", async () => {
      const names = ["append", "mutate", "index", "tag", "validate", "blob"];
      const top = ok(await run(["--help"]));
      for (const name of names) {
        assertMatch(top.stdout, new RegExp(`  ${name} `));
      }
      for (const name of names) {
        const r = ok(await run([name, "--help"]));
        assert(r.stdout.startsWith(`Usage: dreg ${name} `), r.stdout);
        assertMatch(r.stdout, /Examples:/);
      }
      const bad = await run([
        "mutate",
        ml,
        `${host}/x:1`,
        "--label",
        "novalue",
      ]);
      assertEquals(bad.code, 2);
      assertMatch(bad.stderr, /--label takes KEY=VALUE, or KEY- to remove KEY/);
      const noLayer = await run(["append", ml, `${host}/x:1`]);
      assertEquals(noLayer.code, 2);
    });

    await t.step(
      "mutate --label shows in skopeo inspect; no layer is uploaded or read",
      async () => {
        const before = (await reg.flushAccessLog()).length;
        const r = ok(
          await run([
            "mutate",
            ml,
            `${host}/${fx.multiLayer.repo}:labelled`,
            "--label",
            "org.opencontainers.image.version=1.2.3",
            "--label",
            "team=core",
            "--env",
            "MODE=prod",
            "--json",
          ]),
        );
        const log = (await reg.flushAccessLog()).slice(before);
        const result = JSON.parse(r.stdout);
        assertEquals(result.tag, "labelled");
        const inspect = JSON.parse(
          await skopeo([
            "inspect",
            "--tls-verify=false",
            `docker://${host}/${fx.multiLayer.repo}:labelled`,
          ]),
        );
        assertEquals(inspect.Labels, {
          "org.opencontainers.image.version": "1.2.3",
          team: "core",
        });
        assertEquals(inspect.Digest, result.descriptor.digest);
        assertEquals(inspect.Layers, fx.multiLayer.layers);
        assert(inspect.Env.includes("MODE=prod"));
        // One upload (the config), one manifest PUT; no layer read.
        const uploads = log.filter((l) =>
          l.startsWith("POST ") && l.includes("/blobs/uploads/")
        );
        assertEquals(uploads.length, 1, log.join("\n"));
        for (const layer of fx.multiLayer.layers) {
          assertFalse(
            log.some((l) => l.startsWith("GET ") && l.includes(layer)),
            log.join("\n"),
          );
        }
        assertEquals(
          log.filter((l) => l.startsWith("PUT ") && l.includes("/manifests/"))
            .length,
          1,
        );

        const removed = ok(
          await run([
            "mutate",
            `${host}/${fx.multiLayer.repo}:labelled`,
            `${host}/${fx.multiLayer.repo}:unlabelled`,
            "--label",
            "team-",
          ]),
        );
        assertMatch(
          removed.stdout,
          /^Wrote .*:unlabelled sha256:[0-9a-f]{64} \(linux\/amd64\)\n$/,
        );
        const again = JSON.parse(
          await skopeo([
            "inspect",
            "--tls-verify=false",
            `docker://${host}/${fx.multiLayer.repo}:unlabelled`,
          ]),
        );
        assertEquals(again.Labels, {
          "org.opencontainers.image.version": "1.2.3",
        });
      },
    );

    await t.step(
      "index create: skopeo reads both platforms and --override-arch picks arm64",
      async () => {
        const [amd, arm] = fx.index.platforms;
        const repo = `${host}/${fx.index.repo}`;
        const r = ok(
          await run([
            "index",
            "create",
            `${host}/made/index:1`,
            `${repo}@${amd.digest}`,
            `${repo}@${arm.digest}`,
            "--annotation",
            "org.opencontainers.image.version=1",
            "--json",
          ]),
        );
        const result = JSON.parse(r.stdout);
        const raw = await skopeo([
          "inspect",
          "--raw",
          "--tls-verify=false",
          `docker://${host}/made/index:1`,
        ]);
        assertEquals(
          sha256(new TextEncoder().encode(raw)),
          result.descriptor.digest,
        );
        const index = JSON.parse(raw);
        assertEquals(
          index.mediaType,
          "application/vnd.oci.image.index.v1+json",
        );
        assertEquals(
          index.manifests.map((
            d: { digest: string; platform: unknown },
          ) => [d.digest, d.platform]),
          [
            [amd.digest, { os: "linux", architecture: "amd64" }],
            [arm.digest, { os: "linux", architecture: "arm64", variant: "v8" }],
          ],
        );
        assertEquals(index.annotations, {
          "org.opencontainers.image.version": "1",
        });
        const digestFile = join(home, "arm.digest");
        await skopeo([
          "copy",
          "--quiet",
          "--src-tls-verify=false",
          "--override-arch",
          "arm64",
          "--digestfile",
          digestFile,
          `docker://${host}/made/index:1`,
          `dir:${join(home, "arm-dir")}`,
        ]);
        assertEquals((await Deno.readTextFile(digestFile)).trim(), arm.digest);

        const removed = ok(
          await run([
            "index",
            "remove",
            `${host}/made/index:1`,
            "linux/amd64",
            "--json",
          ]),
        );
        assertEquals(
          JSON.parse(removed.stdout).manifests.map((d: { digest: string }) =>
            d.digest
          ),
          [arm.digest],
        );
        ok(
          await run([
            "index",
            "add",
            `${host}/made/index:1`,
            `${repo}@${amd.digest}`,
          ]),
        );
        const back = JSON.parse(
          await skopeo([
            "inspect",
            "--raw",
            "--tls-verify=false",
            `docker://${host}/made/index:1`,
          ]),
        );
        assertEquals(back.manifests.length, 2);
      },
    );

    await t.step("tag uploads no blob: one manifest PUT per tag", async () => {
      const before = (await reg.flushAccessLog()).length;
      const r = ok(await run(["tag", ml, "stable"]));
      assertMatch(
        r.stdout,
        new RegExp(`^Tagged ${fx.multiLayer.digest} as stable\n$`),
      );
      const log = (await reg.flushAccessLog()).slice(before);
      assertEquals(
        log.filter((l) => l.startsWith("PUT ")),
        [`PUT /v2/${fx.multiLayer.repo}/manifests/stable`],
      );
      assertEquals(
        log.filter((l) => l.includes("/blobs/")),
        [],
        log.join("\n"),
      );
      const digest = JSON.parse(
        await skopeo([
          "inspect",
          "--tls-verify=false",
          `docker://${host}/${fx.multiLayer.repo}:stable`,
        ]),
      ).Digest;
      assertEquals(digest, fx.multiLayer.digest);
      const before2 = (await reg.flushAccessLog()).length;
      ok(await run(["tag", ml, "a", "b", "c"]));
      const log2 = (await reg.flushAccessLog()).slice(before2);
      assertEquals(log2.filter((l) => l.startsWith("PUT ")).length, 3);
      assertEquals(log2.filter((l) => l.includes("/blobs/")), []);
      const bad = await run(["tag", ml, "not/a/tag"]);
      assertEquals(bad.code, 2);
    });

    await t.step(
      "blob get streams a verified blob to a file or stdout; blob put streams one in",
      async () => {
        const layer = fx.multiLayer.layers[1];
        const file = join(home, "layer.tgz");
        ok(
          await run([
            "blob",
            "get",
            `${host}/${fx.multiLayer.repo}@${layer}`,
            file,
          ]),
        );
        assertEquals(sha256(await Deno.readFile(file)), layer);
        const out = ok(
          await run(["blob", "get", `${host}/${fx.multiLayer.repo}@${layer}`]),
        );
        assertEquals(sha256(out.bytes), layer);

        const input = join(home, "input.bin");
        const data = new TextEncoder().encode("a blob of text\n".repeat(1000));
        await Deno.writeFile(input, data);
        const put = ok(
          await run([
            "blob",
            "put",
            `${host}/blobs/store`,
            input,
            "--media-type",
            "text/plain",
            "--json",
          ]),
        );
        assertEquals(JSON.parse(put.stdout), {
          mediaType: "text/plain",
          digest: sha256(data),
          size: data.byteLength,
        });
        const back = ok(
          await run(["blob", "get", `${host}/blobs/store@${sha256(data)}`]),
        );
        assertEquals(back.bytes, data);
      },
    );

    await t.step(
      "append --layer onto a registry image, and from scratch into a layout",
      async () => {
        const files = join(home, "files");
        await Deno.mkdir(files);
        await Deno.writeTextFile(join(files, "hello.txt"), "hello\n");
        const r = ok(
          await run([
            "append",
            ml,
            `${host}/appended/app:1`,
            "--layer",
            files,
            "--json",
          ]),
        );
        const result = JSON.parse(r.stdout);
        const inspect = JSON.parse(
          await skopeo([
            "inspect",
            "--tls-verify=false",
            `docker://${host}/appended/app:1`,
          ]),
        );
        assertEquals(inspect.Digest, result.descriptor.digest);
        assertEquals(inspect.Layers.slice(0, 3), fx.multiLayer.layers);
        assertEquals(inspect.Layers.length, 4);
        const layout = join(home, "scratch-oci");
        const s = ok(
          await run([
            "append",
            "scratch",
            `oci:${layout}:1`,
            "--layer",
            files,
            "--layer",
            files,
            "--platform",
            "linux/arm64",
          ]),
        );
        assertMatch(
          s.stdout,
          /^Wrote .*scratch-oci:1 sha256:[0-9a-f]{64} \(linux\/arm64\)\n$/,
        );
        const oci = JSON.parse(await skopeo(["inspect", `oci:${layout}:1`]));
        assertEquals(oci.Architecture, "arm64");
        assertEquals(oci.Layers.length, 2);
        ok(await run(["validate", `oci:${layout}:1`]));
        const idx = await run([
          "append",
          `${host}/${fx.index.repo}:v1`,
          `${host}/appended/idx:1`,
          "--layer",
          files,
        ]);
        assertEquals(idx.code, 1);
        assertMatch(
          idx.stderr,
          /it is an index of 2 platforms \(linux\/amd64, linux\/arm64\/v8\); choose one, or "all"/,
        );
        ok(
          await run([
            "append",
            `${host}/${fx.index.repo}:v1`,
            `${host}/appended/idx:1`,
            "--layer",
            files,
            "--platform",
            "all",
          ]),
        );
        const raw = JSON.parse(
          await skopeo([
            "inspect",
            "--raw",
            "--tls-verify=false",
            `docker://${host}/appended/idx:1`,
          ]),
        );
        assertEquals(raw.manifests.length, 2);
      },
    );
    await t.step(
      "validate passes a whole image, exits 1 naming a deleted and a corrupted blob",
      async () => {
        const repo = `${host}/${fx.multiLayer.repo}`;
        const whole = ok(await run(["validate", ml]));
        assertMatch(
          whole.stdout,
          new RegExp(`^OK ${fx.multiLayer.digest}: 1 manifest, 4 blobs`),
        );
        // Copy the image to a repository of its own, then break it there (the
        // registry keeps one copy of each blob: the corrupted one is broken in
        // every repository, so this step comes last).
        ok(await run(["mutate", ml, `${host}/broken/app:1`, "--label", "x=y"]));
        const [deleted, corrupted] = fx.multiLayer.layers;
        const res = await fetch(`${reg.url}/v2/broken/app/blobs/${deleted}`, {
          method: "DELETE",
        });
        await res.body?.cancel();
        assertEquals(res.status, 202);
        const hex = corrupted.slice("sha256:".length);
        const path = join(
          reg.dir,
          "data/docker/registry/v2/blobs/sha256",
          hex.slice(0, 2),
          hex,
          "data",
        );
        const bytes = await Deno.readFile(path);
        bytes[100] ^= 0xff;
        await Deno.writeFile(path, bytes);
        const r = await run(["validate", `${host}/broken/app:1`]);
        assertEquals(r.code, 1, r.stderr);
        assertMatch(
          r.stdout,
          new RegExp(
            `^missing: layer ${deleted} .* is missing \\(listed by sha256:`,
            "m",
          ),
        );
        assertMatch(
          r.stdout,
          new RegExp(
            `^digest-mismatch: layer ${corrupted} .* has digest sha256:`,
            "m",
          ),
        );
        assertMatch(r.stderr, /^error: 2 problems in sha256:[0-9a-f]{64}/);
        const json = await run(["validate", "--json", `${host}/broken/app:1`]);
        assertEquals(json.code, 1);
        const report = JSON.parse(json.stdout);
        assertEquals(report.ok, false);
        assertEquals(
          report.problems.map((p: { kind: string }) => p.kind).sort(),
          ["digest-mismatch", "missing"],
        );

        // A blob that does not verify is not written: no file, no temporary left.
        const dir = join(home, "get");
        await Deno.mkdir(dir);
        const broken = await run([
          "blob",
          "get",
          `${repo}@${corrupted}`,
          join(dir, "x"),
        ]);
        assertEquals(broken.code, 1, broken.stderr);
        assertMatch(broken.stderr, /^error: .*digest mismatch/);
        assertEquals([...Deno.readDirSync(dir)], []);
      },
    );
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
