// The core needs no read, env or run permission: a script that imports
// mod.ts and talks to the real registry runs with only
// --allow-net=127.0.0.1 (and goes anonymous even when docker's config holds
// credentials, since it may not read it). The credentials subpath needs no
// permission to import either.

import { assertEquals } from "@std/assert";
import { tempDir } from "./credentials/testdata/fake_helpers.ts";
import { startRegistry } from "../test_support/real_registry.ts";

const CORE = new URL("../mod.ts", import.meta.url).href;
const CREDENTIALS = new URL("./credentials/mod.ts", import.meta.url).href;

/** Runs a script with `deno run --no-prompt` and these flags. */
async function runScript(
  source: string,
  flags: string[],
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const dir = await Deno.makeTempDir({ prefix: "import-permissions-" });
  try {
    const script = `${dir}/script.ts`;
    await Deno.writeTextFile(script, source);
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-prompt",
        "--config",
        new URL("../deno.json", import.meta.url).pathname,
        ...flags,
        script,
        ...args,
      ],
      env: { NO_COLOR: "1", ...env },
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
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("importing mod.ts and using a client needs only --allow-net", async () => {
  await using reg = await startRegistry({ mode: "token" });
  // docker's config holds the right credentials, but the script may not read
  // it: the client must go anonymous without asking.
  await using home = await tempDir();
  await Deno.mkdir(`${home.path}/.docker`);
  await Deno.writeTextFile(
    `${home.path}/.docker/config.json`,
    JSON.stringify({
      auths: { [reg.host]: { auth: btoa(`${reg.username}:${reg.password}`) } },
    }),
  );
  const source = `import { createClient, parseRepoAndRef } from ${
    JSON.stringify(CORE)
  };
const ref = parseRepoAndRef(Deno.args[0]);
const client = createClient({ repo: ref });
const login = await client.login();
const env = (await Deno.permissions.query({ name: "env" })).state;
const read = (await Deno.permissions.query({ name: "read" })).state;
const run = (await Deno.permissions.query({ name: "run" })).state;
console.log(JSON.stringify({ name: ref.remoteName, tag: ref.tag, login, env, read, run }));
`;
  const result = await runScript(
    source,
    ["--allow-net=127.0.0.1"],
    [`${reg.host}/fixtures/app:1.0`],
    { HOME: home.path, DOCKER_CONFIG: `${home.path}/.docker` },
  );
  assertEquals(result.stderr, "");
  assertEquals(result.code, 0);
  assertEquals(JSON.parse(result.stdout), {
    name: "fixtures/app",
    tag: "1.0",
    login: { scheme: "bearer", scopes: ["repository:fixtures/app:pull"] },
    env: "prompt",
    read: "prompt",
    run: "prompt",
  });
  const requests = reg.tokenServer!.requests;
  assertEquals(requests.length, 1);
  assertEquals(requests[0].account, undefined);
  assertEquals(requests[0].granted, ["repository:fixtures/app:pull"]);
});

Deno.test("importing the credentials subpath needs no permission", async () => {
  const source = `import {
  chainProviders,
  defaultCredentialChain,
  staticCredentials,
} from ${JSON.stringify(CREDENTIALS)};
const chain = chainProviders(
  defaultCredentialChain(),
  staticCredentials({ username: "u", password: "p" }, { registry: "quay.io" }),
);
console.log(JSON.stringify({
  quay: await chain.resolve({ registry: "quay.io" }),
  hub: (await chain.resolve({ registry: "docker.io" })) ?? null,
}));
`;
  const result = await runScript(source, []);
  assertEquals(result.stderr, "");
  assertEquals(result.code, 0);
  assertEquals(JSON.parse(result.stdout), {
    quay: { username: "u", password: "p" },
    hub: null,
  });
});
