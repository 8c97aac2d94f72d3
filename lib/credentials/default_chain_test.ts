import { assertEquals, assertRejects } from "@std/assert";
import { CredentialsError } from "../errors.ts";
import { defaultCredentialChain } from "./default_chain.ts";
import { tempDir } from "./testdata/fake_helpers.ts";

const b64 = (text: string) => btoa(text);

async function write(path: string, config: unknown): Promise<void> {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  await Deno.writeTextFile(
    path,
    typeof config === "string" ? config : JSON.stringify(config),
  );
}

Deno.test("defaultCredentialChain() asks docker's config first, then podman's auth.json", async () => {
  await using home = await tempDir();
  await write(`${home.path}/.docker/config.json`, {
    auths: { "quay.io": { auth: b64("docker:docker-s3cr3t") } },
  });
  await write(`${home.path}/.config/containers/auth.json`, {
    auths: {
      "quay.io": { auth: b64("podman:podman-s3cr3t") },
      "ghcr.io/org": { auth: b64("podman-gh:gh-s3cr3t") },
    },
  });
  const chain = defaultCredentialChain({ env: { HOME: home.path } });
  assertEquals(chain.name, "default");
  assertEquals(await chain.resolve({ registry: "quay.io" }), {
    username: "docker",
    password: "docker-s3cr3t",
  });
  assertEquals(
    await chain.resolve({ registry: "ghcr.io", repository: "org/app" }),
    { username: "podman-gh", password: "gh-s3cr3t" },
  );
  assertEquals(
    await chain.resolve({ registry: "ghcr.io", repository: "other/app" }),
    undefined,
  );
});

Deno.test("defaultCredentialChain() takes other file paths", async () => {
  await using dir = await tempDir();
  await write(`${dir.path}/docker.json`, {
    auths: { "quay.io": { auth: b64("docker:docker-s3cr3t") } },
  });
  await write(`${dir.path}/podman.json`, {
    auths: { "ghcr.io": { auth: b64("podman:podman-s3cr3t") } },
  });
  const chain = defaultCredentialChain({
    env: {},
    dockerConfigPath: `${dir.path}/docker.json`,
    containersAuthPath: `${dir.path}/podman.json`,
  });
  assertEquals(await chain.resolve({ registry: "quay.io" }), {
    username: "docker",
    password: "docker-s3cr3t",
  });
  assertEquals(await chain.resolve({ registry: "ghcr.io" }), {
    username: "podman",
    password: "podman-s3cr3t",
  });
});

Deno.test("defaultCredentialChain() stops at a malformed docker config", async () => {
  await using home = await tempDir();
  await write(`${home.path}/.docker/config.json`, "{not json");
  await write(`${home.path}/.config/containers/auth.json`, {
    auths: { "quay.io": { auth: b64("podman:podman-s3cr3t") } },
  });
  const err = await assertRejects(
    () =>
      defaultCredentialChain({ env: { HOME: home.path } }).resolve({
        registry: "quay.io",
      }),
    CredentialsError,
  );
  assertEquals(
    err.message,
    `Cannot read docker config "${home.path}/.docker/config.json": it is not valid JSON`,
  );
});
