import { assertEquals, assertRejects, assertThrows } from "@std/assert";
import { CredentialsError } from "../errors.ts";
import { dockerConfigProvider } from "./docker_config.ts";
import type { Credentials } from "./provider.ts";
import {
  assertRejectsCredentialsError,
  CAN_RUN_SCRIPTS,
  fakeHelpers,
  HELPER_SECRETS,
  tempDir,
  writeConfigFile,
} from "./testdata/fake_helpers.ts";

interface Vectors {
  name: string;
  config: unknown;
  cases: { registry: string; expected: Credentials | null }[];
}

const VECTORS: Vectors[] = JSON.parse(
  await Deno.readTextFile(
    new URL("./testdata/docker_config.json", import.meta.url),
  ),
);

const b64 = (text: string) => btoa(text);

const writeConfig = (dir: string, config: unknown) =>
  writeConfigFile(`${dir}/config.json`, config);

Deno.test("dockerConfigProvider() finds auths entries the way docker does", async (t) => {
  await using dir = await tempDir();
  for (const file of VECTORS) {
    const path = await writeConfig(dir.path, file.config);
    const provider = dockerConfigProvider({ path, env: {} });
    for (const { registry, expected } of file.cases) {
      await t.step(`${file.name}: ${registry}`, async () => {
        assertEquals(
          await provider.resolve({ registry, repository: "some/repo" }),
          expected ?? undefined,
        );
      });
    }
  }
});

Deno.test("dockerConfigProvider() reads $DOCKER_CONFIG/config.json before ~/.docker/config.json", async () => {
  await using home = await tempDir();
  await using custom = await tempDir();
  await writeConfig(`${home.path}/.docker`, {
    auths: { "quay.io": { auth: b64("home:home-s3cr3t") } },
  });
  await writeConfig(custom.path, {
    auths: { "quay.io": { auth: b64("custom:custom-s3cr3t") } },
  });
  const fromHome = dockerConfigProvider({ env: { HOME: home.path } });
  assertEquals(await fromHome.resolve({ registry: "quay.io" }), {
    username: "home",
    password: "home-s3cr3t",
  });
  const fromEnv = dockerConfigProvider({
    env: (name) =>
      ({ HOME: home.path, DOCKER_CONFIG: custom.path } as Record<
        string,
        string
      >)[
        name
      ],
  });
  assertEquals(await fromEnv.resolve({ registry: "quay.io" }), {
    username: "custom",
    password: "custom-s3cr3t",
  });
});

Deno.test("dockerConfigProvider() answers undefined without a config file", async () => {
  await using home = await tempDir();
  assertEquals(
    await dockerConfigProvider({ env: { HOME: home.path } }).resolve({
      registry: "docker.io",
    }),
    undefined,
  );
  assertEquals(
    await dockerConfigProvider({ env: {} }).resolve({ registry: "docker.io" }),
    undefined,
  );
  assertEquals(
    await dockerConfigProvider({ path: `${home.path}/nope.json` }).resolve({
      registry: "docker.io",
    }),
    undefined,
  );
});

Deno.test("dockerConfigProvider() reads an empty file as an empty config", async () => {
  await using dir = await tempDir();
  const path = await writeConfig(dir.path, "");
  assertEquals(
    await dockerConfigProvider({ path }).resolve({ registry: "docker.io" }),
    undefined,
  );
});

Deno.test("dockerConfigProvider() reports malformed files without their secrets", async (t) => {
  await using dir = await tempDir();
  const secret = "malformed-s3cr3t";
  const cases: [string, unknown, string][] = [
    [
      "invalid JSON",
      `{"auths": {"quay.io": {"auth": "${secret}"`,
      "it is not valid JSON",
    ],
    [
      "a top level that is not an object",
      `["${secret}"]`,
      "its top level is not a JSON object",
    ],
    [
      "auths not an object",
      { auths: [secret] },
      '"auths" is not a JSON object',
    ],
    [
      "credHelpers not strings",
      { credHelpers: { "quay.io": 5 }, auths: {} },
      '"credHelpers" entry "quay.io" is not a string',
    ],
  ];
  for (const [name, config, problem] of cases) {
    await t.step(name, async () => {
      const path = await writeConfig(dir.path, config);
      await assertRejectsCredentialsError(
        () => dockerConfigProvider({ path }).resolve({ registry: "quay.io" }),
        `Cannot read docker config "${path}": ${problem}`,
        [secret],
      );
    });
  }
});

Deno.test("dockerConfigProvider() reports a malformed auth entry without its secret", async (t) => {
  await using dir = await tempDir();
  const secret = "entry-s3cr3t";
  const cases: [string, unknown, string][] = [
    [
      "auth not base64",
      { auth: `!!${secret}!!` },
      '"auth" is not valid base64',
    ],
    [
      "auth without a colon",
      { auth: b64(`user${secret}`) },
      '"auth" does not decode to "user:password" (no ":")',
    ],
    [
      "auth with an empty user name",
      { auth: b64(`:${secret}`) },
      '"auth" decodes to an empty user name',
    ],
    ["auth not a string", { auth: 42 }, '"auth" is not a string'],
    [
      "an entry that is not an object",
      secret,
      "the entry is not a JSON object",
    ],
  ];
  for (const [name, entry, problem] of cases) {
    await t.step(name, async () => {
      const path = await writeConfig(dir.path, {
        auths: { "quay.io": entry, "ghcr.io": { auth: b64("ok:fine") } },
      });
      const provider = dockerConfigProvider({ path });
      await assertRejectsCredentialsError(
        () => provider.resolve({ registry: "quay.io" }),
        `Cannot read the credentials for "quay.io" in docker config "${path}": ${problem}`,
        [secret],
      );
      // Other registries still work.
      assertEquals(await provider.resolve({ registry: "ghcr.io" }), {
        username: "ok",
        password: "fine",
      });
    });
  }
});

Deno.test({
  name:
    "dockerConfigProvider() asks credHelpers[host] first, then credsStore, then auths",
  ignore: !CAN_RUN_SCRIPTS,
  async fn(t) {
    await using helpers = await fakeHelpers();
    await using dir = await tempDir();
    const env = { PATH: helpers.path };

    const answers: {
      step: string;
      config: unknown;
      registry: string;
      expected: Credentials | undefined;
      sent?: string;
    }[] = [
      {
        step: "credHelpers wins over credsStore",
        config: {
          credsStore: "missing",
          credHelpers: { "quay.io": "test" },
          auths: { "quay.io": { auth: b64("file:file-s3cr3t") } },
        },
        registry: "quay.io",
        expected: { identityToken: HELPER_SECRETS.quayToken },
        sent: "quay.io",
      },
      {
        step:
          "credsStore wins over auths, and sends docker's key for Docker Hub",
        config: {
          credsStore: "test",
          auths: { "https://index.docker.io/v1/": {} },
        },
        registry: "docker.io",
        expected: { username: "hubuser", password: HELPER_SECRETS.hub },
        sent: "https://index.docker.io/v1/",
      },
      {
        step: "a helper's 'not found' is final, even with an auths entry",
        config: {
          credsStore: "test",
          auths: { "ghcr.io": { auth: b64("file:file-s3cr3t") } },
        },
        registry: "ghcr.io",
        expected: undefined,
      },
      {
        step: "credHelpers keys with a scheme match their host",
        config: { credHelpers: { "https://quay.io": "test" } },
        registry: "quay.io",
        expected: { identityToken: HELPER_SECRETS.quayToken },
      },
      {
        step: "an empty credHelpers entry selects auths over credsStore",
        config: {
          credsStore: "missing",
          credHelpers: { "ghcr.io": "" },
          auths: { "ghcr.io": { auth: b64("file:file-s3cr3t") } },
        },
        registry: "ghcr.io",
        expected: { username: "file", password: "file-s3cr3t" },
      },
      {
        step: "a registry without a helper uses auths",
        config: {
          credHelpers: { "quay.io": "test" },
          auths: { "ghcr.io": { auth: b64("file:file-s3cr3t") } },
        },
        registry: "ghcr.io",
        expected: { username: "file", password: "file-s3cr3t" },
      },
    ];
    for (const { step, config, registry, expected, sent } of answers) {
      await t.step(step, async () => {
        const path = await writeConfig(dir.path, config);
        assertEquals(
          await dockerConfigProvider({ path, env }).resolve({ registry }),
          expected,
        );
        if (sent !== undefined) assertEquals(await helpers.lastGet(), sent);
      });
    }

    const failures: {
      step: string;
      config: unknown;
      helperTimeoutMs?: number;
      message: (path: string) => string;
    }[] = [
      {
        step: "a missing credsStore helper is an error",
        config: { credsStore: "missing" },
        message: () =>
          'Cannot get the credentials for "ghcr.io" from docker-credential-missing: docker-credential-missing was not found on PATH',
      },
      {
        step: "a hanging helper times out",
        config: { credsStore: "hang" },
        helperTimeoutMs: 150,
        message: () =>
          'Cannot get the credentials for "ghcr.io" from docker-credential-hang: docker-credential-hang did not answer within 150 ms and was killed',
      },
      {
        step: "a helper name that is a path is refused",
        config: { credsStore: "../../bin/sh" },
        message: (path) =>
          `Cannot read docker config "${path}": the credential helper name "../../bin/sh" is not a plain program-name suffix`,
      },
    ];
    for (const { step, config, helperTimeoutMs, message } of failures) {
      await t.step(step, async () => {
        const path = await writeConfig(dir.path, config);
        const err = await assertRejects(
          () =>
            dockerConfigProvider({ path, env, helperTimeoutMs }).resolve({
              registry: "ghcr.io",
            }),
          CredentialsError,
        );
        assertEquals(err.message, message(path));
      });
    }
  },
});

Deno.test("dockerConfigProvider() reads DOCKER_AUTH_CONFIG before the file", async () => {
  await using dir = await tempDir();
  await writeConfig(dir.path, {
    auths: {
      "quay.io": { auth: b64("file:file-s3cr3t") },
      "ghcr.io": { auth: b64("gh:gh-s3cr3t") },
    },
  });
  const env = {
    DOCKER_CONFIG: dir.path,
    DOCKER_AUTH_CONFIG: JSON.stringify({
      auths: { "quay.io": { auth: b64("env:env-s3cr3t") } },
    }),
  };
  const provider = dockerConfigProvider({ env });
  assertEquals(await provider.resolve({ registry: "quay.io" }), {
    username: "env",
    password: "env-s3cr3t",
  });
  assertEquals(await provider.resolve({ registry: "ghcr.io" }), {
    username: "gh",
    password: "gh-s3cr3t",
  });
  await assertRejectsCredentialsError(
    () =>
      dockerConfigProvider({
        env: { DOCKER_AUTH_CONFIG: '{"auths": {"quay.io": "env-s3cr3t"' },
      }).resolve({ registry: "quay.io" }),
    'Cannot read the environment variable "DOCKER_AUTH_CONFIG": it is not valid JSON',
    ["env-s3cr3t"],
  );
});

Deno.test("dockerConfigProvider() rejects a helper timeout that is not positive", () => {
  const err = assertThrows(
    () => dockerConfigProvider({ helperTimeoutMs: -1 }),
    TypeError,
  );
  assertEquals(err.message, "Invalid helperTimeoutMs -1: must be positive");
});
