// The example scripts run as written — `./examples/v2/NAME.ts -v …`, through
// their shebang (which carries their permissions) — against the real
// registry with token auth: what they print on stdout, that `-v` puts one
// line per request and per response on stderr, and that neither stream
// shows a password, a token or an Authorization value. Each runs in a
// temporary directory (downloadBlob and downloadImg write there) with an
// empty docker config.

import { assert, assertEquals, assertMatch } from "@std/assert";
import { createHash } from "node:crypto";
import { dirname } from "@std/path/posix/dirname";
import { createClient, MEDIA_TYPE } from "../../mod.ts";
import {
  type RealRegistry,
  startRegistry,
} from "../../test_support/real_registry.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const CAN_RUN_SCRIPTS = Deno.build.os !== "windows";
const encoder = new TextEncoder();

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `./examples/<script> args…` in `cwd`, as a user would. */
async function example(
  script: string,
  args: string[],
  cwd: string,
): Promise<Run> {
  const out = await new Deno.Command(`${ROOT}examples/${script}`, {
    args,
    cwd,
    env: {
      // The shebang's `env deno` finds the deno running the tests.
      PATH: `${dirname(Deno.execPath())}:${Deno.env.get("PATH") ?? ""}`,
      NO_COLOR: "1",
      DENO_NO_PROMPT: "1",
      DOCKER_CONFIG: `${cwd}/.docker`,
      DOCKER_AUTH_CONFIG: "",
      REGISTRY_AUTH_FILE: `${cwd}/no-auth.json`,
      XDG_RUNTIME_DIR: cwd,
      HOME: cwd,
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

const REQUEST = /^> #(\d+) [A-Z]+ http:\/\/\S+$/;
const RESPONSE = /^< #(\d+) \d{3} [A-Z]+ http:\/\/\S+ \(\d+ ms\)$/;

/** `-v` output: only request/response lines, paired, and no secret. */
function assertLogged(run: Run, reg: RealRegistry): string[] {
  const lines = run.stderr.split("\n").filter((l) => l !== "");
  assert(lines.length >= 2, `no -v lines on stderr:\n${run.stderr}`);
  const open = new Set<string>();
  for (const line of lines) {
    const req = REQUEST.exec(line);
    const res = RESPONSE.exec(line);
    assert(req || res, `not a log line: ${line}`);
    if (req) open.add(req[1]);
    else {
      assert(open.delete(res![1]), `response without request: ${line}`);
    }
  }
  assertEquals(open.size, 0, "requests without a response line");
  assertNoSecret(run, reg);
  return lines;
}

function assertNoSecret(run: Run, reg: RealRegistry): void {
  const basic = btoa(`${reg.username}:${reg.password}`);
  for (const [name, text] of [["stdout", run.stdout], ["stderr", run.stderr]]) {
    assert(!text.includes(reg.password!), `${name} shows the password`);
    assert(!text.includes(basic), `${name} shows Basic credentials`);
    // A challenge (`Bearer realm=…`) is no secret; a credential is.
    assert(!/authorization|bearer (?!realm)|basic (?!realm)/i.test(text), text);
    assert(!text.includes("eyJ"), `${name} shows a token (JWT)`);
  }
}

/** Pushes an image of two layers as ex/app:1.0; returns its parts. */
async function seedImage(reg: RealRegistry) {
  const client = createClient({
    repo: `${reg.host}/ex/app`,
    username: reg.username,
    password: reg.password,
  });
  const config = encoder.encode('{"architecture":"amd64","os":"linux"}');
  const layers = [
    encoder.encode("first layer\n".repeat(1000)),
    encoder.encode("second layer\n"),
  ];
  for (const blob of [config, ...layers]) await client.blobUpload(blob);
  const manifest = {
    schemaVersion: 2 as const,
    mediaType: MEDIA_TYPE.OCI_MANIFEST,
    config: {
      mediaType: MEDIA_TYPE.OCI_CONFIG,
      digest: sha256(config),
      size: config.byteLength,
    },
    layers: layers.map((l) => ({
      mediaType: MEDIA_TYPE.OCI_LAYER,
      digest: sha256(l),
      size: l.byteLength,
    })),
  };
  const { digest } = await client.putManifest("1.0", manifest);
  return { config, layers, digest, manifest };
}

Deno.test({
  name:
    "examples/v2 run as ./examples/v2/NAME.ts -v against the real registry (token auth)",
  ignore: !CAN_RUN_SCRIPTS,
  async fn(t) {
    await using reg = await startRegistry({ mode: "token" });
    const image = await seedImage(reg);
    const dir = await Deno.makeTempDir({ prefix: "examples-" });
    const creds = ["-u", reg.username!, "-p", reg.password!];
    const app = `${reg.host}/ex/app`;
    try {
      await t.step(
        "ping.ts -v HOST: status, V2, schemes, headers",
        async () => {
          const run = await example("v2/ping.ts", ["-v", reg.host], dir);
          assertEquals(run.code, 0, run.stderr);
          const out = JSON.parse(run.stdout);
          assertEquals(
            [out.status, out.supportsV2, out.authSchemes],
            [401, true, ["bearer"]],
          );
          assertEquals(
            out.headers["docker-distribution-api-version"],
            "registry/2.0",
          );
          const lines = assertLogged(run, reg);
          assertEquals(lines[0], `> #1 GET http://${reg.host}/v2/`);
        },
      );

      await t.step("listTags.ts -v -u -p REPO: {name, tags}", async () => {
        const run = await example("v2/listTags.ts", ["-v", ...creds, app], dir);
        assertEquals(run.code, 0, run.stderr);
        assertEquals(JSON.parse(run.stdout), { name: "ex/app", tags: ["1.0"] });
        const lines = assertLogged(run, reg);
        assert(
          lines.some((l) =>
            l.includes("/token?") && l.includes("account=REDACTED")
          ),
        );
        assert(lines.some((l) => l.includes("/v2/ex/app/tags/list")));
      });

      await t.step(
        "listCatalog.ts -v HOST works with a bare registry",
        async () => {
          const run = await example(
            "v2/listCatalog.ts",
            ["-v", ...creds, reg.host],
            dir,
          );
          assertEquals(run.code, 0, run.stderr);
          assertEquals(JSON.parse(run.stdout), { repositories: ["ex/app"] });
          assertLogged(run, reg);
        },
      );

      await t.step(
        "getManifest.ts -v REPO:TAG: digest and manifest",
        async () => {
          const run = await example(
            "v2/getManifest.ts",
            ["-v", ...creds, `${app}:1.0`],
            dir,
          );
          assertEquals(run.code, 0, run.stderr);
          const out = JSON.parse(run.stdout);
          assertEquals(out.digest, image.digest);
          assertEquals(out.manifest, image.manifest);
          assertLogged(run, reg);
        },
      );

      await t.step("headBlob.ts -v REPO@DIGEST: size", async () => {
        const digest = sha256(image.layers[1]);
        const run = await example(
          "v2/headBlob.ts",
          ["-v", ...creds, `${app}@${digest}`],
          dir,
        );
        assertEquals(run.code, 0, run.stderr);
        assertEquals(JSON.parse(run.stdout).size, image.layers[1].byteLength);
        assertLogged(run, reg);
      });

      await t.step(
        "downloadBlob.ts -v REPO@DIGEST writes <12 hex>.blob",
        async () => {
          const digest = sha256(image.layers[0]);
          const run = await example(
            "v2/downloadBlob.ts",
            ["-v", ...creds, `${app}@${digest}`],
            dir,
          );
          assertEquals(run.code, 0, run.stderr);
          const file = `${digest.slice(7, 19)}.blob`;
          assertEquals(JSON.parse(run.stdout).path, file);
          assertEquals(await Deno.readFile(`${dir}/${file}`), image.layers[0]);
          assertLogged(run, reg);
        },
      );

      await t.step(
        "downloadImg.ts -v REPO:TAG downloads the whole image here",
        async () => {
          const run = await example(
            "v2/downloadImg.ts",
            ["-v", ...creds, `${app}:1.0`],
            dir,
          );
          assertEquals(run.code, 0, run.stderr);
          const slug = `127-0-0-1-${reg.host.split(":")[1]}-ex-app-1.0`;
          assertMatch(run.stdout, new RegExp(`^Repo: ${reg.host}/ex/app\n`));
          assertMatch(run.stdout, /Downloaded layer 2 of 2: /);
          assertMatch(run.stdout, new RegExp(`Digest: ${image.digest}\n$`));
          const manifest = await Deno.readTextFile(`${dir}/${slug}.manifest`);
          assertEquals(sha256(encoder.encode(manifest)), image.digest);
          assertEquals(
            await Deno.readFile(`${dir}/${slug}.config`),
            image.config,
          );
          for (const [i, layer] of image.layers.entries()) {
            const file = `${dir}/${slug}-${i + 1}.${
              sha256(layer).slice(7, 19)
            }.layer`;
            assertEquals(await Deno.readFile(file), layer);
          }
          assertLogged(run, reg);
        },
      );

      await t.step(
        "uploadBlob.ts -v REPO FILE and putManifest.ts REPO:TAG FILE",
        async () => {
          const blob = encoder.encode("uploaded by the example\n");
          await Deno.writeFile(`${dir}/blob.bin`, blob);
          const up = await example(
            "v2/uploadBlob.ts",
            ["-v", ...creds, app, "blob.bin"],
            dir,
          );
          assertEquals(up.code, 0, up.stderr);
          assertEquals(up.stdout.trim(), sha256(blob));
          assertLogged(up, reg);
          const manifest = encoder.encode(JSON.stringify({
            ...image.manifest,
            layers: [{
              mediaType: MEDIA_TYPE.OCI_LAYER,
              digest: sha256(blob),
              size: blob.byteLength,
            }],
          }));
          await Deno.writeFile(`${dir}/manifest.json`, manifest);
          const put = await example(
            "v2/putManifest.ts",
            ["-v", ...creds, `${app}:2.0`, "manifest.json"],
            dir,
          );
          assertEquals(put.code, 0, put.stderr);
          assertEquals(put.stdout.trim(), sha256(manifest));
          assertLogged(put, reg);
        },
      );

      await t.step(
        "login.ts -v -u -p HOST checks credentials for no scope",
        async () => {
          const run = await example(
            "v2/login.ts",
            ["-v", ...creds, reg.host],
            dir,
          );
          assertEquals(run.code, 0, run.stderr);
          assertEquals(JSON.parse(run.stdout), {
            scheme: "bearer",
            scopes: [],
          });
          assertLogged(run, reg);
        },
      );

      await t.step("deleteManifest.ts -v -y REPO:TAG deletes it", async () => {
        const run = await example(
          "v2/deleteManifest.ts",
          ["-v", "-y", ...creds, `${app}:2.0`],
          dir,
        );
        assertEquals(run.code, 0, run.stderr);
        assertEquals(JSON.parse(run.stdout), { deleted: `${app}:2.0` });
        assertLogged(run, reg);
      });

      await t.step(
        "listTags.ts -v without -u/-p: docker's config, under the shebang's permissions",
        async () => {
          await Deno.mkdir(`${dir}/.docker`, { recursive: true });
          await Deno.writeTextFile(
            `${dir}/.docker/config.json`,
            JSON.stringify({
              auths: {
                [reg.host]: { auth: btoa(`${reg.username}:${reg.password}`) },
              },
            }),
          );
          try {
            const run = await example("v2/listTags.ts", ["-v", app], dir);
            assertEquals(run.code, 0, run.stderr);
            assertEquals(JSON.parse(run.stdout).tags, ["1.0"]);
            assertLogged(run, reg);
          } finally {
            await Deno.remove(`${dir}/.docker`, { recursive: true });
          }
        },
      );

      await t.step(
        "a wrong password: exit 1, one error line after the log, no secret",
        async () => {
          const run = await example(
            "v2/listTags.ts",
            ["-v", "-u", reg.username!, "-p", "wrong-password", app],
            dir,
          );
          assertEquals(run.code, 1);
          assertEquals(run.stdout, "");
          const lines = run.stderr.trim().split("\n");
          assertMatch(lines.at(-1)!, /^error: /);
          assert(!run.stderr.includes("wrong-password"));
        },
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "every example exits 2 on bad usage and 0 on -h",
  ignore: !CAN_RUN_SCRIPTS,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "examples-usage-" });
    try {
      const scripts = [...Deno.readDirSync(`${ROOT}examples/v2`)]
        .map((e) => e.name)
        .filter((n) =>
          n.endsWith(".ts") && !n.startsWith("_") && !n.endsWith("_test.ts")
        )
        .map((n) => `v2/${n}`);
      for (const script of scripts.sort()) {
        await t.step(script, async () => {
          const bogus = await example(script, ["--bogus-flag", "a/b"], dir);
          assertEquals(bogus.code, 2, bogus.stderr);
          assertMatch(bogus.stderr, /^Usage: /);
          const tooMany = await example(script, ["a/b", "c/d", "e/f"], dir);
          assertEquals(tooMany.code, 2, tooMany.stderr);
          const help = await example(script, ["-h"], dir);
          assertEquals(help.code, 0, help.stderr);
          assertMatch(help.stdout, /-v, --verbose/);
        });
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "examples/parseIndex.ts and parseRepoAndTag.ts print what the seeds print",
  ignore: !CAN_RUN_SCRIPTS,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "examples-parse-" });
    try {
      const hub = await example(
        "parseIndex.ts",
        ["-v", "https://index.docker.io/v1/"],
        dir,
      );
      assertEquals(hub.code, 0, hub.stderr);
      assertEquals(
        hub.stdout,
        `{\n    "name": "docker.io",\n    "official": true\n}\n`,
      );
      const quay = await example("parseIndex.ts", ["https://quay.io"], dir);
      assertEquals(JSON.parse(quay.stdout), {
        scheme: "https",
        name: "quay.io",
        official: false,
      });
      const bad = await example("parseIndex.ts", ["foo"], dir);
      assertEquals(bad.code, 1);
      assertMatch(bad.stderr, /must look like a host/);
      const tag = await example("parseRepoAndTag.ts", ["busybox:1.36"], dir);
      assertEquals(tag.code, 0, tag.stderr);
      assertEquals(JSON.parse(tag.stdout).tag, "1.36");
      assertEquals(
        (await example("parseRepoAndTag.ts", [], dir)).code,
        2,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
