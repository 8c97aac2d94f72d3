import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { createHash } from "node:crypto";
import { startRegistry } from "./real_registry.ts";
import type { AuthMode, RealRegistry } from "./real_registry.ts";
import { startTokenServer } from "./token_server.ts";
import type { TokenServer } from "./token_server.ts";
import { seedFixtures } from "./fixtures.ts";
import { MEDIA_TYPE } from "../lib/ref/media_types.ts";

const MANIFEST_ACCEPT = [
  MEDIA_TYPE.OCI_MANIFEST,
  MEDIA_TYPE.OCI_INDEX,
  MEDIA_TYPE.DOCKER_MANIFEST,
  MEDIA_TYPE.DOCKER_MANIFEST_LIST,
].join(", ");

function basic(username: string, password: string): string {
  return `Basic ${btoa(`${username}:${password}`)}`;
}

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

async function tokenFor(
  ts: TokenServer,
  scopes: string[],
  authorization?: string,
): Promise<string> {
  const url = new URL(ts.url);
  url.searchParams.set("service", ts.service);
  for (const s of scopes) url.searchParams.append("scope", s);
  const res = await fetch(url, {
    headers: authorization ? { authorization } : {},
  });
  assertEquals(res.status, 200);
  return ((await res.json()) as { token: string }).token;
}

/** Headers that let a test read `scope` from `reg` in any mode. */
async function authHeaders(
  reg: RealRegistry,
  scope: string,
): Promise<Record<string, string>> {
  if (reg.mode === "anonymous") return {};
  const user = basic(reg.username!, reg.password!);
  if (reg.mode === "basic") return { authorization: user };
  return {
    authorization: `Bearer ${await tokenFor(reg.tokenServer!, [scope], user)}`,
  };
}

function decodeJwtPart(part: string): Record<string, unknown> {
  const b64 = part.replaceAll("-", "+").replaceAll("_", "/");
  return JSON.parse(atob(b64 + "=".repeat((4 - b64.length % 4) % 4)));
}

/** Prints timings to stderr when HARNESS_TIMINGS is set (lib/ has no console). */
function reportTimings(value: unknown): void {
  if (!Deno.env.get("HARNESS_TIMINGS")) return;
  Deno.stderr.writeSync(
    new TextEncoder().encode(`harness timings: ${JSON.stringify(value)}\n`),
  );
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

Deno.test("startRegistry() in anonymous mode answers GET /v2/ with 200 and logs it", async () => {
  const t0 = performance.now();
  await using reg = await startRegistry({ mode: "anonymous" });
  // How long it takes is reported (HARNESS_TIMINGS=1), not asserted.
  reportTimings({
    mode: "anonymous",
    startMs: Math.round(performance.now() - t0),
  });
  assertEquals(reg.mode, "anonymous");
  assertMatch(reg.host, /^127\.0\.0\.1:\d+$/);
  assertEquals(reg.url, `http://${reg.host}`);
  assertEquals(reg.username, undefined);
  assertEquals(reg.tokenServer, undefined);
  assert(await exists(`${reg.dir}/config.yml`));
  const res = await fetch(`${reg.url}/v2/`);
  assertEquals(res.status, 200);
  assertEquals(
    res.headers.get("docker-distribution-api-version"),
    "registry/2.0",
  );
  assertEquals(await res.json(), {});
  // Readiness probes and flush markers are not listed.
  assertEquals(await reg.flushAccessLog(), ["GET /v2/"]);
  const [entry] = reg.accessLogEntries();
  assertEquals(entry.status, 200);
  assertMatch(entry.userAgent, /^Deno\//);
});

Deno.test("flushAccessLog() lists every answered request exactly once", async () => {
  await using reg = await startRegistry({ mode: "anonymous" });
  const paths = ["/v2/a/tags/list", "/v2/_catalog?n=5", "/v2/b/manifests/x"];
  for (const p of paths) {
    const res = await fetch(`${reg.url}${p}`, { method: "GET" });
    await res.body?.cancel();
  }
  const head = await fetch(`${reg.url}/v2/a/blobs/sha256:${"0".repeat(64)}`, {
    method: "HEAD",
  });
  await head.body?.cancel();
  assertEquals(await reg.flushAccessLog(), [
    ...paths.map((p) => `GET ${p}`),
    `HEAD /v2/a/blobs/sha256:${"0".repeat(64)}`,
  ]);
  assertEquals(reg.accessLogEntries().map((e) => e.status), [
    404,
    200,
    404,
    404,
  ]);
});

Deno.test("startRegistry() in basic mode challenges with Basic and accepts only the configured user", async () => {
  await using reg = await startRegistry({
    mode: "basic",
    username: "alice",
    password: "wonder land",
  });
  assertEquals(reg.username, "alice");
  assertEquals(reg.password, "wonder land");
  const anon = await fetch(`${reg.url}/v2/`);
  assertEquals(anon.status, 401);
  assertEquals(
    anon.headers.get("www-authenticate"),
    'Basic realm="test-registry"',
  );
  assertEquals(
    ((await anon.json()) as { errors: { code: string }[] }).errors[0].code,
    "UNAUTHORIZED",
  );
  const wrong = await fetch(`${reg.url}/v2/`, {
    headers: { authorization: basic("alice", "nope") },
  });
  assertEquals(wrong.status, 401);
  await wrong.body?.cancel();
  const ok = await fetch(`${reg.url}/v2/_catalog`, {
    headers: { authorization: basic("alice", "wonder land") },
  });
  assertEquals(ok.status, 200);
  assertEquals(await ok.json(), { repositories: [] });
});

Deno.test("startRegistry() in token mode challenges with Bearer and accepts the token server's tokens", async (t) => {
  await using reg = await startRegistry({ mode: "token" });
  const ts = reg.tokenServer!;
  const user = basic(reg.username!, reg.password!);

  await t.step("GET /v2/ answers 401 with a Bearer challenge", async () => {
    const res = await fetch(`${reg.url}/v2/`);
    assertEquals(res.status, 401);
    assertEquals(
      res.headers.get("www-authenticate"),
      `Bearer realm="${ts.url}",service="${ts.service}"`,
    );
    await res.body?.cancel();
  });

  await t.step("the user's token opens the catalog", async () => {
    const token = await tokenFor(ts, ["registry:catalog:*"], user);
    const res = await fetch(`${reg.url}/v2/_catalog`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assertEquals(res.status, 200);
    assertEquals(await res.json(), { repositories: [] });
  });

  await t.step(
    "an anonymous token pulls but cannot list the catalog or push",
    async () => {
      const token = await tokenFor(ts, [
        "repository:x/y:pull,push",
        "registry:catalog:*",
      ]);
      const pull = await fetch(`${reg.url}/v2/x/y/tags/list`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assertEquals(pull.status, 404); // authorized; the repository is unknown
      await pull.body?.cancel();
      const catalog = await fetch(`${reg.url}/v2/_catalog`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assertEquals(catalog.status, 401);
      assertEquals(
        catalog.headers.get("www-authenticate"),
        `Bearer realm="${ts.url}",service="${ts.service}",scope="registry:catalog:*",error="insufficient_scope"`,
      );
      await catalog.body?.cancel();
      const push = await fetch(`${reg.url}/v2/x/y/blobs/uploads/`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
      });
      assertEquals(push.status, 401);
      await push.body?.cancel();
    },
  );

  await t.step(
    "the registry rejects a token once its lifetime is over",
    async () => {
      ts.setTokenLifetime(1);
      const token = await tokenFor(ts, ["repository:x/y:pull"], user);
      const fresh = await fetch(`${reg.url}/v2/x/y/tags/list`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assertEquals(fresh.status, 404);
      await fresh.body?.cancel();
      await new Promise((r) => setTimeout(r, 2_100));
      const stale = await fetch(`${reg.url}/v2/x/y/tags/list`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assertEquals(stale.status, 401);
      assertMatch(
        stale.headers.get("www-authenticate") ?? "",
        /error="invalid_token"/,
      );
      await stale.body?.cancel();
    },
  );
});

Deno.test("startTokenServer() follows the Docker token and OAuth2 specs", async (t) => {
  await using ts = await startTokenServer({
    username: "bob",
    password: "pw",
    service: "svc",
    issuer: "iss",
  });
  const user = basic("bob", "pw");
  const get = async (query: string, authorization?: string) => {
    const res = await fetch(`${ts.url}?${query}`, {
      headers: authorization ? { authorization } : {},
    });
    return { status: res.status, body: await res.json() };
  };
  const post = async (form: Record<string, string>) => {
    const res = await fetch(ts.url, {
      method: "POST",
      body: new URLSearchParams(form),
    });
    return { status: res.status, body: await res.json() };
  };

  await t.step(
    "GET with repeated and space-separated scopes grants the user everything",
    async () => {
      const before = Date.now();
      const { status, body } = await get(
        "service=svc&scope=repository:a/b:pull,push&scope=" +
          encodeURIComponent(
            "repository:127.0.0.1:5000/c:delete,* registry:catalog:*",
          ),
        user,
      );
      const after = Date.now();
      assertEquals(status, 200);
      assertStrictEquals(body.token, body.access_token);
      assertEquals(body.expires_in, 300);
      // Issued during the request (in whole seconds, as JWT times are).
      const issuedAt = Date.parse(body.issued_at);
      assert(
        issuedAt >= Math.floor(before / 1000) * 1000 && issuedAt <= after,
        `issued at ${body.issued_at}, asked from ${before} to ${after}`,
      );
      assertEquals(body.refresh_token, undefined);
      const [header, claims] = body.token.split(".").slice(0, 2).map(
        decodeJwtPart,
      );
      assertEquals(header.alg, "ES256");
      assertEquals(header.typ, "JWT");
      assertEquals((header.x5c as string[]).length, 1);
      assertEquals(claims.iss, "iss");
      assertEquals(claims.aud, "svc");
      assertEquals(claims.sub, "bob");
      assertEquals(typeof claims.jti, "string");
      assertStrictEquals(claims.nbf, claims.iat);
      // exp leaves room for the registry's 60 s leeway.
      assertEquals(claims.exp, (claims.iat as number) + 300 - 60);
      assertEquals(claims.access, [
        { type: "repository", name: "a/b", actions: ["pull", "push"] },
        {
          type: "repository",
          name: "127.0.0.1:5000/c",
          actions: ["delete", "*"],
        },
        { type: "registry", name: "catalog", actions: ["*"] },
      ]);
      const rec = ts.requests.at(-1)!;
      assertEquals(rec.method, "GET");
      assertEquals(rec.account, "bob");
      assertEquals(rec.service, "svc");
      assertEquals(rec.status, 200);
      assertEquals(rec.scopes, [
        "repository:a/b:pull,push",
        "repository:127.0.0.1:5000/c:delete,*",
        "registry:catalog:*",
      ]);
      assertEquals(rec.granted, rec.scopes);
    },
  );

  await t.step("an anonymous GET gets pull only and no catalog", async () => {
    const { status, body } = await get(
      "service=svc&scope=repository:a:pull,push&scope=registry:catalog:*",
    );
    assertEquals(status, 200);
    const claims = decodeJwtPart(body.token.split(".")[1]);
    assertEquals(claims.sub, "");
    assertEquals(claims.access, [
      { type: "repository", name: "a", actions: ["pull"] },
    ]);
    assertEquals(ts.requests.at(-1)!.account, undefined);
  });

  await t.step(
    "a wrong password or a malformed Authorization gives 401",
    async () => {
      assertEquals((await get("service=svc", basic("bob", "x"))).status, 401);
      assertEquals((await get("service=svc", "Basic !!")).status, 401);
      assertEquals(ts.requests.at(-2)!.account, "bob");
      assertEquals(ts.requests.at(-2)!.status, 401);
    },
  );

  await t.step("another service gives 400", async () => {
    assertEquals((await get("service=other", user)).status, 400);
  });

  await t.step(
    "GET with access_type=offline returns a refresh token",
    async () => {
      const { body } = await get("service=svc&access_type=offline", user);
      assertEquals(typeof body.refresh_token, "string");
    },
  );

  await t.step("POST grant_type=password then refresh_token", async () => {
    const first = await post({
      grant_type: "password",
      username: "bob",
      password: "pw",
      service: "svc",
      client_id: "tests",
      scope: "repository:a:pull repository:b:push",
    });
    assertEquals(first.status, 200);
    assertEquals(first.body.scope, "repository:a:pull repository:b:push");
    assertEquals(typeof first.body.refresh_token, "string");
    assertStrictEquals(first.body.token, first.body.access_token);
    let rec = ts.requests.at(-1)!;
    assertEquals(rec.method, "POST");
    assertEquals(rec.grantType, "password");
    assertEquals(rec.clientId, "tests");
    assertEquals(rec.scopes, ["repository:a:pull", "repository:b:push"]);
    const second = await post({
      grant_type: "refresh_token",
      refresh_token: first.body.refresh_token,
      service: "svc",
      client_id: "tests",
      scope: "registry:catalog:*",
    });
    assertEquals(second.status, 200);
    assertStrictEquals(second.body.refresh_token, first.body.refresh_token);
    assertEquals(second.body.scope, "registry:catalog:*");
    rec = ts.requests.at(-1)!;
    assertEquals(rec.grantType, "refresh_token");
    assertEquals(rec.account, "bob");
  });

  await t.step(
    "POST failures: bad password or refresh token 401, no client_id or grant 400",
    async () => {
      const base = { service: "svc", client_id: "tests" };
      assertEquals(
        (await post({
          ...base,
          grant_type: "password",
          username: "bob",
          password: "x",
        })).status,
        401,
      );
      assertEquals(
        (await post({
          ...base,
          grant_type: "refresh_token",
          refresh_token: "x",
        }))
          .status,
        401,
      );
      assertEquals(
        (await post({
          grant_type: "password",
          username: "bob",
          password: "pw",
          service: "svc",
        })).status,
        400,
      );
      const unsupported = await post({
        ...base,
        grant_type: "client_credentials",
      });
      assertEquals(unsupported.status, 400);
      assertEquals(unsupported.body.error, "unsupported_grant_type");
    },
  );

  await t.step(
    "setTokenLifetime() changes expires_in and rejects nonsense",
    async () => {
      ts.setTokenLifetime(42);
      assertEquals((await get("service=svc", user)).body.expires_in, 42);
      assertThrows(() => ts.setTokenLifetime(0), RangeError);
    },
  );
});

Deno.test("stop() kills the registry and its token server, removes the temp dir, and can be called twice", async () => {
  const reg = await startRegistry({ mode: "token" });
  const tokenUrl = reg.tokenServer!.url;
  await reg.stop();
  assertEquals(await exists(reg.dir), false);
  await assertRejects(() => fetch(`${reg.url}/v2/`), TypeError);
  await assertRejects(() => fetch(tokenUrl), TypeError);
  await reg.stop();
});

for (const mode of ["anonymous", "basic", "token"] as AuthMode[]) {
  Deno.test(`seedFixtures() pushes every fixture with skopeo in ${mode} mode`, async (t) => {
    const t0 = performance.now();
    await using reg = await startRegistry({ mode });
    const startMs = performance.now() - t0;
    const t1 = performance.now();
    const fx = await seedFixtures(reg);
    const seedMs = performance.now() - t1;
    reportTimings({
      mode,
      startMs: Math.round(startMs),
      seedMs: Math.round(seedMs),
      parts: fx.timings,
    });

    const getManifest = async (repo: string, ref: string) => {
      const res = await fetch(`${reg.url}/v2/${repo}/manifests/${ref}`, {
        headers: {
          accept: MANIFEST_ACCEPT,
          ...await authHeaders(reg, `repository:${repo}:pull`),
        },
      });
      assertEquals(res.status, 200, `${repo}:${ref}`);
      return {
        contentType: res.headers.get("content-type"),
        digest: res.headers.get("docker-content-digest"),
        bytes: new Uint8Array(await res.arrayBuffer()),
      };
    };

    await t.step(
      "multi-layer OCI image under both tags, blobs intact",
      async () => {
        const m = fx.multiLayer;
        assertEquals(m.layers.length, 3);
        assertEquals(m.tags, ["v1", "latest"]);
        for (const tag of m.tags) {
          const got = await getManifest(m.repo, tag);
          assertEquals(got.digest, m.digest);
          assertEquals(got.contentType, MEDIA_TYPE.OCI_MANIFEST);
          assertEquals(sha256(got.bytes), m.digest);
          assertEquals(new TextDecoder().decode(got.bytes), m.manifest);
        }
        const largest = m.layers[2];
        const res = await fetch(`${reg.url}/v2/${m.repo}/blobs/${largest}`, {
          headers: await authHeaders(reg, `repository:${m.repo}:pull`),
        });
        assertEquals(res.status, 200);
        const blob = new Uint8Array(await res.arrayBuffer());
        assertEquals(blob.length, m.layerSizes[2]);
        assert(blob.length > 1024 * 1024);
        assertEquals(sha256(blob), largest);
      },
    );

    await t.step("Docker schema 2 image", async () => {
      const d = fx.docker;
      assertEquals(d.mediaType, MEDIA_TYPE.DOCKER_MANIFEST);
      const got = await getManifest(d.repo, d.tag);
      assertEquals(got.contentType, MEDIA_TYPE.DOCKER_MANIFEST);
      assertEquals(got.digest, d.digest);
      const parsed = JSON.parse(d.manifest);
      assertEquals(parsed.config.mediaType, MEDIA_TYPE.DOCKER_CONFIG);
      assertEquals(parsed.layers[0].mediaType, MEDIA_TYPE.DOCKER_LAYER);
    });

    await t.step("two-platform index and its images", async () => {
      const i = fx.index;
      const got = await getManifest(i.repo, i.tag);
      assertEquals(got.contentType, MEDIA_TYPE.OCI_INDEX);
      assertEquals(got.digest, i.digest);
      assertEquals(
        i.platforms.map((p) => [p.os, p.architecture, p.variant]),
        [["linux", "amd64", undefined], ["linux", "arm64", "v8"]],
      );
      for (const p of i.platforms) {
        assertEquals((await getManifest(i.repo, p.digest)).digest, p.digest);
      }
    });

    await t.step("1,000 tags of one image", async () => {
      const m = fx.manyTags;
      assertEquals(m.tags.length, 1000);
      const res = await fetch(`${reg.url}/v2/${m.repo}/tags/list`, {
        headers: await authHeaders(reg, `repository:${m.repo}:pull`),
      });
      assertEquals(res.status, 200);
      const body = (await res.json()) as { tags: string[] };
      // Registry 2.8 lists tags in storage order, not sorted.
      assertEquals([...body.tags].sort(), m.tags);
      assertEquals((await getManifest(m.repo, "t0999")).digest, m.digest);
    });

    await t.step("artifact with subject and artifactType", async () => {
      const a = fx.artifact;
      const got = await getManifest(a.repo, a.digest);
      assertEquals(got.contentType, MEDIA_TYPE.OCI_MANIFEST);
      const parsed = JSON.parse(new TextDecoder().decode(got.bytes));
      assertEquals(parsed.artifactType, "application/vnd.example.sbom+json");
      assertEquals(parsed.subject.digest, fx.multiLayer.digest);
      assertEquals(a.subjectDigest, fx.multiLayer.digest);
      assertEquals(parsed.config.mediaType, MEDIA_TYPE.OCI_EMPTY);
      assertEquals(parsed.config.size, 2);
    });

    if (mode === "token") {
      await t.step("skopeo and the harness fetched tokens as the user", () => {
        const reqs = reg.tokenServer!.requests;
        assert(reqs.length > 0);
        assert(reqs.every((r) => r.account === reg.username));
        assert(reqs.every((r) => r.status === 200));
      });
    }

    // How long seeding takes is reported (HARNESS_TIMINGS=1) above, not
    // asserted: a loaded machine stretches it.
  });
}

Deno.test("real registry 2.8 behaviour the client must cope with", async (t) => {
  await using reg = await startRegistry({ mode: "anonymous" });
  const fx = await seedFixtures(reg, { tagCount: 5 });
  const req = async (method: string, path: string, init: RequestInit = {}) => {
    const res = await fetch(`${reg.url}${path}`, { method, ...init });
    return { res, text: await res.text() };
  };

  await t.step("tags/list ignores n and last and sends no Link", async () => {
    const { res, text } = await req(
      "GET",
      `/v2/${fx.manyTags.repo}/tags/list?n=2&last=t0001`,
    );
    assertEquals(res.status, 200);
    assertEquals(res.headers.get("link"), null);
    assertEquals(JSON.parse(text).tags.length, 5);
  });

  await t.step("_catalog pages with a relative Link", async () => {
    const { res, text } = await req("GET", "/v2/_catalog?n=2");
    assertEquals(
      res.headers.get("link"),
      '</v2/_catalog?last=fixtures%2Fmany-tags&n=2>; rel="next"',
    );
    assertEquals(JSON.parse(text).repositories, [
      "fixtures/docker-image",
      "fixtures/many-tags",
    ]);
  });

  await t.step("the referrers API is missing (plain-text 404)", async () => {
    const { res, text } = await req(
      "GET",
      `/v2/${fx.multiLayer.repo}/referrers/${fx.multiLayer.digest}`,
    );
    assertEquals(res.status, 404);
    assertEquals(res.headers.get("content-type"), "text/plain; charset=utf-8");
    assertEquals(text, "404 page not found\n");
  });

  await t.step(
    "a manifest with subject is accepted without OCI-Subject",
    async () => {
      const { res } = await req(
        "PUT",
        `/v2/${fx.artifact.repo}/manifests/again`,
        {
          headers: { "content-type": MEDIA_TYPE.OCI_MANIFEST },
          body: fx.artifact.manifest,
        },
      );
      assertEquals(res.status, 201);
      assertEquals(res.headers.get("oci-subject"), null);
      assertEquals(
        res.headers.get("docker-content-digest"),
        fx.artifact.digest,
      );
    },
  );

  await t.step(
    "without Accept, OCI manifests are 404 and Docker ones become schema 1",
    async () => {
      const oci = await req("GET", `/v2/${fx.multiLayer.repo}/manifests/v1`);
      assertEquals(oci.res.status, 404);
      assertEquals(JSON.parse(oci.text).errors[0].code, "MANIFEST_UNKNOWN");
      const docker = await req("GET", `/v2/${fx.docker.repo}/manifests/v1`);
      assertEquals(docker.res.status, 200);
      assertEquals(
        docker.res.headers.get("content-type"),
        MEDIA_TYPE.DOCKER_MANIFEST_V1_SIGNED,
      );
    },
  );

  await t.step("DELETE by tag is refused; by digest works", async () => {
    const byTag = await req(
      "DELETE",
      `/v2/${fx.multiLayer.repo}/manifests/latest`,
    );
    assertEquals(byTag.res.status, 400);
    assertEquals(JSON.parse(byTag.text).errors[0].code, "DIGEST_INVALID");
    const byDigest = await req(
      "DELETE",
      `/v2/${fx.artifact.repo}/manifests/${fx.artifact.digest}`,
    );
    assertEquals(byDigest.res.status, 202);
  });

  await t.step("blob Range requests answer 206", async () => {
    const { res, text } = await req(
      "GET",
      `/v2/${fx.multiLayer.repo}/blobs/${fx.multiLayer.layers[0]}`,
      { headers: { range: "bytes=0-9" } },
    );
    assertEquals(res.status, 206);
    assertEquals(
      res.headers.get("content-range"),
      `bytes 0-9/${fx.multiLayer.layerSizes[0]}`,
    );
    assert(text.length > 0);
  });

  await t.step("cross-repository mount answers 201", async () => {
    const { res } = await req(
      "POST",
      `/v2/fixtures/mounted/blobs/uploads/?mount=${
        fx.multiLayer.layers[0]
      }&from=${fx.multiLayer.repo}`,
    );
    assertEquals(res.status, 201);
  });
});
