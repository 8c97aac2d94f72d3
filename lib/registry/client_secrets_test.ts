// No secret — a password, a token, an `Authorization` value, a signed URL's
// query — appears in anything the library emits when things go wrong: error
// messages, `String(err)`, own properties, `JSON.stringify`, `Deno.inspect`
// (stacks included) and every `cause` down the chain. Each step drives one
// error path with known secrets and scans what comes back.

import { assert, assertEquals, assertMatch } from "@std/assert";
import { type ClientOptions, createClient } from "./client.ts";
import { RegistryError } from "../errors.ts";
import { parseRepoAndRef } from "../ref/reference.ts";
import { MEDIA_TYPE } from "../ref/media_types.ts";
import {
  type FakeRegistry,
  startFakeRegistry,
} from "../testing/fake_registry.ts";
import type { Transport } from "../transport/transport.ts";

const PASSWORD = "pw-S3CRET-8d1e";
const TOKEN = "tok-S3CRET-51aa";
const SIGNATURE = "sig-S3CRET-77c0";
const IDENTITY = "refresh-S3CRET-0b3f";
const BASIC = btoa(`user:${PASSWORD}`);

/** Every text an error exposes: messages, stacks, properties, causes. */
function exposedTexts(value: unknown): string[] {
  const texts: string[] = [];
  const seen = new Set<unknown>();
  const walk = (v: unknown, depth: number) => {
    if (depth > 12 || v === null || v === undefined || seen.has(v)) return;
    if (typeof v === "string") return void texts.push(v);
    if (typeof v !== "object" && typeof v !== "function") {
      return void texts.push(String(v));
    }
    seen.add(v);
    if (v instanceof Error) {
      texts.push(v.message, String(v), v.stack ?? "");
      walk(v.cause, depth + 1);
    }
    try {
      texts.push(JSON.stringify(v) ?? "");
    } catch {
      // cycles: the walk below still sees every property
    }
    for (const key of Object.getOwnPropertyNames(v)) {
      walk((v as Record<string, unknown>)[key], depth + 1);
    }
    if (v instanceof Headers) texts.push(JSON.stringify([...v]));
  };
  walk(value, 0);
  texts.push(Deno.inspect(value, { depth: 20, showHidden: true }));
  return texts;
}

/** Asserts that `err` is a typed error that exposes none of `secrets`. */
function assertNoSecret(err: unknown, secrets: string[]): void {
  assert(
    err instanceof RegistryError || err instanceof DOMException,
    `not a typed error: ${String(err)}`,
  );
  const texts = exposedTexts(err);
  for (const secret of secrets) {
    for (const text of texts) {
      assert(
        !text.includes(secret),
        `${secret} leaked in ${text.slice(0, 300)}`,
      );
    }
  }
}

/** Runs the call, which must fail, and scans its error. */
async function failsWithoutSecrets(
  call: () => Promise<unknown>,
  secrets: string[],
): Promise<unknown> {
  let error: unknown;
  try {
    await call();
  } catch (err) {
    error = err;
  }
  assert(error !== undefined, "the call did not fail");
  assertNoSecret(error, secrets);
  return error;
}

function clientOf(
  registry: { host: string },
  options: Partial<ClientOptions> = {},
) {
  return createClient({
    repo: `${registry.host}/app`,
    username: "user",
    password: PASSWORD,
    retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 2 },
    ...options,
  });
}

/** The bearer tokens the fake handed out, read from what the client sent. */
function tokensSent(registry: FakeRegistry): string[] {
  return registry.requests.flatMap((r) => {
    const m = /^Bearer (.+)$/.exec(r.headers.authorization ?? "");
    return m ? [m[1]] : [];
  });
}

function seed(registry: FakeRegistry): string {
  const config = registry.seedBlob("app", "{}");
  return registry.seedManifest("app", "v1", {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.OCI_MANIFEST,
    config: { mediaType: MEDIA_TYPE.OCI_EMPTY, digest: config, size: 2 },
    layers: [],
  });
}

function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

const SECRETS = [PASSWORD, BASIC, TOKEN, SIGNATURE, IDENTITY];

Deno.test("no error exposes a password, token, Authorization value or signed URL", async (t) => {
  await t.step("a wrong password refused by the token server", async () => {
    await using registry = await startFakeRegistry({
      auth: "bearer",
      password: "the-right-one",
    });
    seed(registry);
    await failsWithoutSecrets(
      () => clientOf(registry).getManifest("v1"),
      SECRETS,
    );
    await failsWithoutSecrets(() => clientOf(registry).login(), SECRETS);
  });

  await t.step("a wrong password refused by a Basic registry", async () => {
    await using registry = await startFakeRegistry({
      auth: "basic",
      password: "the-right-one",
    });
    seed(registry);
    await failsWithoutSecrets(() => clientOf(registry).listTags(), SECRETS);
  });

  await t.step(
    "a token refused after the replay (revoked for good)",
    async () => {
      await using registry = await startFakeRegistry({
        auth: "bearer",
        password: PASSWORD,
      });
      seed(registry);
      const client = clientOf(registry);
      await client.getManifest("v1");
      registry.faults.expireTokensAfter = { requests: 0 };
      await failsWithoutSecrets(
        () => client.getManifest("v1"),
        [...SECRETS, ...tokensSent(registry)],
      );
      assert(tokensSent(registry).length >= 2);
      await failsWithoutSecrets(
        () => client.getManifest("v1"),
        [...SECRETS, ...tokensSent(registry)],
      );
    },
  );

  await t.step("a given token refused", async () => {
    await using registry = await startFakeRegistry({ auth: "bearer" });
    seed(registry);
    await failsWithoutSecrets(
      () =>
        createClient({ repo: `${registry.host}/app`, token: TOKEN })
          .getManifest("v1"),
      SECRETS,
    );
  });

  await t.step("an identity token refused by the OAuth2 endpoint", async () => {
    await using registry = await startFakeRegistry({ auth: "bearer" });
    seed(registry);
    await failsWithoutSecrets(
      () =>
        createClient({
          repo: `${registry.host}/app`,
          credentials: { identityToken: IDENTITY },
        }).getManifest("v1"),
      SECRETS,
    );
  });

  await t.step(
    "token answers that are broken, with the token inside",
    async () => {
      await using registry = await startFakeRegistry({
        auth: "bearer",
        password: PASSWORD,
      });
      seed(registry);
      for (
        const body of [
          `{"token":"${TOKEN}"`,
          `{"token":"${TOKEN}", "expires_in": }`,
          `${TOKEN}`,
          JSON.stringify({ access: TOKEN }),
        ]
      ) {
        const fetch: Transport = (request) =>
          new URL(request.url).pathname === "/token"
            ? Promise.resolve(new Response(body, { status: 200 }))
            : globalThis.fetch(request);
        await failsWithoutSecrets(
          () => clientOf(registry, { fetch }).getManifest("v1"),
          SECRETS,
        );
      }
    },
  );

  await t.step(
    "a token server that fails with the request echoed back",
    async () => {
      await using registry = await startFakeRegistry({ auth: "bearer" });
      seed(registry);
      const fetch: Transport = (request) =>
        new URL(request.url).pathname === "/token"
          ? Promise.resolve(
            new Response(
              JSON.stringify({ details: request.headers.get("authorization") }),
              { status: 500 },
            ),
          )
          : globalThis.fetch(request);
      await failsWithoutSecrets(
        () => clientOf(registry, { fetch }).getManifest("v1"),
        SECRETS,
      );
    },
  );

  await t.step(
    "a blob redirected to a signed URL that cannot be reached",
    async () => {
      await using registry = await startFakeRegistry({
        auth: "basic",
        password: PASSWORD,
      });
      const digest = registry.seedBlob("app", "layer");
      const signed =
        `http://127.0.0.1:${closedPort()}/bucket/blob?X-Amz-Signature=${SIGNATURE}&X-Amz-Credential=${SIGNATURE}`;
      const fetch: Transport = (request) =>
        request.url.includes("/blobs/sha256:")
          ? Promise.resolve(
            new Response(null, { status: 307, headers: { location: signed } }),
          )
          : globalThis.fetch(request);
      const err = await failsWithoutSecrets(
        () => clientOf(registry, { fetch }).createBlobReadStream(digest),
        SECRETS,
      );
      assertMatch(String(err), /connection failed/);
    },
  );

  await t.step(
    "a blob redirected to a signed URL that answers 403",
    async () => {
      await using registry = await startFakeRegistry({
        auth: "basic",
        password: PASSWORD,
      });
      const digest = registry.seedBlob("app", "layer");
      const fetch: Transport = (request) => {
        if (request.url.includes("/blobs/sha256:")) {
          return Promise.resolve(
            new Response(null, {
              status: 307,
              headers: {
                location:
                  `https://storage.example/blob?sig=${SIGNATURE}&token=${TOKEN}`,
              },
            }),
          );
        }
        if (request.url.startsWith("https://storage.example/")) {
          return Promise.resolve(
            new Response("<Error>AccessDenied</Error>", { status: 403 }),
          );
        }
        return globalThis.fetch(request);
      };
      await failsWithoutSecrets(
        () => clientOf(registry, { fetch }).createBlobReadStream(digest),
        SECRETS,
      );
    },
  );

  await t.step("an https → http downgrade to a signed URL", async () => {
    const fetch: Transport = (request) =>
      Promise.resolve(
        request.url.endsWith("/v2/") ? new Response("{}") : new Response(null, {
          status: 302,
          headers: { location: `http://storage.example/b?sig=${SIGNATURE}` },
        }),
      );
    await failsWithoutSecrets(
      () =>
        createClient({
          repo: "registry.example.com/app",
          fetch,
          useDefaultCredentials: false,
        }).createBlobReadStream(`sha256:${"a".repeat(64)}`),
      SECRETS,
    );
  });

  await t.step(
    "credentials refused over plain http to another host",
    async () => {
      const fetch: Transport = () =>
        Promise.resolve(
          new Response(null, {
            status: 401,
            headers: { "www-authenticate": 'Basic realm="r"' },
          }),
        );
      await failsWithoutSecrets(
        () =>
          clientOf({ host: "http://registry.example.com" }, { fetch })
            .listTags(),
        SECRETS,
      );
    },
  );

  await t.step(
    "a registry that cannot be reached, with credentials",
    async () => {
      await failsWithoutSecrets(
        () => clientOf({ host: `127.0.0.1:${closedPort()}` }).getManifest("v1"),
        SECRETS,
      );
      await failsWithoutSecrets(
        () => clientOf({ host: `127.0.0.1:${closedPort()}` }).ping(),
        SECRETS,
      );
    },
  );

  await t.step(
    "an upload whose Location carries a secret, then fails",
    async () => {
      await using registry = await startFakeRegistry({
        auth: "basic",
        password: PASSWORD,
      });
      registry.faults.location =
        `/v2/app/blobs/uploads/nope?_state=${SIGNATURE}&token=${TOKEN}`;
      await failsWithoutSecrets(
        () => clientOf(registry).blobUpload(new Uint8Array(100_000).fill(3)),
        SECRETS,
      );
    },
  );

  await t.step("a request that times out, with credentials", async () => {
    await using registry = await startFakeRegistry({
      auth: "basic",
      password: PASSWORD,
    });
    seed(registry);
    const client = clientOf(registry, {
      requestTimeoutMs: 50,
      retry: { maxAttempts: 1 },
    });
    await client.ping();
    registry.faults.delayMs = 2_000;
    await failsWithoutSecrets(() => client.getManifest("v1"), SECRETS);
  });
});

Deno.test("what a client exposes holds no credentials", async () => {
  await using registry = await startFakeRegistry({
    auth: "bearer",
    password: PASSWORD,
  });
  const digest = registry.seedBlob("app", "layer");
  registry.faults.redirectBlobs = true;
  const client = clientOf(registry);
  const read = await client.createBlobReadStream(digest);
  await read.stream.cancel();
  const secrets = [...SECRETS, ...tokensSent(registry)];
  for (const text of [...exposedTexts(client), ...exposedTexts(read)]) {
    for (const secret of secrets) {
      assert(!text.includes(secret), `${secret} in ${text.slice(0, 200)}`);
    }
  }
});

Deno.test("a registry echoing the Authorization value in its error body has it scrubbed", async () => {
  const secret = "s3cr3t-passw0rd-echo";
  const fetch = (request: Request) => {
    const url = new URL(request.url);
    if (url.pathname === "/v2/" && !request.headers.has("authorization")) {
      return Promise.resolve(
        new Response(null, {
          status: 401,
          headers: { "www-authenticate": 'Basic realm="x"' },
        }),
      );
    }
    const echo = request.headers.get("authorization") ?? "";
    return Promise.resolve(Response.json({
      errors: [{
        code: "DENIED",
        message: `you sent ${echo} which is ${atob(echo.slice(6))}`,
        detail: { header: echo },
      }],
    }, { status: 403 }));
  };
  const client = createClient({
    repo: "127.0.0.1:1/echo",
    username: "user",
    password: secret,
    fetch,
  });
  const err = await client.getManifest("v1").then(() => undefined, (e) => e);
  assert(err instanceof Error);
  const everything = `${err.message} ${JSON.stringify(err)} ${
    Deno.inspect(err, { depth: 10 })
  }`;
  assert(!everything.includes(secret), everything);
  assert(!everything.includes(btoa(`user:${secret}`)), everything);
  assertMatch(err.message, /DENIED/);
});

Deno.test("a password inside a reference is not repeated by the parse error", () => {
  const err = (() => {
    try {
      parseRepoAndRef("https://user:hunter2-secret@quay.io/app");
    } catch (e) {
      return e as Error & { input: string };
    }
  })();
  assert(err);
  assert(!err.message.includes("hunter2-secret"), err.message);
  assert(!err.input.includes("hunter2-secret"));
});

/** A registry answering 401 with the request's Authorization echoed in errors[]. */
function echoing(status: number, request: Request): Response {
  const echo = request.headers.get("authorization") ?? "";
  const decoded = echo.startsWith("Basic ") ? atob(echo.slice(6)) : "";
  return Response.json({
    errors: [{ code: "UNAUTHORIZED", message: `got ${echo} (${decoded})` }],
  }, { status });
}

function assertClean(err: unknown, secrets: string[]): void {
  assert(err instanceof Error);
  const everything = `${err.message} ${JSON.stringify(err)} ${
    Deno.inspect(err, { depth: 10 })
  }`;
  for (const secret of secrets) {
    assert(!everything.includes(secret), `leaked ${secret}: ${everything}`);
  }
}

Deno.test("a token server echoing the Basic value in errors[] has it scrubbed", async () => {
  const password = "pw-token-server-echo";
  const fetch = (request: Request) => {
    const url = new URL(request.url);
    if (url.pathname === "/v2/") {
      return Promise.resolve(
        new Response(null, {
          status: 401,
          headers: {
            "www-authenticate":
              'Bearer realm="http://127.0.0.1:1/token",service="s"',
          },
        }),
      );
    }
    return Promise.resolve(echoing(401, request));
  };
  const client = createClient({
    repo: "127.0.0.1:1/x",
    username: "user",
    password,
    fetch,
  });
  const err = await client.getManifest("v1").then(() => undefined, (e) => e);
  assertClean(err, [password, btoa(`user:${password}`)]);
});

Deno.test("login() on a Basic registry echoing the Authorization value has it scrubbed", async () => {
  const password = "pw-basic-login-echo";
  const fetch = (request: Request) => {
    if (!request.headers.has("authorization")) {
      return Promise.resolve(
        new Response(null, {
          status: 401,
          headers: { "www-authenticate": 'Basic realm="x"' },
        }),
      );
    }
    return Promise.resolve(echoing(401, request));
  };
  const client = createClient({
    repo: "127.0.0.1:1/x",
    username: "user",
    password,
    fetch,
  });
  const err = await client.login().then(() => undefined, (e) => e);
  assertClean(err, [password, btoa(`user:${password}`)]);
});

Deno.test("a token sent on a replay after a 401 is scrubbed from the final error", async () => {
  let issued = 0;
  const fetch = (request: Request) => {
    const url = new URL(request.url);
    const challenge = {
      "www-authenticate":
        'Bearer realm="http://127.0.0.1:1/token",service="s",error="insufficient_scope"',
    };
    if (url.pathname === "/v2/") {
      return Promise.resolve(
        new Response(null, { status: 401, headers: challenge }),
      );
    }
    if (url.pathname === "/token") {
      issued++;
      return Promise.resolve(Response.json({ token: `tok-SECRET-${issued}` }));
    }
    const res = echoing(401, request);
    return Promise.resolve(
      new Response(res.body, {
        status: 401,
        headers: { ...challenge, "content-type": "application/json" },
      }),
    );
  };
  const client = createClient({ repo: "127.0.0.1:1/x", fetch });
  const err = await client.getManifest("v1").then(() => undefined, (e) => e);
  assertEquals(issued, 2);
  assertClean(err, ["tok-SECRET-1", "tok-SECRET-2"]);
});
