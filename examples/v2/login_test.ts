// examples/v2/login.ts as a subprocess against the real registry, with a
// temporary DOCKER_CONFIG: it checks credentials, saves them as `docker
// login` does (to the file, or through a credential helper), and a later run
// with no flags logs in with what was saved.

import { assert, assertEquals, assertMatch } from "@std/assert";
import {
  type AuthMode,
  type RealRegistry,
  startRegistry,
} from "../../test_support/real_registry.ts";

const SCRIPT = new URL("./login.ts", import.meta.url).pathname;
const CAN_RUN_SCRIPTS = Deno.build.os !== "windows";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** A temporary docker config directory and a bin directory for helpers. */
interface Home extends AsyncDisposable {
  root: string;
  /** `$DOCKER_CONFIG/config.json`. */
  config: string;
  /** Runs login.ts with these arguments (and stdin), in this environment. */
  login(args: string[], stdin?: string): Promise<Run>;
  /** docker's config as written, or undefined. */
  readConfig(): Promise<Record<string, unknown> | undefined>;
  /** Writes docker's config. */
  writeConfig(config: Record<string, unknown>): Promise<void>;
  /** Writes `bin/docker-credential-<name>` with this shell script body. */
  writeHelper(name: string, body: string): Promise<void>;
}

async function home(): Promise<Home> {
  const root = await Deno.makeTempDir({ prefix: "login-example-" });
  await Deno.mkdir(`${root}/docker`);
  await Deno.mkdir(`${root}/bin`);
  const config = `${root}/docker/config.json`;
  return {
    root,
    config,
    async login(args, stdin) {
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--no-prompt",
          "--allow-net=127.0.0.1",
          "--allow-read",
          "--allow-write",
          "--allow-env",
          "--allow-run",
          SCRIPT,
          ...args,
        ],
        env: {
          NO_COLOR: "1",
          DOCKER_CONFIG: `${root}/docker`,
          DOCKER_AUTH_CONFIG: "",
          REGISTRY_AUTH_FILE: `${root}/no-auth.json`,
          PATH: `${root}/bin:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
        },
        stdin: stdin === undefined ? "null" : "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      if (stdin !== undefined) {
        const writer = child.stdin.getWriter();
        await writer.write(new TextEncoder().encode(stdin));
        await writer.close();
      }
      const out = await child.output();
      const decoder = new TextDecoder();
      return {
        code: out.code,
        stdout: decoder.decode(out.stdout),
        stderr: decoder.decode(out.stderr),
      };
    },
    async readConfig() {
      try {
        return JSON.parse(await Deno.readTextFile(config));
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) return undefined;
        throw err;
      }
    },
    writeConfig: (value) => Deno.writeTextFile(config, JSON.stringify(value)),
    async writeHelper(name, body) {
      const file = `${root}/bin/docker-credential-${name}`;
      await Deno.writeTextFile(file, `#!/bin/sh\n${body}\n`);
      await Deno.chmod(file, 0o755);
    },
    async [Symbol.asyncDispose]() {
      await Deno.remove(root, { recursive: true });
    },
  };
}

/**
 * `docker-credential-store`: `store` keeps its input in a file, `get`
 * answers with it (helpers store and get the same JSON).
 */
async function writeStoringHelper(h: Home): Promise<void> {
  const kept = `${h.root}/bin/kept.json`;
  await h.writeHelper(
    "store",
    `case "$1" in
  store) cat > '${kept}' ;;
  get) cat >/dev/null
    if [ -f '${kept}' ]; then cat '${kept}'; else echo "credentials not found in native keychain"; exit 1; fi ;;
  *) exit 2 ;;
esac`,
  );
}

function assertNoPassword(run: Run, password: string): void {
  assert(!run.stdout.includes(password), "stdout shows the password");
  assert(!run.stderr.includes(password), "stderr shows the password");
}

/** What a successful login prints. */
function expectedLogin(reg: RealRegistry, repo: string) {
  return reg.mode === "token"
    ? { scheme: "bearer", scopes: [`repository:${repo}:pull`] }
    : { scheme: "basic", scopes: [] };
}

Deno.test("login.ts exits 2 on bad usage", async (t) => {
  await using h = await home();
  for (
    const args of [
      ["127.0.0.1:1/app", "127.0.0.1:1/other"],
      ["--save", "127.0.0.1:1/app"],
      ["-u", "bob", "--save", "127.0.0.1:1/app"],
      ["-u", "bob", "-p", "x", "--password-stdin", "127.0.0.1:1/app"],
      ["--bogus", "127.0.0.1:1/app"],
    ]
  ) {
    await t.step(args.join(" "), async () => {
      const run = await h.login(args, "");
      assertEquals(run.code, 2);
      assertMatch(run.stderr, /^Usage: login\.ts/);
      assertEquals(run.stdout, "");
    });
  }
  assertEquals(await h.readConfig(), undefined);
});

for (const mode of ["basic", "token"] as AuthMode[]) {
  Deno.test({
    name:
      `login.ts --save writes docker's config, and a run without flags uses it (real registry, ${mode} auth)`,
    ignore: !CAN_RUN_SCRIPTS,
    async fn(t) {
      await using reg = await startRegistry({ mode });
      const username = reg.username!;
      const password = reg.password!;
      const repo = "fixtures/app";
      const ref = `${reg.host}/${repo}`;
      const login = expectedLogin(reg, repo);
      const tokenAccounts = () => {
        const accounts = reg.tokenServer?.requests.map((r) => r.account);
        if (reg.tokenServer) reg.tokenServer.requests.length = 0;
        return accounts;
      };

      /** A later run without flags logs in with what was saved. */
      const assertLoginUsesSaved = async (h: Home) => {
        tokenAccounts();
        const again = await h.login([ref]);
        assertEquals(again.stderr, "");
        assertEquals(again.code, 0);
        assertEquals(JSON.parse(again.stdout), login);
        if (mode === "token") assertEquals(tokenAccounts(), [username]);
      };

      await t.step("without --save it checks and writes nothing", async () => {
        await using h = await home();
        const run = await h.login(["-u", username, "-p", password, ref]);
        assertEquals(run.stderr, "");
        assertEquals(run.code, 0);
        assertEquals(JSON.parse(run.stdout), login);
        assertEquals(await h.readConfig(), undefined);
      });

      await t.step(
        "--save writes auths[host].auth to a new file, mode 0600",
        async () => {
          await using h = await home();
          const run = await h.login([
            "-u",
            username,
            "--password-stdin",
            "--save",
            ref,
          ], `${password}\n`);
          assertEquals(run.stderr, "");
          assertEquals(run.code, 0);
          assertEquals(JSON.parse(run.stdout), {
            ...login,
            saved: { registry: reg.host, stored: "file", path: h.config },
          });
          assertNoPassword(run, password);
          assertEquals(await h.readConfig(), {
            auths: { [reg.host]: { auth: btoa(`${username}:${password}`) } },
          });
          assertEquals((await Deno.stat(h.config)).mode! & 0o777, 0o600);
          await assertLoginUsesSaved(h);
        },
      );

      await t.step(
        "--save hands the credentials to the helper the config names",
        async () => {
          await using h = await home();
          await writeStoringHelper(h);
          await h.writeConfig({ credsStore: "store" });
          const run = await h.login([
            "-u",
            username,
            "-p",
            password,
            "--save",
            ref,
          ]);
          assertEquals(run.stderr, "");
          assertEquals(run.code, 0);
          assertEquals(JSON.parse(run.stdout), {
            ...login,
            saved: {
              registry: reg.host,
              stored: "helper:store",
              path: h.config,
            },
          });
          assertEquals(
            JSON.parse(await Deno.readTextFile(`${h.root}/bin/kept.json`)),
            { ServerURL: reg.host, Username: username, Secret: password },
          );
          // docker leaves an empty placeholder; the secret is not in the file.
          assertEquals(await h.readConfig(), {
            credsStore: "store",
            auths: { [reg.host]: {} },
          });
          await assertLoginUsesSaved(h);
        },
      );

      await t.step(
        "a refused password exits 1, saves nothing and is not printed",
        async () => {
          await using h = await home();
          const wrong = "wrong-s3cr3t-password";
          const run = await h.login([
            "-u",
            username,
            "-p",
            wrong,
            "--save",
            ref,
          ]);
          assertEquals(run.code, 1);
          assertEquals(run.stdout, "");
          assertMatch(run.stderr, /^error: Cannot .*401/);
          assertNoPassword(run, wrong);
          assertEquals(await h.readConfig(), undefined);
        },
      );

      await t.step(
        "a broken helper exits 1 with a CredentialsError that hides the secret",
        async () => {
          await using h = await home();
          await h.writeHelper(
            "garbage",
            `cat >/dev/null; printf '{"Username":"${username}","Secret":"${password}"'`,
          );
          await h.writeConfig({ credsStore: "garbage" });
          const run = await h.login([ref]);
          assertEquals(run.code, 1);
          assertEquals(run.stdout, "");
          assertEquals(
            run.stderr,
            `error: Cannot get the credentials for "${reg.host}" from docker-credential-garbage: the answer is not valid JSON\n`,
          );
          assertNoPassword(run, password);
        },
      );
    },
  });
}
