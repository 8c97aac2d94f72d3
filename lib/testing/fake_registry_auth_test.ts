// The fake registry's authentication (Basic, bearer tokens, OAuth2) and its
// Docker Hub style pull budget.

import { assertEquals, assertMatch, assertStrictEquals } from "@std/assert";
import { FakeTime } from "@std/testing/time";
import { startFakeRegistry } from "./fake_registry.ts";
import {
  codes,
  getToken,
  seedImage,
  sha256,
} from "../../test_support/fake_registry_http.ts";

Deno.test("basic auth challenges without credentials and accepts the right ones", async () => {
  await using registry = await startFakeRegistry({
    auth: "basic",
    username: "alice",
    password: "secret",
  });
  const get = (authorization?: string) =>
    fetch(`${registry.url}/v2/`, {
      headers: authorization ? { authorization } : {},
    });
  const none = await get();
  assertEquals(none.status, 401);
  assertEquals(none.headers.get("www-authenticate"), 'Basic realm="fake"');
  assertEquals(await codes(none), ["UNAUTHORIZED"]);
  const wrong = await get(`Basic ${btoa("alice:nope")}`);
  assertEquals(wrong.status, 401);
  await wrong.body?.cancel();
  const right = await get(`Basic ${btoa("alice:secret")}`);
  assertEquals(right.status, 200);
  await right.body?.cancel();
});

Deno.test("bearer auth: challenge, anonymous pull token, push token", async (t) => {
  await using registry = await startFakeRegistry({ auth: "bearer" });
  const digest = registry.seedBlob("app", "data");
  const blobUrl = `${registry.url}/v2/app/blobs/${digest}`;
  const realm = `${registry.url}/token`;

  await t.step(
    "/v2/ without a token: 401 with a Bearer challenge",
    async () => {
      const res = await fetch(`${registry.url}/v2/`);
      assertEquals(res.status, 401);
      assertEquals(
        res.headers.get("www-authenticate"),
        `Bearer realm="${realm}",service="fake"`,
      );
      assertEquals(
        res.headers.get("docker-distribution-api-version"),
        "registry/2.0",
      );
      await res.body?.cancel();
    },
  );
  await t.step(
    "a blob without a token: the challenge names the scope",
    async () => {
      const res = await fetch(blobUrl);
      assertEquals(res.status, 401);
      assertEquals(
        res.headers.get("www-authenticate"),
        `Bearer realm="${realm}",service="fake",scope="repository:app:pull"`,
      );
      await res.body?.cancel();
    },
  );
  let pullToken = "";
  await t.step("anonymous token: pull works", async () => {
    const answer = await getToken(registry, ["repository:app:pull,push"]);
    assertEquals(typeof answer.token, "string");
    assertStrictEquals(answer.access_token, answer.token);
    assertEquals(answer.expires_in, 300);
    assertEquals(typeof answer.issued_at, "string");
    assertEquals(answer.refresh_token, undefined);
    pullToken = answer.token as string;
    const res = await fetch(blobUrl, {
      headers: { authorization: `Bearer ${pullToken}` },
    });
    assertEquals(res.status, 200);
    await res.body?.cancel();
  });
  await t.step("anonymous token: push is insufficient_scope", async () => {
    const res = await fetch(`${registry.url}/v2/app/blobs/uploads/`, {
      method: "POST",
      headers: { authorization: `Bearer ${pullToken}` },
    });
    assertEquals(res.status, 401);
    assertEquals(
      res.headers.get("www-authenticate"),
      `Bearer realm="${realm}",service="fake",scope="repository:app:pull,push",error="insufficient_scope"`,
    );
    await res.body?.cancel();
  });
  await t.step(
    "token with credentials and repeated scopes: push works",
    async () => {
      const answer = await getToken(
        registry,
        ["repository:app:pull,push", "repository:src:pull"],
        "user:pass",
      );
      registry.seedBlob("src", "shared");
      const res = await fetch(
        `${registry.url}/v2/app/blobs/uploads/?mount=${
          sha256("shared")
        }&from=src`,
        {
          method: "POST",
          headers: { authorization: `Bearer ${answer.token}` },
        },
      );
      await res.body?.cancel();
      assertEquals(res.status, 201);
    },
  );
  await t.step("wrong credentials at the token endpoint: 401", async () => {
    const res = await fetch(`${realm}?service=fake`, {
      headers: { authorization: `Basic ${btoa("user:bad")}` },
    });
    assertEquals(res.status, 401);
    await res.body?.cancel();
  });
  await t.step("unknown service: 400", async () => {
    const res = await fetch(`${realm}?service=other`);
    assertEquals(res.status, 400);
    await res.body?.cancel();
  });
  await t.step("an unknown token: invalid_token", async () => {
    const res = await fetch(blobUrl, {
      headers: { authorization: "Bearer forged" },
    });
    assertEquals(res.status, 401);
    assertMatch(res.headers.get("www-authenticate")!, /error="invalid_token"/);
    await res.body?.cancel();
  });
  await t.step("revokeTokens() invalidates issued tokens", async () => {
    registry.revokeTokens();
    const res = await fetch(blobUrl, {
      headers: { authorization: `Bearer ${pullToken}` },
    });
    assertEquals(res.status, 401);
    await res.body?.cancel();
  });
  assertEquals(registry.tokensIssued, 2);
});

Deno.test("bearer auth: the catalog needs registry:catalog:* with credentials", async () => {
  await using registry = await startFakeRegistry({ auth: "bearer" });
  const anonymous = await getToken(registry, ["registry:catalog:*"]);
  const denied = await fetch(`${registry.url}/v2/_catalog`, {
    headers: { authorization: `Bearer ${anonymous.token}` },
  });
  assertEquals(denied.status, 401);
  assertMatch(
    denied.headers.get("www-authenticate")!,
    /scope="registry:catalog:\*",error="insufficient_scope"/,
  );
  await denied.body?.cancel();
  const user = await getToken(registry, ["registry:catalog:*"], "user:pass");
  const ok = await fetch(`${registry.url}/v2/_catalog`, {
    headers: { authorization: `Bearer ${user.token}` },
  });
  assertEquals(ok.status, 200);
  await ok.body?.cancel();
});

Deno.test("bearer auth: OAuth2 POST with password and refresh_token grants", async (t) => {
  await using registry = await startFakeRegistry({
    auth: "bearer",
    tokenLifetimeSeconds: 60,
  });
  const post = (form: Record<string, string>) =>
    fetch(`${registry.url}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        service: "fake",
        client_id: "test",
        ...form,
      }),
    });
  let refresh = "";
  await t.step("password grant with access_type=offline", async () => {
    const res = await post({
      grant_type: "password",
      username: "user",
      password: "pass",
      access_type: "offline",
      scope: "repository:app:pull,push repository:b:pull",
    });
    assertEquals(res.status, 200);
    const answer = await res.json();
    assertEquals(answer.expires_in, 60);
    assertEquals(typeof answer.refresh_token, "string");
    refresh = answer.refresh_token;
  });
  await t.step("refresh_token grant", async () => {
    const res = await post({
      grant_type: "refresh_token",
      refresh_token: refresh,
      scope: "repository:app:push",
    });
    assertEquals(res.status, 200);
    const { token } = await res.json();
    const push = await fetch(`${registry.url}/v2/app/blobs/uploads/`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });
    await push.body?.cancel();
    // push alone is not enough: uploads need pull and push
    assertEquals(push.status, 401);
  });
  const failures: [string, Record<string, string>, string][] = [
    ["wrong password", {
      grant_type: "password",
      username: "user",
      password: "x",
    }, "invalid_grant"],
    ["unknown refresh token", {
      grant_type: "refresh_token",
      refresh_token: "nope",
    }, "invalid_grant"],
    ["unknown grant", { grant_type: "magic" }, "unsupported_grant_type"],
    ["bad scope", { grant_type: "magic", scope: "nocolon" }, "invalid_scope"],
  ];
  for (const [what, form, error] of failures) {
    await t.step(`${what}: 400 ${error}`, async () => {
      const res = await post(form);
      assertEquals(res.status, 400);
      assertEquals((await res.json()).error, error);
    });
  }
});

Deno.test("bearer auth: tokens expire after tokenLifetimeSeconds", async () => {
  await using registry = await startFakeRegistry({
    auth: "bearer",
    tokenLifetimeSeconds: 1,
  });
  // The registry reads Date.now() for expiry; only the clock is fake, the
  // requests are real.
  using time = new FakeTime();
  const { token } = await getToken(registry, []);
  const headers = { authorization: `Bearer ${token}` };
  time.tick(999);
  const before = await fetch(`${registry.url}/v2/`, { headers });
  assertEquals(before.status, 200);
  await before.body?.cancel();
  time.tick(101);
  const after = await fetch(`${registry.url}/v2/`, { headers });
  assertEquals(after.status, 401);
  assertMatch(after.headers.get("www-authenticate")!, /invalid_token/);
  await after.body?.cancel();
});

Deno.test("rateLimit: manifest GETs spend the budget, HEADs are free, then 429", async () => {
  await using registry = await startFakeRegistry({
    rateLimit: { limit: 100, remaining: 1 },
  });
  registry.seedManifest("app", "v1", seedImage(registry, "app"));
  const url = `${registry.url}/v2/app/manifests/v1`;
  const head = await fetch(url, { method: "HEAD" });
  await head.body?.cancel();
  assertEquals(head.headers.get("ratelimit-limit"), "100;w=21600");
  assertEquals(head.headers.get("ratelimit-remaining"), "1;w=21600");
  const get = await fetch(url);
  await get.body?.cancel();
  assertEquals(get.headers.get("ratelimit-remaining"), "0;w=21600");
  assertEquals(registry.rateLimit?.remaining, 0);
  const spent = await fetch(url);
  assertEquals(spent.status, 429);
  assertEquals(await codes(spent), ["TOOMANYREQUESTS"]);
});
