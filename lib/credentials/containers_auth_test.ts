import { assertEquals } from "@std/assert";
import { containersAuthProvider } from "./containers_auth.ts";
import type { CredentialRequest, Credentials } from "./provider.ts";
import {
  assertRejectsCredentialsError,
  CAN_RUN_SCRIPTS,
  fakeHelpers,
  HELPER_SECRETS,
  tempDir,
  writeConfigFile as writeAuth,
} from "./testdata/fake_helpers.ts";

interface Vectors {
  config: unknown;
  cases: {
    registry: string;
    repository?: string;
    expected: Credentials | null;
  }[];
}

const VECTORS: Vectors = JSON.parse(
  await Deno.readTextFile(
    new URL("./testdata/containers_auth.json", import.meta.url),
  ),
);

const b64 = (text: string) => btoa(text);

Deno.test("containersAuthProvider() prefers the most specific auths key", async (t) => {
  await using dir = await tempDir();
  const path = await writeAuth(`${dir.path}/auth.json`, VECTORS.config);
  const provider = containersAuthProvider({ path, env: {} });
  for (const { registry, repository, expected } of VECTORS.cases) {
    await t.step(`${registry} ${repository ?? "(no repository)"}`, async () => {
      assertEquals(
        await provider.resolve({ registry, repository }),
        expected ?? undefined,
      );
    });
  }
});

Deno.test({
  name:
    "containersAuthProvider() reads $XDG_RUNTIME_DIR's file, then ~/.config's",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using home = await tempDir();
    await using runtime = await tempDir();
    await writeAuth(`${runtime.path}/containers/auth.json`, {
      auths: { "quay.io": { auth: b64("runtime:runtime-s3cr3t") } },
    });
    await writeAuth(`${home.path}/.config/containers/auth.json`, {
      auths: {
        "quay.io": { auth: b64("config:config-s3cr3t") },
        "ghcr.io": { auth: b64("gh:gh-s3cr3t") },
      },
    });
    const env = { HOME: home.path, XDG_RUNTIME_DIR: runtime.path };
    const provider = containersAuthProvider({ env });
    assertEquals(await provider.resolve({ registry: "quay.io" }), {
      username: "runtime",
      password: "runtime-s3cr3t",
    });
    assertEquals(await provider.resolve({ registry: "ghcr.io" }), {
      username: "gh",
      password: "gh-s3cr3t",
    });
    const withoutRuntime = containersAuthProvider({ env: { HOME: home.path } });
    assertEquals(await withoutRuntime.resolve({ registry: "quay.io" }), {
      username: "config",
      password: "config-s3cr3t",
    });
  },
});

Deno.test("containersAuthProvider() reads only $REGISTRY_AUTH_FILE when it is set", async () => {
  await using home = await tempDir();
  await writeAuth(`${home.path}/.config/containers/auth.json`, {
    auths: { "ghcr.io": { auth: b64("gh:gh-s3cr3t") } },
  });
  const explicit = await writeAuth(`${home.path}/mine.json`, {
    auths: { "quay.io": { auth: b64("mine:mine-s3cr3t") } },
  });
  const provider = containersAuthProvider({
    env: { HOME: home.path, REGISTRY_AUTH_FILE: explicit },
  });
  assertEquals(await provider.resolve({ registry: "quay.io" }), {
    username: "mine",
    password: "mine-s3cr3t",
  });
  assertEquals(await provider.resolve({ registry: "ghcr.io" }), undefined);
});

Deno.test("containersAuthProvider() does not read docker's config", async () => {
  await using home = await tempDir();
  await writeAuth(`${home.path}/.docker/config.json`, {
    auths: { "quay.io": { auth: b64("docker:docker-s3cr3t") } },
  });
  const provider = containersAuthProvider({
    env: { HOME: home.path, DOCKER_CONFIG: `${home.path}/.docker` },
  });
  assertEquals(await provider.resolve({ registry: "quay.io" }), undefined);
});

Deno.test("containersAuthProvider() answers undefined without any file", async () => {
  await using home = await tempDir();
  assertEquals(
    await containersAuthProvider({ env: { HOME: home.path } }).resolve({
      registry: "quay.io",
    }),
    undefined,
  );
  assertEquals(
    await containersAuthProvider({ env: {} }).resolve({ registry: "quay.io" }),
    undefined,
  );
});

Deno.test("containersAuthProvider() reports a malformed file without its secrets", async (t) => {
  await using dir = await tempDir();
  const secret = "podman-s3cr3t";
  const cases: {
    step: string;
    config: unknown;
    request: CredentialRequest;
    message: (path: string) => string;
  }[] = [
    {
      step: "invalid JSON",
      config: `{"auths":{"quay.io":{"auth":"${secret}"}`,
      request: { registry: "quay.io" },
      message: (path) =>
        `Cannot read containers auth file "${path}": it is not valid JSON`,
    },
    {
      step: "auth without a colon",
      config: { auths: { "quay.io/org": { auth: b64(secret) } } },
      request: { registry: "quay.io", repository: "org/repo" },
      message: (path) =>
        `Cannot read the credentials for "quay.io/org" in containers auth file "${path}": "auth" does not decode to "user:password" (no ":")`,
    },
  ];
  for (const { step, config, request, message } of cases) {
    await t.step(step, async () => {
      const path = await writeAuth(`${dir.path}/auth.json`, config);
      await assertRejectsCredentialsError(
        () => containersAuthProvider({ path }).resolve(request),
        message(path),
        [secret],
      );
    });
  }
});

Deno.test({
  name:
    "containersAuthProvider() uses credHelpers, sending the registry as podman does",
  ignore: !CAN_RUN_SCRIPTS,
  async fn() {
    await using helpers = await fakeHelpers();
    await using dir = await tempDir();
    const path = await writeAuth(`${dir.path}/auth.json`, {
      credHelpers: { "quay.io": "test", "docker.io": "test" },
      auths: {
        "quay.io": { auth: b64("file:file-s3cr3t") },
        "docker.io": { auth: b64("hubfile:hubfile-s3cr3t") },
      },
    });
    const provider = containersAuthProvider({
      path,
      env: { PATH: helpers.path },
    });
    assertEquals(
      await provider.resolve({ registry: "quay.io", repository: "org/repo" }),
      { identityToken: HELPER_SECRETS.quayToken },
    );
    assertEquals(await helpers.lastGet(), "quay.io");
    // The fake helper knows Docker Hub only as https://index.docker.io/v1/.
    assertEquals(
      await provider.resolve({
        registry: "docker.io",
        repository: "library/alpine",
      }),
      undefined,
    );
    assertEquals(await helpers.lastGet(), "docker.io");
  },
});
