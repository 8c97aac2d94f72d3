import { assertEquals, assertRejects, assertThrows } from "@std/assert";
import {
  chainProviders,
  type CredentialProvider,
  type Credentials,
  staticCredentials,
} from "./provider.ts";
import { CredentialsError } from "../errors.ts";

Deno.test("staticCredentials() answers every registry without a registry option", async () => {
  const provider = staticCredentials({ username: "bob", password: "pw" });
  assertEquals(provider.name, "static");
  assertEquals(await provider.resolve({ registry: "quay.io" }), {
    username: "bob",
    password: "pw",
  });
  assertEquals(await provider.resolve({ registry: "127.0.0.1:5000" }), {
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
      assertEquals(await hub.resolve({ registry }), expected);
    });
  }
  const local = staticCredentials({ identityToken: "refresh" }, {
    registry: "127.0.0.1:5000",
  });
  assertEquals(await local.resolve({ registry: "127.0.0.1:5000" }), {
    identityToken: "refresh",
  });
  assertEquals(await local.resolve({ registry: "127.0.0.1:5001" }), undefined);
});

Deno.test("staticCredentials() copies the credentials it is given", async () => {
  const credentials: Credentials = { username: "bob", password: "one" };
  const provider = staticCredentials(credentials);
  credentials.password = "two";
  const first = await provider.resolve({ registry: "quay.io" });
  assertEquals(first?.password, "one");
  first!.password = "three";
  assertEquals(
    (await provider.resolve({ registry: "quay.io" }))?.password,
    "one",
  );
});

Deno.test("staticCredentials() rejects credentials without any field", () => {
  const err = assertThrows(() => staticCredentials({}), TypeError);
  assertEquals(
    err.message,
    "Credentials need a username, a password, an identityToken or a registryToken",
  );
  const notString = assertThrows(
    () => staticCredentials({ username: 5 as unknown as string }),
    TypeError,
  );
  assertEquals(
    notString.message,
    'Credentials field "username" must be a string',
  );
});

Deno.test("staticCredentials() stops on an aborted signal", async () => {
  const provider = staticCredentials({ username: "bob", password: "pw" });
  const controller = new AbortController();
  controller.abort();
  const err = await assertRejects(
    () => provider.resolve({ registry: "quay.io", signal: controller.signal }),
    DOMException,
  );
  assertEquals(err.name, "AbortError");
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
  assertEquals(chain.name, "chain(a, b, c)");
  assertEquals(await chain.resolve({ registry: "quay.io" }), {
    username: "b",
    password: "pw",
  });
  assertEquals(calls, ["a:quay.io", "b:quay.io"]);
});

Deno.test("chainProviders() answers undefined when no provider has credentials", async () => {
  const calls: string[] = [];
  const chain = chainProviders(
    recording("a", undefined, calls),
    recording("b", undefined, calls),
  );
  assertEquals(await chain.resolve({ registry: "quay.io" }), undefined);
  assertEquals(await chainProviders().resolve({ registry: "x" }), undefined);
  assertEquals(calls, ["a:quay.io", "b:quay.io"]);
});

Deno.test("chainProviders() lets an error stop the chain", async () => {
  const calls: string[] = [];
  const chain = chainProviders(
    recording("a", new CredentialsError("read x", "broken"), calls),
    recording("b", { username: "b", password: "pw" }, calls),
  );
  const err = await assertRejects(
    () => chain.resolve({ registry: "quay.io" }),
    CredentialsError,
  );
  assertEquals(err.message, "Cannot read x: broken");
  assertEquals(calls, ["a:quay.io"]);
});

Deno.test("chainProviders() stops on an aborted signal", async () => {
  const calls: string[] = [];
  const chain = chainProviders(recording("a", undefined, calls));
  const controller = new AbortController();
  controller.abort();
  const err = await assertRejects(
    () => chain.resolve({ registry: "quay.io", signal: controller.signal }),
    DOMException,
  );
  assertEquals(err.name, "AbortError");
  assertEquals(calls, []);
});

Deno.test("chainProviders() rejects what is not a provider", () => {
  const err = assertThrows(
    () => chainProviders({} as unknown as CredentialProvider),
    TypeError,
  );
  assertEquals(err.message, "chainProviders() takes credential providers");
});
