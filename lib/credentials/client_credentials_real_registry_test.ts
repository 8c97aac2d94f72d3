// A client created with only a reference finds its credentials where docker
// and podman keep them, against the real registry (Debian's docker-registry)
// in Basic and token modes: docker's config (`auth`, `identitytoken`,
// `registrytoken`), `credHelpers` and `credsStore` (a fake
// `docker-credential-test` on PATH), podman's auth.json with namespace keys.
// Broken sources give a CredentialsError that holds no secret.
//
// The default chain reads the process environment, so every step sets HOME,
// DOCKER_CONFIG, REGISTRY_AUTH_FILE, XDG_RUNTIME_DIR, XDG_CONFIG_HOME,
// DOCKER_AUTH_CONFIG and PATH, and restores them afterwards. Steps run one at
// a time.

import { assert, assertEquals, assertRejects } from "@std/assert";
import { createClient, type RegistryClientV2 } from "../registry/client.ts";
import { AuthenticationError } from "../errors.ts";
import { defaultCredentialChain } from "./default_chain.ts";
import { type Fixtures, seedFixtures } from "../../test_support/fixtures.ts";
import {
  type AuthMode,
  type RealRegistry,
  startRegistry,
} from "../../test_support/real_registry.ts";
import {
  assertNoSecret,
  assertRejectsCredentialsError,
  CAN_RUN_SCRIPTS,
  writeConfigFile,
} from "./testdata/fake_helpers.ts";

const ENV_NAMES = [
  "HOME",
  "DOCKER_CONFIG",
  "DOCKER_AUTH_CONFIG",
  "REGISTRY_AUTH_FILE",
  "XDG_RUNTIME_DIR",
  "XDG_CONFIG_HOME",
  "PATH",
] as const;

type EnvName = typeof ENV_NAMES[number];

/** Runs `fn` with these variables set (and the others of ENV_NAMES unset). */
async function withEnv<T>(
  vars: Partial<Record<EnvName, string>>,
  fn: () => Promise<T>,
): Promise<T> {
  const saved = ENV_NAMES.map((name) => [name, Deno.env.get(name)] as const);
  try {
    for (const name of ENV_NAMES) {
      const value = vars[name];
      if (value === undefined) Deno.env.delete(name);
      else Deno.env.set(name, value);
    }
    return await fn();
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) Deno.env.delete(name);
      else Deno.env.set(name, value);
    }
  }
}

const b64 = (text: string) => btoa(text);

/** What a fake helper answers for one server URL. */
interface HelperAnswer {
  Username: string;
  Secret: string;
}

/**
 * A temporary HOME with docker's and podman's config locations and a bin
 * directory for fake helpers, first on PATH.
 */
interface Sandbox extends AsyncDisposable {
  root: string;
  /** `$DOCKER_CONFIG/config.json`. */
  dockerConfig: string;
  /** `$XDG_RUNTIME_DIR/containers/auth.json`. */
  runtimeAuth: string;
  /** The variables to run with. */
  env: Partial<Record<EnvName, string>>;
  /** Writes docker's config (an object as JSON, a string as is). */
  writeDockerConfig(config: unknown): Promise<string>;
  /** Writes `$XDG_RUNTIME_DIR/containers/auth.json`. */
  writeRuntimeAuth(config: unknown): Promise<string>;
  /**
   * Writes `docker-credential-<name>`: with answers, a helper that answers
   * `get` from them (and records the server URL it was asked for); with a
   * string, that shell script body.
   */
  writeHelper(
    name: string,
    behaviour: Record<string, HelperAnswer> | string,
  ): Promise<void>;
  /** The server URL `docker-credential-<name> get` last read. */
  lastGet(name: string): Promise<string>;
}

async function sandbox(): Promise<Sandbox> {
  const root = await Deno.makeTempDir({ prefix: "client-credentials-" });
  const home = `${root}/home`;
  const bin = `${root}/bin`;
  await Deno.mkdir(home, { recursive: true });
  await Deno.mkdir(bin, { recursive: true });
  const dockerConfig = `${root}/docker/config.json`;
  const runtimeAuth = `${root}/run/containers/auth.json`;
  return {
    root,
    dockerConfig,
    runtimeAuth,
    env: {
      HOME: home,
      DOCKER_CONFIG: `${root}/docker`,
      XDG_RUNTIME_DIR: `${root}/run`,
      XDG_CONFIG_HOME: `${home}/.config`,
      PATH: `${bin}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
    },
    writeDockerConfig: (config) => writeConfigFile(dockerConfig, config),
    writeRuntimeAuth: (config) => writeConfigFile(runtimeAuth, config),
    async writeHelper(name, behaviour) {
      let body: string;
      if (typeof behaviour === "string") {
        body = behaviour;
      } else {
        const cases = Object.entries(behaviour).map(([url, answer]) =>
          `  ${shellQuote(url)}) printf '%s\\n' ${
            shellQuote(JSON.stringify({ ServerURL: url, ...answer }))
          } ;;`
        );
        body = `[ "$1" = get ] || exit 2
input=$(cat)
printf '%s' "$input" > ${shellQuote(`${bin}/${name}.last-get`)}
case "$input" in
${cases.join("\n")}
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac`;
      }
      const file = `${bin}/docker-credential-${name}`;
      await Deno.writeTextFile(file, `#!/bin/sh\n${body}\n`);
      await Deno.chmod(file, 0o755);
    },
    lastGet: (name) => Deno.readTextFile(`${bin}/${name}.last-get`),
    async [Symbol.asyncDispose]() {
      await Deno.remove(root, { recursive: true });
    },
  };
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** A refresh token from the token server's OAuth2 password grant. */
async function refreshTokenFor(reg: RealRegistry): Promise<string> {
  const server = reg.tokenServer!;
  const res = await fetch(server.url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "password",
      username: reg.username!,
      password: reg.password!,
      service: server.service,
      client_id: "credentials-test",
    }),
  });
  const answer = await res.json();
  assertEquals(res.status, 200);
  assertEquals(typeof answer.refresh_token, "string");
  return answer.refresh_token;
}

/** A registry token for pull on `repo` and the catalog (token mode). */
async function registryTokenFor(
  reg: RealRegistry,
  repo: string,
): Promise<string> {
  const server = reg.tokenServer!;
  const url = new URL(server.url);
  url.searchParams.set("service", server.service);
  url.searchParams.append("scope", `repository:${repo}:pull`);
  url.searchParams.append("scope", "registry:catalog:*");
  const res = await fetch(url, {
    headers: {
      authorization: `Basic ${b64(`${reg.username}:${reg.password}`)}`,
    },
  });
  const answer = await res.json();
  assertEquals(res.status, 200);
  return answer.token;
}

const ignore = !CAN_RUN_SCRIPTS;

for (const mode of ["basic", "token"] as AuthMode[]) {
  Deno.test({
    name:
      `createClient() with only a reference uses docker's and podman's credentials (real registry, ${mode} auth)`,
    ignore,
    async fn(t) {
      await using reg = await startRegistry({ mode });
      const fx: Fixtures = await seedFixtures(reg, { tagCount: 5 });
      const host = reg.host;
      const username = reg.username!;
      const password = reg.password!;
      const repo = fx.manyTags.repo;
      const ref = `${host}/${repo}`;
      const right = { auth: b64(`${username}:${password}`) };
      const wrong = { auth: b64(`${username}:not-the-password`) };
      const tokenRequests = () => reg.tokenServer?.requests ?? [];
      const clearTokenRequests = () => {
        if (reg.tokenServer) reg.tokenServer.requests.length = 0;
      };

      /**
       * Proves the client used the registry's user: the catalog needs
       * authentication in both modes; in token mode the token server saw
       * the user.
       */
      const assertAuthenticated = async (
        client: RegistryClientV2,
        grantType?: string,
      ) => {
        clearTokenRequests();
        const tags = await client.listTags();
        assertEquals([...tags.tags].sort(), fx.manyTags.tags);
        const catalog = await client.listCatalog();
        assert(catalog.repositories.includes(repo));
        if (mode === "token") {
          const requests = tokenRequests();
          assert(requests.length > 0);
          for (const r of requests) {
            assertEquals(r.status, 200);
            assertEquals(r.account, username);
            assertEquals(r.grantType, grantType);
          }
          assert(
            requests.some((r) => r.granted.includes("registry:catalog:*")),
          );
        }
      };

      /** Proves the client went anonymous. */
      const assertAnonymous = async (client: RegistryClientV2) => {
        clearTokenRequests();
        if (mode === "basic") {
          const err = await assertRejects(
            () => client.listTags(),
            AuthenticationError,
          );
          assertEquals(err.status, 401);
          return;
        }
        const tags = await client.listTags();
        assertEquals([...tags.tags].sort(), fx.manyTags.tags);
        const requests = tokenRequests();
        assert(requests.length > 0);
        for (const r of requests) {
          assertEquals(r.method, "GET");
          assertEquals(r.account, undefined);
          assertEquals(r.granted, [`repository:${repo}:pull`]);
        }
      };

      /** Proves the client was refused with the wrong password. */
      const assertRefused = async (client: RegistryClientV2) => {
        clearTokenRequests();
        const err = await assertRejects(
          () => client.listTags(),
          AuthenticationError,
        );
        assertEquals(err.status, 401);
        assertNoSecret(err, [password, "not-the-password"]);
        if (mode === "token") {
          assert(
            tokenRequests().some((r) =>
              r.account === username && r.status === 401
            ),
          );
        }
      };

      /** Runs `fn` in a fresh sandbox with its environment. */
      const inSandbox = async (
        fn: (box: Sandbox) => Promise<void>,
        extra: Partial<Record<EnvName, string>> = {},
      ) => {
        await using box = await sandbox();
        await withEnv({ ...box.env, ...extra }, () => fn(box));
      };

      await t.step(
        "docker config: auths[host].auth (base64 user:password)",
        () =>
          inSandbox(async (box) => {
            await box.writeDockerConfig({
              auths: { [host]: right, "quay.io": wrong },
            });
            await assertAuthenticated(createClient({ repo: ref }));
          }),
      );

      await t.step(
        "docker config: a key with a scheme and a path, username/password fields",
        () =>
          inSandbox(async (box) => {
            await box.writeDockerConfig({
              auths: { [`http://${host}/v2/`]: { username, password } },
            });
            await assertAuthenticated(createClient({ repo: ref }));
          }),
      );

      for (
        const [step, config] of [
          [
            "docker config: credHelpers runs docker-credential-test for the host",
            {
              auths: { [host]: {} },
              credHelpers: { [host]: "test", "ghcr.io": "missing" },
              credsStore: "missing",
            },
          ],
          [
            "docker config: credsStore runs docker-credential-test",
            { auths: { [host]: {} }, credsStore: "test" },
          ],
        ] as const
      ) {
        await t.step(step, () =>
          inSandbox(async (box) => {
            await box.writeHelper("test", {
              [host]: { Username: username, Secret: password },
            });
            await box.writeDockerConfig(config);
            await assertAuthenticated(createClient({ repo: ref }));
            assertEquals(await box.lastGet("test"), host);
          }));
      }

      await t.step(
        "podman auth.json: the most specific namespace key wins",
        () =>
          inSandbox(async (box) => {
            await box.writeRuntimeAuth({
              auths: {
                [host]: wrong,
                [`${host}/fixtures`]: wrong,
                [`${host}/${repo}`]: right,
              },
            });
            await assertAuthenticated(createClient({ repo: ref }));
            // Another repository in the namespace gets the namespace's entry.
            await assertRefused(
              createClient({ repo: `${host}/${fx.multiLayer.repo}` }),
            );
          }),
      );

      await t.step(
        "podman auth.json: REGISTRY_AUTH_FILE is read instead",
        async () => {
          await using box = await sandbox();
          const file = `${box.root}/elsewhere/auth.json`;
          await writeConfigFile(file, { auths: { [host]: right } });
          await box.writeRuntimeAuth({ auths: { [host]: wrong } });
          await withEnv({ ...box.env, REGISTRY_AUTH_FILE: file }, async () => {
            await assertAuthenticated(createClient({ repo: ref }));
          });
        },
      );

      await t.step(
        "docker config comes before podman's auth.json",
        () =>
          inSandbox(async (box) => {
            await box.writeDockerConfig({ auths: { [host]: right } });
            await box.writeRuntimeAuth({ auths: { [host]: wrong } });
            await assertAuthenticated(createClient({ repo: ref }));
          }),
      );

      if (mode === "token") {
        await t.step(
          "docker config: identitytoken is used in the OAuth2 refresh flow",
          () =>
            inSandbox(async (box) => {
              const refreshToken = await refreshTokenFor(reg);
              await box.writeDockerConfig({
                auths: { [host]: { identitytoken: refreshToken } },
              });
              await assertAuthenticated(
                createClient({ repo: ref }),
                "refresh_token",
              );
            }),
        );

        await t.step(
          "credHelpers: the user name <token> makes the secret an identity token",
          () =>
            inSandbox(async (box) => {
              const refreshToken = await refreshTokenFor(reg);
              await box.writeHelper("test", {
                [host]: { Username: "<token>", Secret: refreshToken },
              });
              await box.writeDockerConfig({ credHelpers: { [host]: "test" } });
              await assertAuthenticated(
                createClient({ repo: ref }),
                "refresh_token",
              );
            }),
        );

        await t.step(
          "docker config: registrytoken is sent as the bearer token",
          () =>
            inSandbox(async (box) => {
              const token = await registryTokenFor(reg, repo);
              await box.writeDockerConfig({
                auths: { [host]: { registrytoken: token } },
              });
              clearTokenRequests();
              const client = createClient({ repo: ref });
              const tags = await client.listTags();
              assertEquals([...tags.tags].sort(), fx.manyTags.tags);
              const catalog = await client.listCatalog();
              assert(catalog.repositories.includes(repo));
              assertEquals(tokenRequests().length, 0);
            }),
        );
      }

      await t.step(
        "explicit username/password win over docker's config",
        () =>
          inSandbox(async (box) => {
            await box.writeDockerConfig({ auths: { [host]: wrong } });
            await assertAuthenticated(
              createClient({ repo: ref, username, password }),
            );
            await box.writeDockerConfig({ auths: { [host]: right } });
            await assertRefused(
              createClient({
                repo: ref,
                username,
                password: "not-the-password",
              }),
            );
            // The config is not even read.
            await box.writeDockerConfig("{not json");
            await assertAuthenticated(
              createClient({ repo: ref, username, password }),
            );
          }),
      );

      await t.step(
        "the credentials option wins over docker's config",
        () =>
          inSandbox(async (box) => {
            await box.writeDockerConfig({ auths: { [host]: wrong } });
            await assertAuthenticated(
              createClient({ repo: ref, credentials: { username, password } }),
            );
          }),
      );

      await t.step(
        "useDefaultCredentials: false ignores docker's config",
        () =>
          inSandbox(async (box) => {
            await box.writeDockerConfig({ auths: { [host]: right } });
            await assertAnonymous(
              createClient({ repo: ref, useDefaultCredentials: false }),
            );
          }),
      );

      await t.step(
        "nothing matching means anonymous (helpers of other registries are not run)",
        () =>
          inSandbox(async (box) => {
            await box.writeDockerConfig({
              auths: { "quay.io": right, [`${host}0`]: right },
              credHelpers: { "ghcr.io": "missing" },
            });
            await box.writeRuntimeAuth({
              auths: { [`${host}/other`]: right, "ghcr.io": right },
            });
            await assertAnonymous(createClient({ repo: ref }));
          }),
      );

      await t.step(
        "no config files at all means anonymous",
        () =>
          inSandbox(async () => {
            await assertAnonymous(createClient({ repo: ref }));
          }),
      );

      // ------------------------------------------------ broken sources

      const secrets = [password, b64(`${username}:${password}`)];
      const assertCredentialsError = (
        client: RegistryClientV2,
        message: string,
      ) =>
        assertRejectsCredentialsError(
          () => client.listTags(),
          message,
          secrets,
        );
      const helperError = (helper: string, problem: string) =>
        `Cannot get the credentials for "${host}" from docker-credential-${helper}: ${problem}`;

      const broken: {
        step: string;
        setup: (box: Sandbox) => Promise<unknown>;
        message: (box: Sandbox) => string;
      }[] = [
        {
          step: "a malformed docker config is a CredentialsError",
          setup: (box) =>
            box.writeDockerConfig(
              `{"auths": {"${host}": {"auth": "${
                b64(`${username}:${password}`)
              }"`,
            ),
          message: (box) =>
            `Cannot read docker config "${box.dockerConfig}": it is not valid JSON`,
        },
        {
          step: "an auth entry that is not base64 is a CredentialsError",
          setup: (box) =>
            box.writeDockerConfig({
              auths: { [host]: { auth: `${username}:${password}` } },
            }),
          message: (box) =>
            `Cannot read the credentials for "${host}" in docker config "${box.dockerConfig}": "auth" is not valid base64`,
        },
        {
          step: "credHelpers that is not an object is a CredentialsError",
          setup: (box) => box.writeDockerConfig({ credHelpers: "test" }),
          message: (box) =>
            `Cannot read docker config "${box.dockerConfig}": "credHelpers" is not a JSON object`,
        },
        {
          step: "a malformed podman auth.json is a CredentialsError",
          setup: (box) =>
            box.writeRuntimeAuth(
              `{"auths": {"${host}": {"auth": "${
                b64(`${username}:${password}`)
              }"}`,
            ),
          message: (box) =>
            `Cannot read containers auth file "${box.runtimeAuth}": it is not valid JSON`,
        },
        {
          step: "a missing helper binary is a CredentialsError",
          setup: (box) => box.writeDockerConfig({ credsStore: "missing" }),
          message: () =>
            helperError(
              "missing",
              "docker-credential-missing was not found on PATH",
            ),
        },
        {
          step: "a helper that prints garbage is a CredentialsError",
          setup: async (box) => {
            await box.writeHelper(
              "garbage",
              `cat >/dev/null; printf '{"Username":"${username}","Secret":"${password}"'`,
            );
            await box.writeDockerConfig({ credsStore: "garbage" });
          },
          message: () => helperError("garbage", "the answer is not valid JSON"),
        },
        {
          step: "a helper that fails is a CredentialsError without its output",
          setup: async (box) => {
            await box.writeHelper(
              "fail",
              `cat >/dev/null; echo '${password}'; echo 'pass: store is locked' >&2; exit 3`,
            );
            await box.writeDockerConfig({ credsStore: "fail" });
          },
          message: () =>
            helperError(
              "fail",
              "docker-credential-fail exited with code 3: pass: store is locked",
            ),
        },
      ];
      for (const { step, setup, message } of broken) {
        await t.step(step, () =>
          inSandbox(async (box) => {
            await setup(box);
            await assertCredentialsError(
              createClient({ repo: ref }),
              message(box),
            );
          }));
      }

      await t.step(
        "a helper that hangs is killed after the timeout: a CredentialsError",
        () =>
          inSandbox(async (box) => {
            // It sleeps for an hour: the call settling at all shows the
            // timeout reached the helper (credential_helper_test.ts checks
            // that the process is gone).
            await box.writeHelper("hang", "exec sleep 3600");
            await box.writeDockerConfig({ credHelpers: { [host]: "hang" } });
            await assertCredentialsError(
              createClient({
                repo: ref,
                credentials: defaultCredentialChain({ helperTimeoutMs: 300 }),
              }),
              helperError(
                "hang",
                "docker-credential-hang did not answer within 300 ms and was killed",
              ),
            );
          }),
      );
    },
  });
}
