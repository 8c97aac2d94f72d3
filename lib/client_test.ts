// The read side of the client against the in-process fake registry (paging,
// the referrers API, OAuth2 and scope handling the real registry 2.8 cannot
// show) and against an injected fetch (URLs and headers).

import assert from "node:assert/strict";
import { createClient } from "./client.ts";
import { MEDIA_TYPE } from "./media_types.ts";
import { startFakeRegistry } from "./testing/fake_registry.ts";

const EMPTY_CONFIG = {
  mediaType: MEDIA_TYPE.OCI_EMPTY,
  digest:
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
  size: 2,
};

/** Seeds an image and `count` tags of it; returns the manifest digest. */
function seedImage(
  registry: Awaited<ReturnType<typeof startFakeRegistry>>,
  repo: string,
  tags: string[],
): string {
  registry.seedBlob(repo, "{}");
  const layer = registry.seedBlob(repo, `layer of ${repo}`);
  const manifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.OCI_MANIFEST,
    config: EMPTY_CONFIG,
    layers: [{
      mediaType: MEDIA_TYPE.OCI_LAYER,
      digest: layer,
      size: `layer of ${repo}`.length,
    }],
  };
  let digest = "";
  for (const tag of tags) digest = registry.seedManifest(repo, tag, manifest);
  return digest;
}

Deno.test("listTags() follows Link rel=next across pages", async () => {
  await using registry = await startFakeRegistry({ tagPageLimit: 7 });
  const tags = Array.from(
    { length: 50 },
    (_, i) => `t${String(i).padStart(3, "0")}`,
  );
  seedImage(registry, "paged", tags);
  const client = createClient({ repo: `${registry.host}/paged` });
  const list = await client.listTags();
  assert.deepEqual(list, { name: "paged", tags });
  const pages = registry.requests.filter((r) => r.path.includes("/tags/list"));
  assert.equal(pages.length, 8); // ceil(50 / 7)
  assert.match(pages[1].path, /last=t006/);
});

Deno.test("listTags({pageSize}) sends n= and pages with the registry's Link", async () => {
  await using registry = await startFakeRegistry();
  const tags = Array.from(
    { length: 25 },
    (_, i) => `v${String(i).padStart(2, "0")}`,
  );
  seedImage(registry, "sized", tags);
  const client = createClient({ repo: `${registry.host}/sized` });
  const seen: string[] = [];
  for await (const tag of client.iterateTags({ pageSize: 10 })) seen.push(tag);
  assert.deepEqual(seen, tags);
  const paths = registry.requests.filter((r) => r.path.includes("/tags/list"))
    .map((r) => r.path);
  assert.equal(paths.length, 3);
  assert.ok(paths.every((p) => p.includes("n=10")));
});

Deno.test("listTags() pages with last= when a registry sends full pages but no Link", async () => {
  const all = Array.from(
    { length: 12 },
    (_, i) => `x${String(i).padStart(2, "0")}`,
  );
  const requested: string[] = [];
  const fetch = (request: Request) => {
    const url = new URL(request.url);
    requested.push(url.search);
    if (url.pathname === "/v2/") return Promise.resolve(new Response("{}"));
    const n = Number(url.searchParams.get("n"));
    const last = url.searchParams.get("last");
    const start = last ? all.indexOf(last) + 1 : 0;
    return Promise.resolve(
      Response.json({ name: "nolink", tags: all.slice(start, start + n) }),
    );
  };
  const client = createClient({ repo: "127.0.0.1:1/nolink", fetch });
  assert.deepEqual((await client.listTags({ pageSize: 5 })).tags, all);
  assert.deepEqual(requested.slice(1), [
    "?n=5",
    "?n=5&last=x04",
    "?n=5&last=x09",
  ]);
});

Deno.test("listCatalog() pages through /v2/_catalog", async () => {
  await using registry = await startFakeRegistry({ tagPageLimit: 3 });
  const repos = ["a/one", "a/two", "b", "c/d/e", "f", "g", "h"];
  for (const repo of repos) seedImage(registry, repo, ["latest"]);
  const client = createClient({ repo: `${registry.host}/a/one` });
  const { repositories } = await client.listCatalog();
  assert.deepEqual(repositories, [...repos].sort());
  assert.equal(
    registry.requests.filter((r) => r.path.startsWith("/v2/_catalog")).length,
    3,
  );
});

Deno.test("getReferrers() uses the referrers API, pages, and filters by artifactType", async () => {
  await using registry = await startFakeRegistry({ tagPageLimit: 2 });
  const subject = seedImage(registry, "app", ["v1"]);
  const subjectSize = registry.getManifest("app", "v1")!.bytes.byteLength;
  const types = [
    "application/spdx+json",
    "application/vnd.cncf.notary.signature",
    "application/spdx+json",
  ];
  const digests = types.map((artifactType, i) =>
    registry.seedManifest("app", `ref${i}`, {
      schemaVersion: 2,
      mediaType: MEDIA_TYPE.OCI_MANIFEST,
      artifactType,
      config: EMPTY_CONFIG,
      layers: [EMPTY_CONFIG],
      subject: {
        mediaType: MEDIA_TYPE.OCI_MANIFEST,
        digest: subject,
        size: subjectSize,
      },
      annotations: { n: String(i) },
    })
  );
  const client = createClient({ repo: `${registry.host}/app` });
  const all = await client.getReferrers(subject);
  assert.equal(all.mediaType, MEDIA_TYPE.OCI_INDEX);
  assert.deepEqual(
    all.manifests.map((d) => d.digest).sort(),
    [...digests].sort(),
  );
  const sboms = await client.getReferrers(subject, {
    artifactType: "application/spdx+json",
  });
  assert.deepEqual(
    sboms.manifests.map((d) => d.digest).sort(),
    [digests[0], digests[2]].sort(),
  );
  assert.ok(
    registry.requests.some((r) =>
      r.path.includes("/referrers/") && r.path.includes("artifactType=")
    ),
  );
  assert.ok(
    !registry.requests.some((r) => r.path.includes("/manifests/sha256-")),
  );
});

Deno.test("getManifest() sends Accept for every type it handles; schema1 only when asked", async () => {
  const accepts: string[] = [];
  const fetch = (request: Request) => {
    if (new URL(request.url).pathname === "/v2/") {
      return Promise.resolve(new Response("{}"));
    }
    accepts.push(request.headers.get("accept") ?? "");
    return Promise.resolve(new Response("nope", { status: 404 }));
  };
  const repo = "127.0.0.1:1/x";
  await createClient({ repo, fetch }).getManifest("a").catch(() => {});
  await createClient({
    repo,
    fetch,
    acceptManifestLists: false,
    acceptOCIManifests: false,
  })
    .getManifest("a").catch(() => {});
  await createClient({ repo, fetch, acceptSchema1: true }).getManifest("a")
    .catch(() => {});
  assert.deepEqual(accepts[0].split(", "), [
    MEDIA_TYPE.DOCKER_MANIFEST,
    MEDIA_TYPE.DOCKER_MANIFEST_LIST,
    MEDIA_TYPE.OCI_MANIFEST,
    MEDIA_TYPE.OCI_INDEX,
  ]);
  assert.deepEqual(accepts[1].split(", "), [MEDIA_TYPE.DOCKER_MANIFEST]);
  assert.ok(accepts[2].includes(MEDIA_TYPE.DOCKER_MANIFEST_V1_SIGNED));
  assert.ok(!accepts[0].includes(MEDIA_TYPE.DOCKER_MANIFEST_V1_SIGNED));
});

Deno.test("createClient() picks https, http for loopback, and Docker Hub's API host", async (t) => {
  const cases: [string, Record<string, unknown>, string][] = [
    [
      "busybox",
      {},
      "https://registry-1.docker.io/v2/library/busybox/tags/list",
    ],
    [
      "docker.io/foo/bar",
      {},
      "https://registry-1.docker.io/v2/foo/bar/tags/list",
    ],
    ["quay.io/a/b", {}, "https://quay.io/v2/a/b/tags/list"],
    ["localhost:5000/a", {}, "http://localhost:5000/v2/a/tags/list"],
    ["127.0.0.1:5000/a", {}, "http://127.0.0.1:5000/v2/a/tags/list"],
    ["127.1.2.3:5000/a", {}, "http://127.1.2.3:5000/v2/a/tags/list"],
    ["[::1]:5000/a", {}, "http://[::1]:5000/v2/a/tags/list"],
    ["https://127.0.0.1:5000/a", {}, "https://127.0.0.1:5000/v2/a/tags/list"],
    ["myreg:5000/a", { scheme: "http" }, "http://myreg:5000/v2/a/tags/list"],
  ];
  for (const [repo, options, expected] of cases) {
    await t.step(repo, async () => {
      const urls: string[] = [];
      const fetch = (request: Request) => {
        urls.push(request.url);
        return Promise.resolve(
          new URL(request.url).pathname === "/v2/"
            ? new Response("{}")
            : Response.json({ name: "x", tags: [] }),
        );
      };
      await createClient({
        repo,
        fetch,
        useDefaultCredentials: false,
        ...options,
      }).listTags();
      assert.equal(urls.at(-1), expected);
    });
  }
});

Deno.test("the User-Agent header is sent, and can be set", async () => {
  await using registry = await startFakeRegistry();
  seedImage(registry, "ua", ["v1"]);
  await createClient({ repo: `${registry.host}/ua` }).headManifest("v1");
  await createClient({ repo: `${registry.host}/ua`, userAgent: "my-tool/2.0" })
    .headManifest("v1");
  const agents = registry.requests.filter((r) => r.path.includes("/manifests/"))
    .map((r) => r.headers["user-agent"]);
  assert.match(agents[0], /^docker-registry-client-deno\//);
  assert.equal(agents[1], "my-tool/2.0");
});

Deno.test("bearer auth: a pull token grows into pull,push once, on a 401 asking for more scope", async () => {
  await using registry = await startFakeRegistry({ auth: "bearer" });
  seedImage(registry, "scoped", ["v1"]);
  const client = createClient({
    repo: `${registry.host}/scoped`,
    username: "user",
    password: "pass",
  });
  await client.headManifest("v1");
  await client.headManifest("v1");
  assert.equal(registry.tokensIssued, 1);
  // A request the pull token does not cover: the client derives pull,push
  // from the method and asks once; later pulls reuse the wider token.
  const res = await client.auth.transport(
    new Request(`${registry.url}/v2/scoped/blobs/uploads/`, { method: "POST" }),
  );
  await res.body?.cancel();
  assert.equal(res.status, 202);
  await client.getManifest("v1");
  await client.headManifest("v1");
  assert.equal(registry.tokensIssued, 2);
  const tokenRequests = registry.requests.filter((r) =>
    r.path.startsWith("/token")
  );
  assert.match(
    tokenRequests[1].path,
    /scope=repository%3Ascoped%3Apull%2Cpush/,
  );
});

Deno.test("bearer auth: a 401 with insufficient_scope gets one more token and one replay", async () => {
  await using registry = await startFakeRegistry({ auth: "bearer" });
  seedImage(registry, "one", ["v1"]);
  seedImage(registry, "two", ["v1"]);
  const client = createClient({
    repo: `${registry.host}/one`,
    username: "user",
    password: "pass",
  });
  await client.headManifest("v1");
  // A mount from "two" needs pull on "two" as well; the auth layer derives
  // it from the URL, so one token request covers it up front.
  const layer = [...registry.repositories.get("two")!.blobs].find((d) =>
    registry.getBlob(d)!.byteLength > 2
  )!;
  const res = await client.auth.transport(
    new Request(
      `${registry.url}/v2/one/blobs/uploads/?mount=${layer}&from=two`,
      { method: "POST" },
    ),
  );
  await res.body?.cancel();
  assert.equal(res.status, 201);
  // Revoked tokens: the 401 is answered with a fresh token and a replay.
  registry.revokeTokens();
  const before = registry.tokensIssued;
  await client.headManifest("v1");
  assert.equal(registry.tokensIssued, before + 1);
});

Deno.test("bearer auth: concurrent requests share one token request", async () => {
  await using registry = await startFakeRegistry({ auth: "bearer" });
  seedImage(registry, "conc", ["a", "b", "c", "d"]);
  const client = createClient({ repo: `${registry.host}/conc` });
  await Promise.all(
    ["a", "b", "c", "d"].map((tag) => client.headManifest(tag)),
  );
  assert.equal(registry.tokensIssued, 1);
  assert.equal(registry.requests.filter((r) => r.path === "/v2/").length, 1);
});

Deno.test("OAuth2: an identity token uses the refresh_token grant, falling back to GET on 404", async () => {
  await using registry = await startFakeRegistry({ auth: "bearer" });
  seedImage(registry, "oauth", ["v1"]);
  const login = await createClient({
    repo: `${registry.host}/oauth`,
    username: "user",
    password: "pass",
    oauth2: true,
  }).login();
  assert.ok(login.refreshToken);
  const client = createClient({
    repo: `${registry.host}/oauth`,
    credentials: { identityToken: login.refreshToken },
  });
  await client.headManifest("v1");
  const posts = registry.requests.filter((r) =>
    r.method === "POST" && r.path.startsWith("/token")
  );
  assert.equal(posts.length, 2);
  // A token server without the POST flow: the client falls back to GET.
  registry.faults.status = {
    status: 404,
    path: /^\/token/,
    method: "POST",
    times: Infinity,
  };
  const basic = createClient({
    repo: `${registry.host}/oauth`,
    username: "user",
    password: "pass",
    oauth2: true,
  });
  await basic.headManifest("v1");
  const last = registry.requests.filter((r) => r.path.startsWith("/token")).at(
    -1,
  )!;
  assert.equal(last.method, "GET");
  assert.ok(last.headers.authorization?.startsWith("Basic "));
});

Deno.test("Basic auth: credentials on every request, no token server", async () => {
  await using registry = await startFakeRegistry({ auth: "basic" });
  seedImage(registry, "basic", ["v1"]);
  const client = createClient({
    repo: `${registry.host}/basic`,
    username: "user",
    password: "pass",
  });
  assert.deepEqual((await client.ping()).authSchemes, ["basic"]);
  await client.getManifest("v1");
  const manifestRequest = registry.requests.find((r) =>
    r.path.includes("/manifests/")
  )!;
  assert.equal(
    manifestRequest.headers.authorization,
    `Basic ${btoa("user:pass")}`,
  );
});

Deno.test("getManifest({platform}) follows an index to one platform's manifest", async () => {
  await using registry = await startFakeRegistry();
  const amd = seedImage(registry, "multi", ["amd"]);
  registry.seedBlob("multi", "arm layer");
  const arm = registry.seedManifest("multi", "arm", {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.OCI_MANIFEST,
    config: EMPTY_CONFIG,
    layers: [],
  });
  const size = (d: string) =>
    registry.getManifest("multi", d)!.bytes.byteLength;
  registry.seedManifest("multi", "v1", {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.OCI_INDEX,
    manifests: [
      {
        mediaType: MEDIA_TYPE.OCI_MANIFEST,
        digest: amd,
        size: size(amd),
        platform: { os: "linux", architecture: "amd64" },
      },
      {
        mediaType: MEDIA_TYPE.OCI_MANIFEST,
        digest: arm,
        size: size(arm),
        platform: { os: "linux", architecture: "arm64", variant: "v8" },
      },
      {
        mediaType: MEDIA_TYPE.OCI_MANIFEST,
        digest: arm,
        size: size(arm),
        platform: { os: "unknown", architecture: "unknown" },
      },
    ],
  });
  const client = createClient({ repo: `${registry.host}/multi` });
  assert.equal(
    (await client.getManifest("v1", {
      platform: { os: "linux", architecture: "amd64" },
    })).digest,
    amd,
  );
  assert.equal(
    (await client.getManifest("v1", {
      platform: { os: "linux", architecture: "arm64" },
    })).digest,
    arm,
  );
  assert.equal(
    (await client.getManifest("v1")).mediaType,
    MEDIA_TYPE.OCI_INDEX,
  );
});
