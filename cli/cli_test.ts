// The command-line tool, run as a subprocess (`deno run -A cli.ts …`)
// against real registries: every subcommand, exit codes 0/1/2, `--json`
// output, `--help`, and the progress bar on a pseudo-terminal (`script`).

import { assert, assertEquals, assertMatch } from "@std/assert";
import { createHash } from "node:crypto";
import { MEDIA_TYPE } from "../lib/ref/media_types.ts";
import { OciLayout } from "../lib/layout/oci_layout.ts";
import { startRegistry } from "../test_support/real_registry.ts";
import { type Fixtures, seedFixtures } from "../test_support/fixtures.ts";
import { makeRandomImage } from "../test_support/random_image.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;
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

/** Runs the CLI with credentials looked up only under `home`. */
async function dreg(
  home: string,
  args: string[],
  stdin?: string,
): Promise<CliResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    env: {
      DOCKER_CONFIG: `${home}/docker`,
      REGISTRY_AUTH_FILE: `${home}/containers-auth.json`,
      XDG_RUNTIME_DIR: `${home}/run`,
      XDG_CONFIG_HOME: `${home}/config`,
      NO_COLOR: "1",
    },
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await child.output();
  return {
    code: out.code,
    bytes: out.stdout,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}

/** Runs skopeo; returns stdout bytes. */
async function skopeoOut(args: string[]): Promise<Uint8Array> {
  const out = await new Deno.Command("skopeo", {
    args: ["--insecure-policy", ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(
    out.code,
    0,
    `skopeo ${args.join(" ")}: ${dec.decode(out.stderr)}`,
  );
  return out.stdout;
}

function ok(r: CliResult): CliResult {
  assertEquals(r.code, 0, `exit ${r.code}: ${r.stderr}`);
  return r;
}

/** Asserts a failure: the exit code and one `error: …` line first. */
function failed(r: CliResult, code: 1 | 2, pattern: RegExp): void {
  assertEquals(r.code, code, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
  const lines = r.stderr.trimEnd().split("\n");
  assertMatch(lines[0], /^error: /);
  assertMatch(lines[0], pattern);
  assert(lines.length <= 2, r.stderr);
}

Deno.test("dreg: every subcommand against real registries", async (t) => {
  await using src = await startRegistry({ mode: "anonymous" });
  await using dst = await startRegistry({ mode: "token" });
  const fx: Fixtures = await seedFixtures(src, { tagCount: 5 });
  const home = await Deno.makeTempDir({ prefix: "dreg-test-" });
  const run = (args: string[], stdin?: string) => dreg(home, args, stdin);
  const creds = ["-u", dst.username!, "-p", dst.password!];
  const ml = `${src.url}/${fx.multiLayer.repo}:v1`;
  const idx = `${src.url}/${fx.index.repo}:v1`;
  try {
    await t.step("--help works everywhere; bad usage exits 2", async () => {
      const top = ok(await run(["--help"]));
      const names = [
        "tags",
        "manifest",
        "digest",
        "config",
        "platforms",
        "referrers",
        "pull",
        "push",
        "copy",
        "delete",
        "catalog",
        "login",
      ];
      for (const name of names) {
        assertMatch(top.stdout, new RegExp(`  ${name} `));
      }
      const helps = await Promise.all(names.map((n) => run([n, "--help"])));
      for (const [i, r] of helps.entries()) {
        ok(r);
        assert(r.stdout.startsWith(`Usage: dreg ${names[i]} `), r.stdout);
        assertMatch(r.stdout, /Examples:/);
      }
      const [none, unknownCmd, unknownFlag, arity, badRef, badPlatform, badN] =
        await Promise.all([
          run([]),
          run(["frobnicate"]),
          run(["tags", "--nope", ml]),
          run(["copy", ml]),
          run(["tags", "Not/Valid"]),
          run(["pull", "--platform", "linux", ml, `${home}/x`]),
          run(["copy", "--concurrency", "0", ml, ml]),
        ]);
      assertEquals(none.code, 2);
      assertMatch(none.stderr, /^Usage: dreg COMMAND/);
      failed(unknownCmd, 2, /unknown command "frobnicate"/);
      failed(unknownFlag, 2, /unknown flag --nope/);
      failed(arity, 2, /dreg copy takes SRC DST \(1 argument given\)/);
      failed(badRef, 2, /invalid reference: .*must be lowercase/);
      failed(badPlatform, 2, /Invalid platform "linux"/);
      failed(badN, 2, /--concurrency must be an integer from 1 to 64/);
    });

    await t.step("tags, manifest, digest, config, platforms", async () => {
      const [tags, tagsJson, manifest, manifestJson, digest, armDigest] =
        await Promise.all([
          run(["tags", `${src.url}/${fx.multiLayer.repo}`]),
          run(["tags", "--json", `${src.url}/${fx.multiLayer.repo}`]),
          run(["manifest", ml]),
          run(["manifest", "--json", idx]),
          run(["digest", ml]),
          run(["digest", "--platform", "linux/arm64", idx]),
        ]);
      assertEquals(ok(tags).stdout.trim().split("\n").sort(), [
        "latest",
        "sbom",
        "v1",
      ]);
      assertEquals(
        JSON.parse(ok(tagsJson).stdout).name,
        fx.multiLayer.repo,
      );
      assertEquals(sha256(ok(manifest).bytes), fx.multiLayer.digest);
      const mj = JSON.parse(ok(manifestJson).stdout);
      assertEquals(mj.digest, fx.index.digest);
      assertEquals(mj.mediaType, MEDIA_TYPE.OCI_INDEX);
      assertEquals(ok(digest).stdout, `${fx.multiLayer.digest}\n`);
      assertEquals(ok(armDigest).stdout.trim(), fx.index.platforms[1].digest);

      const [config, configJson, configIndex, platforms, platformsJson, one] =
        await Promise.all([
          run(["config", ml]),
          run(["config", "--json", "--platform", "linux/amd64", idx]),
          run(["config", idx]),
          run(["platforms", idx]),
          run(["platforms", "--json", idx]),
          run(["platforms", ml]),
        ]);
      assertEquals(sha256(ok(config).bytes), fx.multiLayer.config);
      const cj = JSON.parse(ok(configJson).stdout);
      assertEquals(cj.digest, fx.index.platforms[0].config);
      assertEquals(cj.config.architecture, "amd64");
      failed(configIndex, 2, /is an index of 2 platforms .*--platform/);
      assertEquals(
        ok(platforms).stdout.trim().split("\n").map((l) => l.split(/\s+/)),
        fx.index.platforms.map((p) => [
          [p.os, p.architecture, p.variant].filter(Boolean).join("/"),
          p.digest,
        ]),
      );
      assertEquals(JSON.parse(ok(platformsJson).stdout).platforms.length, 2);
      assertMatch(ok(one).stdout, /^linux\/amd64 +sha256:/);
    });

    await t.step("referrers, catalog", async () => {
      const put = await fetch(
        `${src.url}/v2/${fx.multiLayer.repo}/manifests/${
          fx.multiLayer.digest.replace(":", "-")
        }`,
        {
          method: "PUT",
          headers: { "content-type": MEDIA_TYPE.OCI_INDEX },
          body: JSON.stringify({
            schemaVersion: 2,
            mediaType: MEDIA_TYPE.OCI_INDEX,
            manifests: [{
              mediaType: MEDIA_TYPE.OCI_MANIFEST,
              digest: fx.artifact.digest,
              size: new TextEncoder().encode(fx.artifact.manifest).length,
              artifactType: fx.artifact.artifactType,
            }],
          }),
        },
      );
      await put.body?.cancel();
      const [refs, refsJson, catalog, catalogJson] = await Promise.all([
        run(["referrers", ml]),
        run(["referrers", "--json", ml]),
        run(["catalog", src.url]),
        run(["catalog", "--json", src.host]),
      ]);
      assertMatch(
        ok(refs).stdout,
        new RegExp(
          `^${fx.artifact.digest}  ${
            fx.artifact.artifactType.replace(/[.+]/g, "\\$&")
          }  \\d+\n$`,
        ),
      );
      assertEquals(
        JSON.parse(ok(refsJson).stdout).manifests.map((d: { digest: string }) =>
          d.digest
        ),
        [fx.artifact.digest],
      );
      assert(ok(catalog).stdout.split("\n").includes(fx.multiLayer.repo));
      assert(
        JSON.parse(ok(catalogJson).stdout).repositories.includes(fx.index.repo),
      );
    });

    await t.step("pull, push, copy keep digests; failures exit 1", async () => {
      const dir = `${home}/layout`;
      const pulled = ok(await run(["pull", ml, dir]));
      // Not a terminal: plain lines, one per blob, then the summary.
      assertEquals(pulled.stdout.includes("\r"), false);
      assertEquals(
        pulled.stdout.split("\n").filter((l) =>
          /^copied {2}sha256:[0-9a-f]{12} [\d.]+ (B|KiB|MiB) \([1-4]\/4\)$/
            .test(
              l,
            )
        ).length,
        4,
      );
      assertMatch(
        pulled.stdout,
        new RegExp(
          `Pulled ${dir}:v1 ${fx.multiLayer.digest}: 4 blobs \\(4 copied\\)`,
        ),
      );
      assertEquals(
        (await (await OciLayout.open(dir)).resolve("v1")).digest,
        fx.multiLayer.digest,
      );
      const pushed = JSON.parse(
        ok(
          await run([
            "push",
            "--json",
            ...creds,
            `${dir}:v1`,
            `${dst.url}/pushed/ml:v1`,
          ]),
        ).stdout,
      );
      assertEquals(pushed.digest, fx.multiLayer.digest);
      assertEquals(pushed.blobsCopied, 4);
      const copied = JSON.parse(
        ok(
          await run([
            "copy",
            "--json",
            "--dest-creds",
            `${dst.username}:${dst.password}`,
            "--platform",
            "linux/amd64",
            idx,
            `${dst.url}/copied/index:amd64`,
          ]),
        ).stdout,
      );
      assertEquals(copied.digest, fx.index.platforms[0].digest);
      assertEquals(copied.platform, "linux/amd64");
      const whole = JSON.parse(
        ok(
          await run([
            "copy",
            "--json",
            ...creds,
            idx,
            `${dst.url}/copied/index:v1`,
          ]),
        ).stdout,
      );
      assertEquals(whole.digest, fx.index.digest);
      assertEquals(
        ok(await run(["digest", ...creds, `${dst.url}/copied/index:v1`])).stdout
          .trim(),
        fx.index.digest,
      );
      const [denied, missing, noLayout] = await Promise.all([
        run(["copy", ml, `${dst.url}/denied/ml:v1`]),
        run(["pull", `${src.url}/${fx.multiLayer.repo}:nope`, `${home}/nope`]),
        run(["push", `${home}/not-a-layout:v1`, `${src.url}/x:v1`]),
      ]);
      failed(denied, 1, /401|authenticat|UNAUTHORIZED/i);
      failed(missing, 1, /MANIFEST_UNKNOWN|404/);
      failed(noLayout, 1, /no oci-layout file/);
    });

    await t.step(
      "copy between transports: oci:, oci-archive:, docker-archive:",
      async () => {
        const ociArchive = `${home}/ml-oci.tar`;
        const dockerArchive = `${home}/ml-docker.tar`;
        const toArchive = JSON.parse(
          ok(await run(["copy", "--json", ml, `oci-archive:${ociArchive}:v1`]))
            .stdout,
        );
        assertEquals(toArchive.digest, fx.multiLayer.digest);
        // skopeo reads the archive we wrote, with the same manifest digest.
        const raw = await skopeoOut([
          "inspect",
          "--raw",
          `oci-archive:${ociArchive}:v1`,
        ]);
        assertEquals(sha256(raw), fx.multiLayer.digest);
        ok(
          await run([
            "copy",
            `oci-archive:${ociArchive}:v1`,
            `docker-archive:${dockerArchive}:ml:v1`,
          ]),
        );
        await skopeoOut([
          "copy",
          `docker-archive:${dockerArchive}:ml:v1`,
          `oci:${home}/from-docker-archive:v1`,
        ]);
        const back = JSON.parse(
          ok(
            await run([
              "copy",
              "--json",
              ...creds,
              `docker-archive:${dockerArchive}:ml:v1`,
              `docker://${dst.url.replace(/^https?:\/\//, "")}/archived/ml:v1`,
            ]),
          ).stdout,
        );
        assertEquals(back.digest, fx.multiLayer.digest);
        const bad = await run([
          "copy",
          `oci:${home}/missing-layout:v1`,
          `oci:${home}/out:v1`,
        ]);
        failed(bad, 1, /^error: source: /);
      },
    );

    await t.step("delete", async () => {
      const ref = `${dst.url}/pushed/ml@${fx.multiLayer.digest}`;
      const del = ok(await run(["delete", ...creds, ref]));
      assertMatch(del.stdout, /^Deleted /);
      failed(
        await run(["digest", ...creds, `${dst.url}/pushed/ml:v1`]),
        1,
        /MANIFEST_UNKNOWN|404/,
      );
    });

    await t.step(
      "login saves credentials that later commands use",
      async () => {
        failed(
          await run(["login", "-u", dst.username!, "-p", "wrong", dst.url]),
          1,
          /401|authenticat|UNAUTHORIZED|refused/i,
        );
        failed(await run(["login", dst.url]), 2, /login needs -u USER/);
        const login = ok(
          await run(
            ["login", "-u", dst.username!, "--password-stdin", dst.url],
            `${dst.password}\n`,
          ),
        );
        assertMatch(
          login.stdout,
          /^Login succeeded \(bearer\); credentials saved/,
        );
        const config = JSON.parse(
          await Deno.readTextFile(`${home}/docker/config.json`),
        );
        assert(config.auths[dst.host].auth);
        // No -u/-p: the saved credentials are found.
        const tags = ok(await run(["tags", `${dst.url}/copied/index`]));
        assertEquals(tags.stdout.trim().split("\n").sort(), [
          "amd64",
          "v1",
        ]);
        const catalog = ok(await run(["catalog", dst.url]));
        assert(catalog.stdout.includes("copied/index"));
      },
    );
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("dreg: on a terminal, the progress bar redraws in place", async () => {
  await using reg = await startRegistry({ mode: "anonymous" });
  const home = await Deno.makeTempDir({ prefix: "dreg-tty-" });
  try {
    await makeRandomImage(`${home}/src`, "v1", 4, 8 * 1024 * 1024);
    const pushCmd = [
      Deno.execPath(),
      "run",
      "-A",
      CLI,
      "push",
      "--concurrency",
      "2",
      `${home}/src:v1`,
      `${reg.url}/tty/img:v1`,
    ];
    const out = await new Deno.Command("script", {
      args: ["-qfec", pushCmd.map((a) => `'${a}'`).join(" "), "/dev/null"],
      env: { DOCKER_CONFIG: `${home}/docker`, COLUMNS: "100" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = dec.decode(out.stdout);
    assertEquals(out.code, 0, text + dec.decode(out.stderr));
    const redraws = text.split("\r\x1b[2K");
    assert(
      redraws.length > 6,
      `only ${redraws.length - 1} redraws:\n${text}`,
    );
    const bars = redraws.filter((s) => /^Pushing \[[=> ]+\] +\d+% /.test(s));
    assert(bars.length >= 3, JSON.stringify(redraws.slice(0, 10)));
    assertMatch(text, /MiB\/s/);
    assertMatch(text, /ETA |done in /);
    assertMatch(text, /blobs 5\/5/);
    assertMatch(text, /Pushed \S+tty\/img:v1 sha256:/);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
