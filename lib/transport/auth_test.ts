// Where the auth layer sends credentials: never over plain http to a host
// that is not loopback unless `insecure` is set. An injected fetch stands in
// for the registries, so nothing leaves the machine.

import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertStrictEquals,
} from "@std/assert";
import { createClient } from "../registry/client.ts";
import { HttpError, UnsafeRequestError } from "../errors.ts";
import { MEDIA_TYPE } from "../ref/media_types.ts";
import { startFakeRegistry } from "../testing/fake_registry.ts";
import { RegistryAuth } from "./auth.ts";
import type { Transport } from "./transport.ts";

interface Seen {
  method: string;
  url: string;
  authorization: string | null;
}

/**
 * A registry at any origin: `/v2/` asks for `challenge`; other paths answer
 * 200 with a tag list when a credential came, else 401; `/token` hands out a
 * token.
 */
function registry(challenge: string): Transport & { seen: Seen[] } {
  const seen: Seen[] = [];
  const fn = (request: Request) => {
    const url = new URL(request.url);
    const authorization = request.headers.get("authorization");
    seen.push({ method: request.method, url: request.url, authorization });
    if (url.pathname === "/token") {
      return Promise.resolve(Response.json({ token: "tok", expires_in: 300 }));
    }
    if (url.pathname === "/v2/" || authorization === null) {
      return Promise.resolve(
        new Response(null, {
          status: 401,
          headers: { "www-authenticate": challenge },
        }),
      );
    }
    return Promise.resolve(Response.json({ name: "app", tags: ["1"] }));
  };
  return Object.assign(fn, { seen });
}

const credentialed = (fetch: Transport, repo: string, insecure?: boolean) =>
  createClient({
    repo,
    username: "user",
    password: "pw",
    fetch,
    insecure,
    retry: { maxAttempts: 1 },
  });

Deno.test("credentials are refused over plain http to a non-loopback registry", async (t) => {
  await t.step("Basic", async () => {
    const fetch = registry('Basic realm="reg"');
    const err = await assertRejects(
      () => credentialed(fetch, "http://registry.example.com/app").listTags(),
      UnsafeRequestError,
    );
    assertMatch(
      err.message,
      /^Cannot send Basic credentials to registry\.example\.com: refusing to send credentials over plain http to a non-loopback host \(set insecure to allow it\)$/,
    );
    assert(fetch.seen.every((s) => s.authorization === null));
  });
  await t.step("a bearer token given as is", async () => {
    const fetch = registry('Bearer realm="https://auth.example.com/token"');
    const client = createClient({
      repo: "http://registry.example.com/app",
      token: "given-token",
      fetch,
    });
    await assertRejects(() => client.listTags(), UnsafeRequestError);
    assert(fetch.seen.every((s) => s.authorization === null));
  });
  await t.step("a password to a token realm on plain http", async () => {
    const fetch = registry('Bearer realm="http://auth.example.com/token"');
    const err = await assertRejects(
      () => credentialed(fetch, "https://registry.example.com/app").listTags(),
      UnsafeRequestError,
    );
    assertMatch(
      err.message,
      /send credentials to the token server to auth\.example\.com/,
    );
    assert(!fetch.seen.some((s) => s.url.includes("/token")));
  });
  await t.step(
    "a token from an https realm, to a plain http registry",
    async () => {
      const fetch = registry('Bearer realm="https://auth.example.com/token"');
      const err = await assertRejects(
        () => credentialed(fetch, "http://registry.example.com/app").listTags(),
        Error,
      );
      assertMatch(err.message, /refusing to send credentials over plain http/);
      assert(
        fetch.seen.every((s) =>
          s.authorization === null ||
          s.url.startsWith("https://auth.example.com")
        ),
      );
    },
  );
});

Deno.test("credentials go over plain http when insecure is set, or to a loopback host", async (t) => {
  await t.step("insecure: true", async () => {
    const fetch = registry('Basic realm="reg"');
    const list = await credentialed(
      fetch,
      "http://registry.example.com/app",
      true,
    ).listTags();
    assertEquals(list.tags, ["1"]);
    assertEquals(fetch.seen.at(-1)!.authorization, `Basic ${btoa("user:pw")}`);
  });
  for (
    const host of [
      "127.0.0.1:5000",
      "localhost:5000",
      "[::1]:5000",
      "127.8.9.10",
    ]
  ) {
    await t.step(host, async () => {
      const fetch = registry('Basic realm="reg"');
      const list = await credentialed(fetch, `${host}/app`).listTags();
      assertEquals(list.tags, ["1"]);
      assert(fetch.seen.at(-1)!.url.startsWith("http://"));
      assertEquals(
        fetch.seen.at(-1)!.authorization,
        `Basic ${btoa("user:pw")}`,
      );
    });
  }
});

Deno.test("anonymous token requests may use plain http: there is nothing to leak", async () => {
  const fetch = registry('Bearer realm="http://auth.example.com/token"');
  const client = createClient({
    repo: "http://registry.example.com/app",
    fetch,
    useDefaultCredentials: false,
  });
  // The token itself is a credential: it is not sent over plain http either.
  await assertRejects(() => client.listTags(), UnsafeRequestError);
  const tokenRequest = fetch.seen.find((s) => s.url.includes("/token"));
  assert(tokenRequest);
  assertEquals(tokenRequest.authorization, null);
});

Deno.test("credentials go only to the registry's origin, never to a host it links to", async () => {
  const seen: Seen[] = [];
  const fetch: Transport = (request) => {
    const url = new URL(request.url);
    seen.push({
      method: request.method,
      url: request.url,
      authorization: request.headers.get("authorization"),
    });
    if (url.host === "registry.example.com" && url.pathname === "/v2/") {
      return Promise.resolve(
        new Response(null, {
          status: 401,
          headers: { "www-authenticate": 'Basic realm="reg"' },
        }),
      );
    }
    if (url.host === "registry.example.com") {
      return Promise.resolve(
        Response.json({ name: "app", tags: ["1"] }, {
          headers: {
            link:
              '<https://elsewhere.example/v2/app/tags/list?last=1>; rel="next"',
          },
        }),
      );
    }
    return Promise.resolve(Response.json({ name: "app", tags: ["2"] }));
  };
  const client = credentialed(fetch, "https://registry.example.com/app");
  const err = await assertRejects(() => client.listTags(), Error);
  assertMatch(err.message, /points to another host/);
  assert(!seen.some((s) => s.url.includes("elsewhere")));
});

Deno.test("one caller's abort does not fail another caller sharing its ping or token request", async (t) => {
  await using registry = await startFakeRegistry({ auth: "bearer" });
  registry.seedManifest("app", "v1", {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.OCI_INDEX,
    manifests: [],
  });
  for (const stage of ["ping", "token"] as const) {
    await t.step(stage, async () => {
      registry.faults = {};
      const client = createClient({
        repo: `${registry.host}/app`,
        useDefaultCredentials: false,
      });
      if (stage === "token") await client.ping();
      const before = registry.requests.length;
      registry.faults.delayMs = 80;
      const controller = new AbortController();
      const reason = new Error("the first caller gave up");
      const first = client.headManifest("v1", { signal: controller.signal });
      const second = client.headManifest("v1");
      setTimeout(() => controller.abort(reason), 20);
      assertStrictEquals(await assertRejects(() => first), reason);
      assertMatch((await second).digest, /^sha256:/);
      const shared = stage === "ping" ? "/v2/" : "/token";
      assertEquals(
        registry.requests.slice(before).filter((r) =>
          r.path.split("?")[0] === shared
        ).length,
        1,
      );
    });
  }
  await t.step("a request nobody waits for any more is cancelled", async () => {
    // Every answer an hour late: the call settling at all is the signal's
    // doing.
    registry.faults = { delayMs: 3_600_000 };
    const client = createClient({
      repo: `${registry.host}/app`,
      useDefaultCredentials: false,
    });
    const err = await assertRejects(
      () => client.headManifest("v1", { signal: AbortSignal.timeout(30) }),
      DOMException,
    );
    assertEquals(err.name, "TimeoutError");
    // The test sanitizers fail the test if the ping were still in flight.
  });
});

Deno.test("a credential lookup is cancelled by the caller's signal, and a failed one is tried again", async () => {
  let calls = 0;
  let lookupSignal: AbortSignal | undefined;
  const credentials = (signal?: AbortSignal) => {
    calls++;
    if (calls === 1) return Promise.reject(new Error("helper crashed"));
    lookupSignal = signal;
    // A lookup that never ends by itself: only the signal settles it.
    return new Promise<{ username: string; password: string }>(
      (_, reject) => {
        signal?.addEventListener("abort", () => reject(signal.reason));
      },
    );
  };
  const fetch = (request: Request) =>
    Promise.resolve(
      request.headers.has("authorization")
        ? new Response("{}")
        : new Response(null, {
          status: 401,
          headers: { "www-authenticate": 'Basic realm="x"' },
        }),
    );
  const auth = new RegistryAuth(fetch, {
    registry: "http://127.0.0.1:1",
    credentials,
  });
  const url = "http://127.0.0.1:1/v2/x/tags/list";
  const err = await assertRejects(
    () => auth.transport(new Request(url)),
    Error,
  );
  assertMatch(err.message, /helper crashed/);
  const signal = AbortSignal.timeout(50);
  const timedOut = await assertRejects(
    () => auth.transport(new Request(url, { signal })),
    Error,
  );
  assertEquals(timedOut.name, "TimeoutError");
  assertStrictEquals(timedOut, signal.reason);
  assertEquals(lookupSignal?.aborted, true, "the abandoned lookup goes on");
  assertEquals(calls, 2);
});

Deno.test("ping() keeps the registry's error codes", async () => {
  const fetch = () =>
    Promise.resolve(
      Response.json({ errors: [{ code: "UNSUPPORTED", message: "no" }] }, {
        status: 400,
      }),
    );
  const auth = new RegistryAuth(fetch, { registry: "http://127.0.0.1:1" });
  const err = await assertRejects(() => auth.ping(), HttpError);
  assertEquals(err.codes, ["UNSUPPORTED"]);
});

Deno.test("RegistryAuth renews a token refused on a request with a streamed body, and hands the 401 back", async () => {
  await using fake = await startFakeRegistry({ auth: "bearer" });
  const auth = new RegistryAuth((request) => fetch(request), {
    registry: fake.url,
    credentials: () => Promise.resolve({ username: "user", password: "pass" }),
  });
  const opened = await auth.transport(
    new Request(`${fake.url}/v2/app/blobs/uploads/`, { method: "POST" }),
  );
  await opened.body?.cancel();
  assertEquals(opened.status, 202);
  const location = new URL(opened.headers.get("location")!, fake.url);
  const patch = () =>
    new Request(location, {
      method: "PATCH",
      body: new Blob(["chunk"]).stream(),
      duplex: "half",
    } as RequestInit);
  fake.faults.uploadUnauthorized = { step: "PATCH" };
  const refused = await auth.transport(patch());
  await refused.body?.cancel();
  assertEquals(refused.status, 401, "a stream is not replayed");
  assertEquals(fake.tokensIssued, 2, "but the token was renewed");
  const first = fake.requests.find((r) => r.method === "PATCH")!.headers
    .authorization;
  const again = await auth.transport(patch());
  await again.body?.cancel();
  assertEquals(again.status, 202);
  const sent = fake.requests.filter((r) => r.method === "PATCH");
  assertEquals(sent.length, 2);
  assert(sent[1].headers.authorization !== first, "the new token was sent");
  assertEquals(fake.tokensIssued, 2);
});
