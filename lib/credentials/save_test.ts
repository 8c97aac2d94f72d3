import { assertEquals, assertRejects } from "@std/assert";
import { CredentialsError } from "../errors.ts";
import { dockerConfigProvider } from "./docker_config.ts";
import { removeDockerCredentials, saveDockerCredentials } from "./save.ts";
import {
  assertRejectsCredentialsError,
  CAN_RUN_SCRIPTS,
  fakeHelpers,
  HELPER_SECRETS,
  tempDir,
  writeConfigFile,
} from "./testdata/fake_helpers.ts";

const b64 = (text: string) => btoa(text);
const isPosix = Deno.build.os !== "windows";

async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await Deno.readTextFile(path));
}

Deno.test("saveDockerCredentials() creates ~/.docker/config.json with mode 0600", async () => {
  await using home = await tempDir();
  const saved = await saveDockerCredentials(
    "127.0.0.1:5000",
    { username: "bob", password: "pa:ss" },
    { env: { HOME: home.path } },
  );
  const path = `${home.path}/.docker/config.json`;
  assertEquals(saved, { stored: "file", path });
  assertEquals(await readJson(path), {
    auths: { "127.0.0.1:5000": { auth: b64("bob:pa:ss") } },
  });
  if (isPosix) {
    assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
    assertEquals(
      (await Deno.stat(`${home.path}/.docker`)).mode! & 0o777,
      0o700,
    );
  }
  assertEquals(
    await dockerConfigProvider({ env: { HOME: home.path } }).resolve({
      registry: "127.0.0.1:5000",
    }),
    { username: "bob", password: "pa:ss" },
  );
});

Deno.test("saveDockerCredentials() files Docker Hub under https://index.docker.io/v1/ in $DOCKER_CONFIG", async () => {
  await using dir = await tempDir();
  const saved = await saveDockerCredentials(
    "docker.io",
    { username: "hubuser", password: "hub-s3cr3t" },
    { env: { DOCKER_CONFIG: `${dir.path}/cfg`, HOME: "/nonexistent" } },
  );
  assertEquals(saved, {
    stored: "file",
    path: `${dir.path}/cfg/config.json`,
  });
  assertEquals(await readJson(`${dir.path}/cfg/config.json`), {
    auths: {
      "https://index.docker.io/v1/": { auth: b64("hubuser:hub-s3cr3t") },
    },
  });
});

Deno.test("saveDockerCredentials() keeps the file's other keys and entries", async () => {
  await using dir = await tempDir();
  const path = await writeConfigFile(`${dir.path}/config.json`, {
    auths: {
      "ghcr.io": { auth: b64("gh:gh-s3cr3t") },
      "quay.io": { auth: b64("old:old-s3cr3t"), email: "old@example.com" },
    },
    psFormat: "table {{.ID}}",
    proxies: { default: { httpProxy: "http://proxy:3128" } },
  });
  if (isPosix) await Deno.chmod(path, 0o640);
  await saveDockerCredentials("quay.io", {
    username: "new",
    password: "new-s3cr3t",
  }, { path });
  assertEquals(await readJson(path), {
    auths: {
      "ghcr.io": { auth: b64("gh:gh-s3cr3t") },
      "quay.io": { auth: b64("new:new-s3cr3t") },
    },
    psFormat: "table {{.ID}}",
    proxies: { default: { httpProxy: "http://proxy:3128" } },
  });
  if (isPosix) assertEquals((await Deno.stat(path)).mode! & 0o777, 0o640);
  const leftovers = [...Deno.readDirSync(dir.path)].map((e) => e.name);
  assertEquals(leftovers, ["config.json"]);
});

Deno.test({
  name:
    "saveDockerCredentials() stores through credsStore and leaves docker's placeholder",
  ignore: !CAN_RUN_SCRIPTS,
  async fn() {
    await using helpers = await fakeHelpers();
    await using dir = await tempDir();
    const path = await writeConfigFile(`${dir.path}/config.json`, {
      credsStore: "test",
      auths: {
        "https://index.docker.io/v1/": { auth: b64("old:old-s3cr3t") },
      },
    });
    const saved = await saveDockerCredentials("docker.io", {
      username: "hubuser",
      password: "new-s3cr3t",
    }, { path, env: { PATH: helpers.path } });
    assertEquals(saved, { stored: "helper:test", path });
    assertEquals(JSON.parse((await helpers.lastStore())!), {
      ServerURL: "https://index.docker.io/v1/",
      Username: "hubuser",
      Secret: "new-s3cr3t",
    });
    assertEquals(await readJson(path), {
      credsStore: "test",
      auths: { "https://index.docker.io/v1/": {} },
    });
  },
});

Deno.test({
  name: "saveDockerCredentials() prefers credHelpers[host] over credsStore",
  ignore: !CAN_RUN_SCRIPTS,
  async fn() {
    await using helpers = await fakeHelpers();
    await using dir = await tempDir();
    const config = {
      credsStore: "missing",
      credHelpers: { "quay.io": "test" },
      auths: { "quay.io": {} },
    };
    const path = await writeConfigFile(`${dir.path}/config.json`, config);
    const saved = await saveDockerCredentials("quay.io", {
      username: "bob",
      password: "quay-s3cr3t",
    }, { path, env: { PATH: helpers.path } });
    assertEquals(saved, { stored: "helper:test", path });
    assertEquals(
      JSON.parse((await helpers.lastStore())!).ServerURL,
      "quay.io",
    );
    assertEquals(await readJson(path), config);
  },
});

Deno.test({
  name:
    "saveDockerCredentials() reports a failing store without the secret it sent",
  ignore: !CAN_RUN_SCRIPTS,
  async fn() {
    await using helpers = await fakeHelpers();
    await using dir = await tempDir();
    const path = await writeConfigFile(`${dir.path}/config.json`, {
      credsStore: "leakystore",
    });
    await assertRejectsCredentialsError(
      () =>
        saveDockerCredentials("quay.io", {
          username: "bob",
          password: "leaky-s3cr3t",
        }, { path, env: { PATH: helpers.path } }),
      'Cannot store the credentials for "quay.io" with docker-credential-leakystore: docker-credential-leakystore exited with code 1',
      ["leaky-s3cr3t"],
    );
    assertEquals(await readJson(path), { credsStore: "leakystore" });
  },
});

Deno.test("saveDockerCredentials() refuses a malformed config file without touching it", async () => {
  await using dir = await tempDir();
  const path = await writeConfigFile(`${dir.path}/config.json`, '{"auths": {');
  const err = await assertRejects(
    () =>
      saveDockerCredentials("quay.io", { username: "a", password: "b" }, {
        path,
      }),
    CredentialsError,
  );
  assertEquals(
    err.message,
    `Cannot read docker config "${path}": it is not valid JSON`,
  );
  assertEquals(await Deno.readTextFile(path), '{"auths": {');
});

Deno.test("saveDockerCredentials() rejects bad arguments", async (t) => {
  const cases: [
    string,
    string,
    { username: string; password: string },
    string,
  ][] = [
    [
      "empty registry",
      "",
      { username: "a", password: "b" },
      "The registry must be a non-empty string",
    ],
    [
      "empty username",
      "quay.io",
      { username: "", password: "b" },
      "The username must be a non-empty string",
    ],
    [
      "colon in username",
      "quay.io",
      { username: "a:b", password: "c" },
      'The username must not contain ":"',
    ],
    [
      "empty password",
      "quay.io",
      { username: "a", password: "" },
      "The password must be a non-empty string",
    ],
  ];
  for (const [name, registry, credentials, message] of cases) {
    await t.step(name, async () => {
      const err = await assertRejects(
        () => saveDockerCredentials(registry, credentials, { env: {} }),
        TypeError,
      );
      assertEquals(err.message, message);
    });
  }
  await t.step("no HOME and no DOCKER_CONFIG", async () => {
    const err = await assertRejects(
      () =>
        saveDockerCredentials("quay.io", { username: "a", password: "b" }, {
          env: {},
        }),
      CredentialsError,
    );
    assertEquals(
      err.message,
      "Cannot find docker's config file: neither DOCKER_CONFIG nor HOME is set",
    );
  });
});

Deno.test("removeDockerCredentials() removes the registry's entries from docker's config and podman's auth.json", async () => {
  await using dir = await tempDir();
  const docker = await writeConfigFile(`${dir.path}/docker/config.json`, {
    auths: {
      "127.0.0.1:5000": { auth: b64("bob:s3cr3t") },
      "http://127.0.0.1:5000": { auth: b64("bob:old") },
      "https://127.0.0.1:5000/v2/": { auth: b64("bob:older") },
      "quay.io": { auth: b64("q:keep") },
    },
    credsStore: "",
    HttpHeaders: { "X-Meta": "kept" },
  });
  if (isPosix) await Deno.chmod(docker, 0o640);
  const podman = await writeConfigFile(`${dir.path}/containers/auth.json`, {
    auths: {
      "127.0.0.1:5000": { auth: b64("bob:s3cr3t") },
      "127.0.0.1:5000/team/app": { auth: b64("bob:repo-only") },
      "quay.io": { auth: b64("q:keep") },
    },
  });
  const env = {
    DOCKER_CONFIG: `${dir.path}/docker`,
    REGISTRY_AUTH_FILE: podman,
    HOME: "/nonexistent",
  };
  const result = await removeDockerCredentials("127.0.0.1:5000", { env });
  assertEquals(result, { removed: [docker, podman] });
  assertEquals(await readJson(docker), {
    auths: { "quay.io": { auth: b64("q:keep") } },
    credsStore: "",
    HttpHeaders: { "X-Meta": "kept" },
  });
  if (isPosix) assertEquals((await Deno.stat(docker)).mode! & 0o777, 0o640);
  assertEquals(await readJson(podman), {
    auths: {
      "127.0.0.1:5000/team/app": { auth: b64("bob:repo-only") },
      "quay.io": { auth: b64("q:keep") },
    },
  });
  assertEquals(
    await dockerConfigProvider({ env }).resolve({ registry: "127.0.0.1:5000" }),
    undefined,
  );
  // Nothing left: nothing removed, nothing rewritten, no error.
  const before = await Deno.stat(docker);
  assertEquals(await removeDockerCredentials("127.0.0.1:5000", { env }), {
    removed: [],
  });
  assertEquals((await Deno.stat(docker)).mtime, before.mtime);
});

Deno.test("removeDockerCredentials() with no config file removes nothing and creates none", async () => {
  await using dir = await tempDir();
  assertEquals(
    await removeDockerCredentials("docker.io", {
      env: { HOME: dir.path, XDG_RUNTIME_DIR: `${dir.path}/run` },
    }),
    { removed: [] },
  );
  assertEquals([...Deno.readDirSync(dir.path)], []);
  await assertRejects(
    () => removeDockerCredentials(" "),
    TypeError,
    "The registry must be a non-empty string",
  );
});

Deno.test({
  name:
    "removeDockerCredentials() asks the configured helper to erase, with docker's server URL on stdin",
  ignore: !CAN_RUN_SCRIPTS,
  async fn() {
    await using helpers = await fakeHelpers();
    await using dir = await tempDir();
    const path = await writeConfigFile(`${dir.path}/config.json`, {
      auths: { "https://index.docker.io/v1/": {} },
      credsStore: "test",
      credHelpers: { "quay.io": "notfound" },
    });
    const none = `${dir.path}/no-auth.json`;
    const env = { PATH: helpers.path };
    assertEquals(
      await removeDockerCredentials("docker.io", {
        path,
        containersAuthPath: none,
        env,
      }),
      { removed: ["helper:test", path] },
    );
    assertEquals(await helpers.lastErase(), "https://index.docker.io/v1/");
    assertEquals((await readJson(path)).auths, {});
    // A helper that holds nothing for the server: not an error.
    assertEquals(
      await removeDockerCredentials("quay.io", {
        path,
        containersAuthPath: none,
        env,
      }),
      { removed: [] },
    );
    const failing = await writeConfigFile(`${dir.path}/fail.json`, {
      credHelpers: { "quay.io": "fail" },
    });
    await assertRejectsCredentialsError(
      () =>
        removeDockerCredentials("quay.io", {
          path: failing,
          containersAuthPath: none,
          env,
        }),
      'Cannot erase the credentials for "quay.io" with docker-credential-fail: docker-credential-fail exited with code 3: gpg: decryption failed',
      [HELPER_SECRETS.failStdout],
    );
  },
});

Deno.test("saveDockerCredentials() removes the temporary config file a killed writer left, and no live writer's", async () => {
  await using dir = await tempDir();
  const child = new Deno.Command("true").spawn();
  await child.status;
  const start = (Date.now() - 60_000).toString(36);
  const cfg = `${dir.path}/cfg`;
  await Deno.mkdir(cfg);
  // A writer that was killed (its process is gone), and one still running
  // (this process, as another save would be).
  const stale = `.config.json.tmp-${child.pid}-${start}-0123abcd`;
  const live = `.config.json.tmp-${Deno.pid}-${
    Math.floor(performance.timeOrigin).toString(36)
  }-0123abcd`;
  await Deno.writeTextFile(`${cfg}/${stale}`, '{"auths":{}}');
  await Deno.writeTextFile(`${cfg}/${live}`, '{"auths":{}}');
  await saveDockerCredentials(
    "127.0.0.1:5000",
    { username: "bob", password: "pw" },
    { env: { DOCKER_CONFIG: cfg, HOME: "/nonexistent" } },
  );
  const names = [...Deno.readDirSync(cfg)].map((e) => e.name).sort();
  assertEquals(names, [live, "config.json"].sort());
  assertEquals(await readJson(`${cfg}/config.json`), {
    auths: { "127.0.0.1:5000": { auth: b64("bob:pw") } },
  });
});
