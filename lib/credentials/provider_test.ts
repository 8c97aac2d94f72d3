import assert from "node:assert/strict";
import {
  chainProviders,
  type CredentialProvider,
  type Credentials,
  staticCredentials,
} from "./provider.ts";
import { CredentialsError } from "../errors.ts";

Deno.test("staticCredentials() answers every registry without a registry option", async () => {
  const provider = staticCredentials({ username: "bob", password: "pw" });
  assert.equal(provider.name, "static");
  assert.deepEqual(await provider.resolve({ registry: "quay.io" }), {
    username: "bob",
    password: "pw",
  });
  assert.deepEqual(await provider.resolve({ registry: "127.0.0.1:5000" }), {
    username: "bob",
    password: "pw",
  });
});

Deno.test("staticCredentials() answers only its registry, Docker Hub aliases included", async (t) => {
  const hub = staticCredentials({ registryToken: "tok" }, {
    registry: "https://index.docker.io/v1/",
  });
  for (
    const [registry, expected] of [
      ["docker.io", { registryToken: "tok" }],
      ["index.docker.io", { registryToken: "tok" }],
      ["registry-1.docker.io", { registryToken: "tok" }],
      ["quay.io", undefined],
    ] as const
  ) {
    await t.step(registry, async () => {
      assert.deepEqual(await hub.resolve({ registry }), expected);
    });
  }
  const local = staticCredentials({ identityToken: "refresh" }, {
    registry: "127.0.0.1:5000",
  });
  assert.deepEqual(await local.resolve({ registry: "127.0.0.1:5000" }), {
    identityToken: "refresh",
  });
  assert.equal(await local.resolve({ registry: "127.0.0.1:5001" }), undefined);
});

Deno.test("staticCredentials() copies the credentials it is given", async () => {
  const credentials: Credentials = { username: "bob", password: "one" };
  const provider = staticCredentials(credentials);
  credentials.password = "two";
  const first = await provider.resolve({ registry: "quay.io" });
  assert.equal(first?.password, "one");
  first!.password = "three";
  assert.equal(
    (await provider.resolve({ registry: "quay.io" }))?.password,
    "one",
  );
});

Deno.test("staticCredentials() rejects credentials without any field", () => {
  assert.throws(() => staticCredentials({}), {
    name: "TypeError",
    message:
      "Credentials need a username, a password, an identityToken or a registryToken",
  });
  assert.throws(
    () => staticCredentials({ username: 5 as unknown as string }),
    {
      name: "TypeError",
      message: 'Credentials field "username" must be a string',
    },
  );
});

Deno.test("staticCredentials() stops on an aborted signal", async () => {
  const provider = staticCredentials({ username: "bob", password: "pw" });
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(
    () => provider.resolve({ registry: "quay.io", signal: controller.signal }),
    { name: "AbortError" },
  );
});

function recording(
  name: string,
  answer: Credentials | undefined | Error,
  calls: string[],
): CredentialProvider {
  return {
    name,
    resolve(request) {
      calls.push(`${name}:${request.registry}`);
      if (answer instanceof Error) return Promise.reject(answer);
      return Promise.resolve(answer);
    },
  };
}

Deno.test("chainProviders() answers with the first provider that has credentials", async () => {
  const calls: string[] = [];
  const chain = chainProviders(
    recording("a", undefined, calls),
    recording("b", { username: "b", password: "pw" }, calls),
    recording("c", { username: "c", password: "pw" }, calls),
  );
  assert.equal(chain.name, "chain(a, b, c)");
  assert.deepEqual(await chain.resolve({ registry: "quay.io" }), {
    username: "b",
    password: "pw",
  });
  assert.deepEqual(calls, ["a:quay.io", "b:quay.io"]);
});

Deno.test("chainProviders() answers undefined when no provider has credentials", async () => {
  const calls: string[] = [];
  const chain = chainProviders(
    recording("a", undefined, calls),
    recording("b", undefined, calls),
  );
  assert.equal(await chain.resolve({ registry: "quay.io" }), undefined);
  assert.equal(await chainProviders().resolve({ registry: "x" }), undefined);
  assert.deepEqual(calls, ["a:quay.io", "b:quay.io"]);
});

Deno.test("chainProviders() lets an error stop the chain", async () => {
  const calls: string[] = [];
  const chain = chainProviders(
    recording("a", new CredentialsError("read x", "broken"), calls),
    recording("b", { username: "b", password: "pw" }, calls),
  );
  await assert.rejects(() => chain.resolve({ registry: "quay.io" }), {
    name: "CredentialsError",
    message: "Cannot read x: broken",
  });
  assert.deepEqual(calls, ["a:quay.io"]);
});

Deno.test("chainProviders() stops on an aborted signal", async () => {
  const calls: string[] = [];
  const chain = chainProviders(recording("a", undefined, calls));
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(
    () => chain.resolve({ registry: "quay.io", signal: controller.signal }),
    { name: "AbortError" },
  );
  assert.deepEqual(calls, []);
});

Deno.test("chainProviders() rejects what is not a provider", () => {
  assert.throws(
    () => chainProviders({} as unknown as CredentialProvider),
    {
      name: "TypeError",
      message: "chainProviders() takes credential providers",
    },
  );
});
