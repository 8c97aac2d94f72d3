// The fake registry's switchable faults (uploads' own are in
// fake_registry_uploads_test.ts).

import {
  assert,
  assertEquals,
  assertNotEquals,
  assertRejects,
} from "@std/assert";
import { startFakeRegistry } from "./fake_registry.ts";
import {
  bytesOf,
  codes,
  DOCKER_MANIFEST,
  getToken,
  OCI_MANIFEST,
  seedImage,
  sha256,
} from "../../test_support/fake_registry_http.ts";

Deno.test("fault status: answers an error a number of times, with Retry-After", async (t) => {
  await using registry = await startFakeRegistry();
  await t.step("429 once", async () => {
    registry.faults.status = { status: 429, retryAfter: "2" };
    const first = await fetch(`${registry.url}/v2/`);
    assertEquals(first.status, 429);
    assertEquals(first.headers.get("retry-after"), "2");
    assertEquals(await codes(first), ["TOOMANYREQUESTS"]);
    assertEquals(registry.faults.status, undefined);
    const second = await fetch(`${registry.url}/v2/`);
    assertEquals(second.status, 200);
    await second.body?.cancel();
  });
  await t.step("500 twice, only for matching method and path", async () => {
    const date = new Date(Date.now() + 1000).toUTCString();
    registry.faults.status = {
      status: 500,
      times: 2,
      retryAfter: date,
      path: /^\/v2\/$/,
      method: "HEAD",
    };
    const get = await fetch(`${registry.url}/v2/`);
    assertEquals(get.status, 200);
    await get.body?.cancel();
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${registry.url}/v2/`, { method: "HEAD" });
      await res.body?.cancel();
      assertEquals(res.status, i < 2 ? 500 : 200);
      if (i < 2) assertEquals(res.headers.get("retry-after"), date);
    }
  });
  await t.step("a custom code", async () => {
    registry.faults.status = { status: 403, code: "DENIED" };
    const res = await fetch(`${registry.url}/v2/`);
    assertEquals(res.status, 403);
    assertEquals(await codes(res), ["DENIED"]);
  });
});

Deno.test("fault dropAfterBytes: the body errors after N bytes, a Range resumes", async () => {
  await using registry = await startFakeRegistry();
  const data = "0123456789".repeat(100);
  const digest = registry.seedBlob("app", data);
  const url = `${registry.url}/v2/app/blobs/${digest}`;
  registry.faults.dropAfterBytes = { bytes: 300 };
  const res = await fetch(url);
  assertEquals(res.status, 200);
  assertEquals(res.headers.get("content-length"), "1000");
  const reader = res.body!.getReader();
  let received = 0;
  await assertRejects(async () => {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      received += value.byteLength;
    }
  }, TypeError);
  assertEquals(received, 300);
  assertEquals(registry.faults.dropAfterBytes, undefined);
  const rest = await fetch(url, { headers: { range: `bytes=${received}-` } });
  assertEquals(rest.status, 206);
  assertEquals(await rest.text(), data.slice(300));
});

Deno.test("fault flipByte: corrupts blob and manifest bodies, not headers", async () => {
  await using registry = await startFakeRegistry();
  const digest = registry.seedBlob("app", "abc");
  const manifestDigest = registry.seedManifest(
    "app",
    "v1",
    seedImage(registry, "app"),
  );
  registry.faults.flipByte = { offset: 1 };
  const blob = await fetch(`${registry.url}/v2/app/blobs/${digest}`);
  assertEquals(blob.headers.get("docker-content-digest"), digest);
  const bytes = new Uint8Array(await blob.arrayBuffer());
  assertEquals([...bytes], [0x61, 0x62 ^ 0xff, 0x63]);
  const partial = await fetch(`${registry.url}/v2/app/blobs/${digest}`, {
    headers: { range: "bytes=2-" },
  });
  assertEquals(await partial.text(), "c");
  const manifest = await fetch(`${registry.url}/v2/app/manifests/v1`);
  const body = new Uint8Array(await manifest.arrayBuffer());
  assertNotEquals(sha256(body), manifestDigest);
  assertEquals(manifest.headers.get("docker-content-digest"), manifestDigest);
  assertEquals(registry.getBlob(digest), bytesOf("abc"));
});

Deno.test("fault expireTokensAfter: tokens die after N requests, a new one works", async () => {
  await using registry = await startFakeRegistry({ auth: "bearer" });
  registry.faults.expireTokensAfter = { requests: 2 };
  const { token } = await getToken(registry, []);
  const statuses = [];
  for (let i = 0; i < 3; i++) {
    const res = await fetch(`${registry.url}/v2/`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await res.body?.cancel();
    statuses.push(res.status);
  }
  assertEquals(statuses, [200, 200, 401]);
  const fresh = await getToken(registry, []);
  const res = await fetch(`${registry.url}/v2/`, {
    headers: { authorization: `Bearer ${fresh.token}` },
  });
  await res.body?.cancel();
  assertEquals(res.status, 200);
});

Deno.test("fault delayMs: answers late, and stops waiting when the client aborts", async () => {
  await using registry = await startFakeRegistry();
  registry.faults.delayMs = 150;
  const start = performance.now();
  const res = await fetch(`${registry.url}/v2/`);
  await res.body?.cancel();
  assert(performance.now() - start >= 140);

  // An hour's delay: close() returning at all shows the registry stopped
  // waiting once the client was gone.
  registry.faults.delayMs = 3_600_000;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 50);
  const err = await assertRejects(
    () => fetch(`${registry.url}/v2/`, { signal: controller.signal }),
    Error,
  );
  assertEquals(err.name, "AbortError");
  clearTimeout(timer);
  await registry.close();
});

Deno.test("fault redirectBlobs: 307 to the second origin, which gets no credentials", async () => {
  await using registry = await startFakeRegistry({ auth: "basic" });
  const digest = registry.seedBlob("app", "redirected");
  registry.faults.redirectBlobs = true;
  const url = `${registry.url}/v2/app/blobs/${digest}`;
  const headers = {
    authorization: `Basic ${btoa("user:pass")}`,
    cookie: "session=1",
  };
  const manual = await fetch(url, { headers, redirect: "manual" });
  assertEquals(manual.status, 307);
  assertEquals(
    manual.headers.get("location"),
    `${registry.secondOrigin.url}/v2/app/blobs/${digest}`,
  );
  await manual.body?.cancel();

  const followed = await fetch(url, { headers });
  assertEquals(followed.status, 200);
  assertEquals(await followed.text(), "redirected");
  assertEquals(registry.secondOrigin.requests.length, 1);
  const received = registry.secondOrigin.requests[0];
  assertEquals(received.path, `/v2/app/blobs/${digest}`);
  assertEquals(received.headers.authorization, undefined);
  assertEquals(received.headers.cookie, undefined);

  const head = await fetch(url, { method: "HEAD", headers });
  assertEquals(head.status, 200);
  await head.body?.cancel();
  const ranged = await fetch(
    `${registry.secondOrigin.url}/v2/app/blobs/${digest}`,
    { headers: { range: "bytes=8-" } },
  );
  assertEquals(ranged.status, 206);
  assertEquals(await ranged.text(), "ed");
});

Deno.test("fault hugeBody: a lazily generated body, chunked or with its length", async (t) => {
  await using registry = await startFakeRegistry();
  const gib = 2 ** 30;
  for (const contentLength of [false, true]) {
    await t.step(`contentLength: ${contentLength}`, async () => {
      registry.faults.hugeBody = {
        path: /manifests/,
        bytes: 5 * gib,
        contentType: OCI_MANIFEST,
        contentLength,
      };
      const res = await fetch(`${registry.url}/v2/app/manifests/big`);
      assertEquals(res.status, 200);
      assertEquals(res.headers.get("content-type"), OCI_MANIFEST);
      assertEquals(
        res.headers.get("content-length"),
        contentLength ? String(5 * gib) : null,
      );
      const reader = res.body!.getReader();
      let read = 0;
      let first = "";
      while (read < 1024 * 1024) {
        const { value } = await reader.read();
        if (!first) first = new TextDecoder().decode(value!.subarray(0, 12));
        read += value!.byteLength;
      }
      await reader.cancel();
      assertEquals(first, '{"padding":"');
    });
  }
});

Deno.test("fault contentType and manifestMediaTypeMismatch change the manifest Content-Type", async () => {
  await using registry = await startFakeRegistry();
  registry.seedManifest("app", "v1", seedImage(registry, "app"));
  const url = `${registry.url}/v2/app/manifests/v1`;
  registry.faults.manifestMediaTypeMismatch = true;
  const mismatch = await fetch(url);
  assertEquals(mismatch.headers.get("content-type"), DOCKER_MANIFEST);
  assertEquals((await mismatch.json()).mediaType, OCI_MANIFEST);
  registry.faults.contentType = "text/plain";
  const plain = await fetch(url, { method: "HEAD" });
  assertEquals(plain.headers.get("content-type"), "text/plain");
  await plain.body?.cancel();
});

Deno.test("fault badLink and tagsPageForever change paging Links", async () => {
  await using registry = await startFakeRegistry();
  registry.seedManifest("app", "only", seedImage(registry, "app"));
  const url = `${registry.url}/v2/app/tags/list`;
  registry.faults.tagsPageForever = true;
  const forever = await fetch(`${url}?n=10&last=only`);
  assertEquals((await forever.json()).tags, []);
  assertEquals(
    forever.headers.get("link"),
    '</v2/app/tags/list?n=10&last=only~>; rel="next"',
  );
  registry.faults.badLink = "<http://elsewhere.invalid/v2/x>; rel=next";
  const bad = await fetch(url);
  await bad.body?.cancel();
  assertEquals(bad.headers.get("link"), registry.faults.badLink);
});

Deno.test("fault wwwAuthenticate and tokenAnswer override the auth answers", async () => {
  await using registry = await startFakeRegistry({ auth: "bearer" });
  const huge = `Bearer realm="${"x".repeat(10_000)}`;
  registry.faults.wwwAuthenticate = huge;
  const res = await fetch(`${registry.url}/v2/`);
  assertEquals(res.status, 401);
  assertEquals(res.headers.get("www-authenticate"), huge);
  await res.body?.cancel();
  registry.faults.tokenAnswer = {};
  const token = await fetch(`${registry.url}/token?service=fake`);
  assertEquals(token.status, 200);
  assertEquals(await token.json(), {});
  assertEquals(registry.tokensIssued, 0);
});
