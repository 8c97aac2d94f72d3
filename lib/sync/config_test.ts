import { assertEquals, assertThrows } from "@std/assert";
import { ParseError } from "../errors.ts";
import { loadSyncConfig, parseSyncConfig } from "./config.ts";

const ENV = { MIRROR_USER: "mirror", MIRROR_PASSWORD: "s3cret", GHCR: "tok" };

const FULL = `
version: 1
concurrency: 3
blobConcurrency: 2
rateLimit: { action: stop, reserve: 10, checkEvery: 30s, maxPause: 2h }
defaults:
  tags: { semver: ">=1.0" }
  platform: linux/amd64
  deleteMissing: true
credentials:
  registry.example.com:
    usernameEnv: MIRROR_USER
    passwordEnv: MIRROR_PASSWORD
  https://ghcr.io:
    tokenEnv: GHCR
  127.0.0.1:5000:
    username: me
    passwordEnv: MIRROR_PASSWORD
sync:
  - source: docker.io/library/alpine
    destination: registry.example.com/mirror/alpine
    tags: { regex: "3\\\\.\\\\d+", exclude: ".*-rc.*" }
    platform: all
  - source: 127.0.0.1:5000
    repositories: [team/app, team/db]
    destination: oci:/srv/mirror
    deleteMissing: false
`;

Deno.test("parseSyncConfig(): a full YAML file", () => {
  const config = parseSyncConfig(FULL, { file: "mirror.yaml", env: ENV });
  assertEquals(config.file, "mirror.yaml");
  assertEquals(config.pairs, [
    {
      source: "docker.io/library/alpine",
      destination: "registry.example.com/mirror/alpine",
      tags: { regex: "3\\.\\d+", exclude: ".*-rc.*" },
      platform: "all",
    },
    {
      source: "127.0.0.1:5000",
      destination: "oci:/srv/mirror",
      repositories: ["team/app", "team/db"],
      deleteMissing: false,
    },
  ]);
  assertEquals(config.options, {
    concurrency: 3,
    blobConcurrency: 2,
    rateLimit: {
      action: "stop",
      reserve: 10,
      checkEveryMs: 30_000,
      maxPauseMs: 7_200_000,
    },
    tags: { semver: ">=1.0" },
    platform: "linux/amd64",
    deleteMissing: true,
    registries: {
      "registry.example.com": { username: "mirror", password: "s3cret" },
      "ghcr.io": { token: "tok" },
      "127.0.0.1:5000": { username: "me", password: "s3cret" },
    },
  });
});

Deno.test("parseSyncConfig(): JSON, and the minimal file", () => {
  const json = parseSyncConfig(
    JSON.stringify({ sync: [{ source: "a.io/x", destination: "b.io/x" }] }),
    { format: "json" },
  );
  assertEquals(json.pairs, [{ source: "a.io/x", destination: "b.io/x" }]);
  assertEquals(json.options, {});
  assertEquals(json.file, "<inline>");
});

Deno.test("parseSyncConfig(): mistakes are reported with the file and the path in the document", async (t) => {
  const cases: [string, string][] = [
    ["sync: [", "(document): "],
    ["- a", "(document): expected a mapping, got a list"],
    ["sync: []", "sync: expected a non-empty list"],
    [
      "version: 2\nsync: [{source: a.io/x, destination: b.io/x}]",
      "version: only version 1 is known, got 2",
    ],
    ["syncs: []", 'unknown key "syncs"'],
    ["sync: [{source: a.io/x}]", 'sync[0]: "destination" is missing'],
    [
      "sync: [{source: a.io/x, destination: b.io/x, tag: v1}]",
      'sync[0]: unknown key "tag"',
    ],
    [
      "sync: [{source: 'Bad/Name', destination: b.io/x}]",
      "sync[0].source: Invalid",
    ],
    [
      "sync: [{source: a.io, destination: 'oci-archive:x.tar'}]",
      "sync[0].destination: Invalid sync destination",
    ],
    [
      "sync: [{source: a.io/x, destination: b.io/x, repositories: [y]}]",
      "sync[0].repositories: repositories are listed only when the source is a registry",
    ],
    [
      "sync: [{source: a.io, destination: b.io, repositories: ['Y']}]",
      'sync[0].repositories[0]: "Y" is not a repository name',
    ],
    [
      "sync: [{source: a.io/x, destination: b.io/x, tags: {semver: 'nope'}}]",
      'sync[0].tags.semver: Invalid semver range "nope"',
    ],
    [
      "sync: [{source: a.io/x, destination: b.io/x, tags: {regex: '('}}]",
      "sync[0].tags.regex: Invalid tag expression",
    ],
    [
      "sync: [{source: a.io/x, destination: b.io/x, tags: {regexp: 'a'}}]",
      'sync[0].tags: unknown key "regexp"',
    ],
    [
      "sync: [{source: a.io/x, destination: b.io/x, platform: linux}]",
      "sync[0].platform: Invalid platform",
    ],
    [
      "sync: [{source: a.io/x, destination: b.io/x, deleteMissing: yes please}]",
      "sync[0].deleteMissing: expected true or false",
    ],
    [
      "concurrency: 0\nsync: [{source: a.io/x, destination: b.io/x}]",
      "concurrency: expected an integer from 1 to 64, got 0",
    ],
    [
      "rateLimit: {action: wait}\nsync: [{source: a.io/x, destination: b.io/x}]",
      'rateLimit.action: expected "pause" or "stop", got "wait"',
    ],
    [
      "rateLimit: {checkEvery: soon}\nsync: [{source: a.io/x, destination: b.io/x}]",
      "rateLimit.checkEvery: expected a duration",
    ],
    [
      "credentials: {a.io: {username: u, password: p}}\nsync: [{source: a.io/x, destination: b.io/x}]",
      'credentials["a.io"].password: secrets are not written in a sync file: name an environment variable with passwordEnv',
    ],
    [
      "credentials: {a.io: {token: t}}\nsync: [{source: a.io/x, destination: b.io/x}]",
      "tokenEnv",
    ],
    [
      "credentials: {a.io: {username: u, passwordEnv: NOPE}}\nsync: [{source: a.io/x, destination: b.io/x}]",
      'credentials["a.io"].passwordEnv: the environment variable NOPE is not set',
    ],
    [
      "credentials: {a.io: {passwordEnv: MIRROR_PASSWORD}}\nsync: [{source: a.io/x, destination: b.io/x}]",
      "passwordEnv needs username or usernameEnv",
    ],
    [
      "credentials: {a.io: {username: u}}\nsync: [{source: a.io/x, destination: b.io/x}]",
      "username needs passwordEnv",
    ],
    [
      "credentials: {'a.io/path': {tokenEnv: GHCR}}\nsync: [{source: a.io/x, destination: b.io/x}]",
      'credentials["a.io/path"]: Invalid index',
    ],
  ];
  for (const [text, message] of cases) {
    await t.step(message, () => {
      const err = assertThrows(
        () => parseSyncConfig(text, { file: "m.yaml", env: ENV }),
        ParseError,
      );
      assertEquals(
        err.message.startsWith('Invalid sync file "m.yaml": '),
        true,
        err.message,
      );
      assertEquals(err.message.includes(message), true, err.message);
      assertEquals(err.message.includes("s3cret"), false);
    });
  }
});

Deno.test("loadSyncConfig() reads .json as JSON and the rest as YAML", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/m.json`,
      '{"sync": [{"source": "a.io/x", "destination": "b.io/x"}]}',
    );
    await Deno.writeTextFile(
      `${dir}/m.yml`,
      "sync:\n  - source: a.io/x\n    destination: b.io/y\n",
    );
    assertEquals(
      (await loadSyncConfig(`${dir}/m.json`)).pairs[0].destination,
      "b.io/x",
    );
    const yml = await loadSyncConfig(`${dir}/m.yml`);
    assertEquals([yml.file, yml.pairs[0].destination], [
      `${dir}/m.yml`,
      "b.io/y",
    ]);
    await Deno.writeTextFile(`${dir}/bad.json`, "sync: []");
    const err = await loadSyncConfig(`${dir}/bad.json`).catch((e) => e);
    assertEquals(err instanceof ParseError, true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
