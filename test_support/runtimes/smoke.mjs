// The smoke suite for Node and Bun: the library as those runtimes import it
// (see bundle.ts) against real registries started by smoke_test.ts — list
// tags, pull to a layout, push, blobs from and to files, credentials from a
// docker config file and a credential helper, saving and removing
// credentials, typed errors.
//
// Plain JavaScript, no dependencies: `node smoke.mjs CONFIG_JSON` or
// `bun smoke.mjs CONFIG_JSON`, where CONFIG_JSON is a file holding
// { runtime, mod, credentials, work, open: { url, repo, tag, digest },
//   basic: { url, host, username, password } }; DOCKER_CONFIG must point at
// a directory whose config.json holds the basic registry's credentials.
// Prints one `ok`/`not ok` line per check and exits 1 when one failed.

import assert from "node:assert/strict";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";

const config = JSON.parse(await readFile(process.argv[2], "utf8"));
const lib = await import(config.mod);
const creds = await import(config.credentials);
const { open, basic, work, runtime } = config;
const openRef = `${open.url}/${open.repo}`;

const checks = [];
function check(name, fn) {
  checks.push({ name, fn });
}

check("list tags", async () => {
  const client = lib.createClient({ repo: openRef });
  const list = await client.listTags();
  client.close();
  assert.deepEqual(list.tags, [open.tag]);
});

check("pull to a layout", async () => {
  const result = await lib.pullImage(
    `${openRef}:${open.tag}`,
    join(work, "pulled"),
  );
  assert.equal(result.digest, open.digest);
  const index = JSON.parse(
    await readFile(join(work, "pulled", "index.json"), "utf8"),
  );
  assert.equal(index.manifests[0].digest, open.digest);
});

check("push with credentials from DOCKER_CONFIG", async () => {
  const ref = `${basic.url}/smoke/${runtime}:v1`;
  const result = await lib.pushImage(
    `${join(work, "pulled")}:${open.tag}`,
    ref,
  );
  assert.equal(result.digest, open.digest);
  const client = lib.createClient({ repo: `${basic.url}/smoke/${runtime}` });
  assert.deepEqual((await client.listTags()).tags, ["v1"]);
  assert.equal((await client.headManifest("v1")).digest, open.digest);
  client.close();
});

check("downloadBlob and blobUpload(path)", async () => {
  const from = lib.createClient({ repo: openRef });
  const { manifest } = await from.getManifest(open.tag);
  const path = join(work, "config.blob");
  const got = await from.downloadBlob(manifest.config.digest, path);
  assert.equal(got.size, manifest.config.size);
  const to = lib.createClient({
    repo: `${basic.url}/smoke/${runtime}-blobs`,
    username: basic.username,
    password: basic.password,
  });
  const sent = await to.blobUpload(path);
  assert.equal(sent.digest, manifest.config.digest);
  assert.equal((await to.headBlob(sent.digest)).size, manifest.config.size);
  from.close();
  to.close();
});

check("a credential helper (node:child_process)", async () => {
  const dir = join(work, "helper");
  await mkdir(dir, { recursive: true });
  const helper = join(dir, "docker-credential-smoke");
  await writeFile(
    helper,
    '#!/bin/sh\nread server\nprintf \'{"ServerURL":"%s","Username":"hu","Secret":"hs"}\' "$server"\n',
  );
  await chmod(helper, 0o755);
  const file = join(dir, "config.json");
  await writeFile(
    file,
    JSON.stringify({ credHelpers: { "quay.io": "smoke" } }),
  );
  const provider = creds.dockerConfigProvider({
    path: file,
    env: { PATH: `${dir}:${process.env.PATH}` },
  });
  assert.deepEqual(await provider.resolve({ registry: "quay.io" }), {
    username: "hu",
    password: "hs",
  });
});

check("save and remove credentials (node:fs)", async () => {
  const path = join(work, "saved", "config.json");
  const saved = await creds.saveDockerCredentials(basic.host, {
    username: "u",
    password: "p",
  }, { path });
  assert.deepEqual(saved, { stored: "file", path });
  const found = await creds.dockerConfigProvider({ path }).resolve({
    registry: basic.host,
  });
  assert.deepEqual(found, { username: "u", password: "p" });
  const { removed } = await creds.removeDockerCredentials(basic.host, {
    path,
    containersAuthPath: join(work, "no-such-auth.json"),
  });
  assert.deepEqual(removed, [path]);
  const after = JSON.parse(await readFile(path, "utf8"));
  assert.deepEqual(after.auths, {});
});

check("typed errors", async () => {
  const client = lib.createClient({ repo: openRef });
  await assert.rejects(client.getManifest("nope"), lib.NotFoundError);
  client.close();
  const wrong = lib.createClient({
    repo: `${basic.url}/smoke/${runtime}`,
    username: basic.username,
    password: "wrong",
  });
  await assert.rejects(wrong.listTags(), lib.AuthenticationError);
  wrong.close();
});

check("caCerts: Bun takes them, Node says it cannot", () => {
  const make = () =>
    lib.createClient({ repo: "registry.example/app", caCerts: ["PEM"] });
  if (runtime === "bun") make().close();
  else {assert.throws(make, {
      name: "TypeError",
      message: /caCerts needs Deno or Bun/,
    });}
});

let failed = 0;
for (const [i, { name, fn }] of checks.entries()) {
  try {
    await fn();
    console.log(`ok ${i + 1} - ${name}`);
  } catch (err) {
    failed++;
    console.log(`not ok ${i + 1} - ${name}`);
    console.log(`  ${String(err?.stack ?? err).replaceAll("\n", "\n  ")}`);
  }
}
console.log(
  `${runtime} ${process.version}: ${
    checks.length - failed
  } passed, ${failed} failed`,
);
process.exitCode = failed === 0 ? 0 : 1;
