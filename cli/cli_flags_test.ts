// dreg's global flags and messages, run as a subprocess against real
// registries: --version, -v/--debug (the request log, secrets redacted),
// logout, --password-stdin, errors that name the host (and for copy the
// side), and a token server's 401.

import { assert, assertEquals, assertMatch } from "@std/assert";
import { encodeBase64 } from "@std/encoding/base64";
import { pushImage } from "../lib/image/push.ts";
import { startRegistry } from "../test_support/real_registry.ts";
import { makeRandomImage } from "../test_support/random_image.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;
const dec = new TextDecoder();

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with its credential files under `home`. */
async function dreg(
  home: string,
  args: string[],
  options: { stdin?: string; path?: string } = {},
): Promise<CliResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    clearEnv: true,
    env: {
      PATH: options.path ?? Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: home,
      DOCKER_CONFIG: `${home}/docker`,
      REGISTRY_AUTH_FILE: `${home}/containers-auth.json`,
      XDG_RUNTIME_DIR: `${home}/run`,
      XDG_CONFIG_HOME: `${home}/config`,
      NO_COLOR: "1",
    },
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(options.stdin));
    await w.close();
  }
  const out = await child.output();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}

function ok(r: CliResult): CliResult {
  assertEquals(r.code, 0, `exit ${r.code}: ${r.stderr}`);
  return r;
}

/** Asserts a failure: the exit code, and its `error: …` line matches. */
function failed(r: CliResult, code: 1 | 2, pattern: RegExp): void {
  assertEquals(r.code, code, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assertMatch(r.stderr.split("\n")[0], pattern);
}

Deno.test("dreg --version prints the package's version and Deno's", async () => {
  const config = JSON.parse(
    await Deno.readTextFile(new URL("../deno.json", import.meta.url)),
  );
  const home = await Deno.makeTempDir({ prefix: "dreg-flags-" });
  try {
    assertEquals(
      ok(await dreg(home, ["--version"])).stdout,
      `dreg ${config.version} (${config.name})\ndeno ${Deno.version.deno}\n`,
    );
    assertMatch(ok(await dreg(home, ["--help"])).stdout, /--version/);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("dreg: -v, logout, --password-stdin, and errors that say where", async (t) => {
  await using open = await startRegistry({ mode: "anonymous" });
  await using locked = await startRegistry({ mode: "token" });
  const home = await Deno.makeTempDir({ prefix: "dreg-flags-" });
  const user = locked.username!;
  const pass = locked.password!;
  const creds = ["-u", user, "-p", pass];
  try {
    await makeRandomImage(`${home}/src`, "v1", 1, 2048);
    const digest = (await pushImage(`${home}/src:v1`, `${open.url}/app:v1`))
      .digest;

    await t.step(
      "--password-stdin on any command, and for one side",
      async () => {
        await Deno.remove(`${home}/docker`, { recursive: true }).catch(
          () => {},
        );
        ok(
          await dreg(
            home,
            [
              "copy",
              "--dest-creds",
              user,
              "--password-stdin",
              `${open.url}/app:v1`,
              `${locked.url}/copied:v1`,
            ],
            { stdin: `${pass}\n` },
          ),
        );
        const tags = ok(
          await dreg(home, [
            "tags",
            "-u",
            user,
            "--password-stdin",
            `${locked.url}/copied`,
          ], {
            stdin: pass,
          }),
        );
        assertEquals(tags.stdout, "v1\n");
        const digestOut = ok(
          await dreg(home, [
            "digest",
            "--password-stdin",
            "-u",
            user,
            `${locked.url}/copied:v1`,
          ], {
            stdin: `${pass}\r\n`,
          }),
        );
        assertEquals(digestOut.stdout.trim(), digest);
        failed(
          await dreg(
            home,
            ["tags", "--password-stdin", `${locked.url}/copied`],
            { stdin: pass },
          ),
          2,
          /^error: --password-stdin needs -u USER/,
        );
        failed(
          await dreg(home, [
            "tags",
            ...creds,
            "--password-stdin",
            `${locked.url}/copied`,
          ], {
            stdin: pass,
          }),
          2,
          /^error: -p and --password-stdin exclude each other/,
        );
        failed(
          await dreg(home, [
            "tags",
            "-u",
            user,
            "--password-stdin",
            `${locked.url}/copied`,
          ], {
            stdin: "\n",
          }),
          2,
          /^error: no password on stdin/,
        );
      },
    );

    await t.step("-v logs each request and response, no secret", async () => {
      for (
        const args of [["-v", "tags", ...creds], ["tags", "--debug", ...creds]]
      ) {
        const r = ok(await dreg(home, [...args, `${locked.url}/copied`]));
        assertEquals(r.stdout, "v1\n");
        const lines = r.stderr.split("\n").filter((l) => /^[<>] #/.test(l));
        assert(lines.length >= 4, r.stderr);
        assertMatch(lines[0], /^> #1 GET http:\/\/127\.0\.0\.1:\d+\/v2\/$/);
        assertMatch(
          lines[1],
          /^< #1 401 GET http:\/\/127\.0\.0\.1:\d+\/v2\/ \(\d+ ms\)$/,
        );
        assert(
          lines.some((l) => /^< #\d+ 200 GET .*\/token\?.*\(\d+ ms\)$/.test(l)),
          r.stderr,
        );
        for (const secret of [pass, encodeBase64(`${user}:${pass}`)]) {
          assertEquals(r.stderr.includes(secret), false, r.stderr);
        }
      }
      // Without -v: no log.
      const quiet = await dreg(home, ["tags", `${open.url}/app`]);
      assertEquals(ok(quiet).stderr, "");
    });

    await t.step(
      "errors name the host; copy says which side failed",
      async () => {
        const openHost = open.host.replaceAll(".", "\\.");
        const lockedHost = locked.host.replaceAll(".", "\\.");
        failed(
          await dreg(home, ["manifest", `${open.url}/app:nope`]),
          1,
          new RegExp(
            `^error: ${openHost}: Cannot get manifest "app:nope": registry returned 404`,
          ),
        );
        failed(
          await dreg(home, ["pull", `${open.url}/app:nope`, `${home}/nope`]),
          1,
          new RegExp(`^error: ${openHost}: Cannot .*404`),
        );
        // Registry to registry: the source's missing tag, the destination's 401.
        failed(
          await dreg(home, [
            "copy",
            `${open.url}/app:nope`,
            `${locked.url}/x:v1`,
          ]),
          1,
          new RegExp(
            `^error: source: ${openHost}: Cannot get manifest "app:nope"`,
          ),
        );
        failed(
          await dreg(home, [
            "copy",
            `${open.url}/app:v1`,
            `${locked.url}/x:v1`,
          ]),
          1,
          new RegExp(`^error: destination: ${lockedHost}: Cannot .*401`),
        );
        failed(
          await dreg(home, [
            "copy",
            "--src-creds",
            `${user}:wrong`,
            `${locked.url}/copied:v1`,
            `oci:${home}/out:v1`,
          ]),
          1,
          new RegExp(
            `^error: source: ${lockedHost}: .*the token server refused the credentials: 401`,
          ),
        );
        const refused = await dreg(home, ["tags", "http://127.0.0.1:9/app"]);
        failed(refused, 1, /^error: .*127\.0\.0\.1:9/);
      },
    );

    await t.step("a 401 from the token server says so", async () => {
      failed(
        await dreg(home, [
          "tags",
          "-u",
          user,
          "-p",
          "wrong",
          `${locked.url}/copied`,
        ]),
        1,
        new RegExp(
          `^error: ${
            locked.host.replaceAll(".", "\\.")
          }: Cannot get a token for repository:copied:pull from http://[^ ]+: the token server refused the credentials: 401`,
        ),
      );
    });

    await t.step("logout removes what login saved", async () => {
      ok(
        await dreg(
          home,
          ["login", "-u", user, "--password-stdin", locked.url],
          {
            stdin: `${pass}\n`,
          },
        ),
      );
      const config = `${home}/docker/config.json`;
      const before = JSON.parse(await Deno.readTextFile(config));
      assert(before.auths[locked.host]);
      ok(
        await dreg(home, [
          "copy",
          `${open.url}/app:v1`,
          `${locked.url}/again:v1`,
        ]),
      );
      const out = ok(await dreg(home, ["logout", locked.url]));
      assertEquals(
        out.stdout,
        `Removed the credentials for ${locked.host} from ${config}\n`,
      );
      assertEquals(JSON.parse(await Deno.readTextFile(config)).auths, {});
      // Pulls are open on this registry; pushes need the credentials.
      failed(
        await dreg(home, [
          "copy",
          `${open.url}/app:v1`,
          `${locked.url}/again:v1`,
        ]),
        1,
        /^error: destination: .*401/,
      );
      assertEquals(
        JSON.parse(
          ok(await dreg(home, ["logout", "--json", locked.url])).stdout,
        ),
        { registry: locked.host, removed: [] },
      );
      failed(
        await dreg(home, ["logout", "not a host"]),
        2,
        /^error: invalid registry/,
      );
    });

    await t.step(
      "logout asks docker's credential helper to erase",
      async () => {
        const bin = `${home}/bin`;
        await Deno.mkdir(bin, { recursive: true });
        const helper = `${bin}/docker-credential-rec`;
        await Deno.writeTextFile(
          helper,
          `#!/bin/sh\ncat > '${home}/erased-'"$1"\n`,
        );
        await Deno.chmod(helper, 0o755);
        await Deno.writeTextFile(
          `${home}/docker/config.json`,
          JSON.stringify({ credsStore: "rec", auths: { [locked.host]: {} } }),
        );
        const out = ok(
          await dreg(home, ["logout", locked.host], {
            path: `${bin}:${Deno.env.get("PATH")}`,
          }),
        );
        assertMatch(out.stdout, /from helper:rec, /);
        assertEquals(
          await Deno.readTextFile(`${home}/erased-erase`),
          locked.host,
        );
      },
    );
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
