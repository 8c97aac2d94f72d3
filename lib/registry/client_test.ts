// The read side of the client against the in-process fake registry (paging,
// the referrers API, OAuth2 and scope handling the real registry 2.8 cannot
// show) and against an injected fetch (URLs and headers).

import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { createClient } from "./client.ts";
import {
  ConnectionError,
  InvalidResponseError,
  NotFoundError,
  ResponseTooLargeError,
} from "../errors.ts";
import { MEDIA_TYPE } from "../ref/media_types.ts";
import { startFakeRegistry } from "../testing/fake_registry.ts";

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
  assertEquals(list, { name: "paged", tags });
  const pages = registry.requests.filter((r) => r.path.includes("/tags/list"));
  assertEquals(pages.length, 8); // ceil(50 / 7)
  assertMatch(pages[1].path, /last=t006/);
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
  assertEquals(seen, tags);
  const paths = registry.requests.filter((r) => r.path.includes("/tags/list"))
    .map((r) => r.path);
  assertEquals(paths.length, 3);
  assert(paths.every((p) => p.includes("n=10")));
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
  assertEquals((await client.listTags({ pageSize: 5 })).tags, all);
  assertEquals(requested.slice(1), [
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
  assertEquals(repositories, [...repos].sort());
  assertEquals(
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
  assertEquals(all.mediaType, MEDIA_TYPE.OCI_INDEX);
  assertEquals(
    all.manifests.map((d) => d.digest).sort(),
    [...digests].sort(),
  );
  const sboms = await client.getReferrers(subject, {
    artifactType: "application/spdx+json",
  });
  assertEquals(
    sboms.manifests.map((d) => d.digest).sort(),
    [digests[0], digests[2]].sort(),
  );
  assert(
    registry.requests.some((r) =>
      r.path.includes("/referrers/") && r.path.includes("artifactType=")
    ),
  );
  assert(
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
  assertEquals(accepts[0].split(", "), [
    MEDIA_TYPE.DOCKER_MANIFEST,
    MEDIA_TYPE.DOCKER_MANIFEST_LIST,
    MEDIA_TYPE.OCI_MANIFEST,
    MEDIA_TYPE.OCI_INDEX,
  ]);
  assertEquals(accepts[1].split(", "), [MEDIA_TYPE.DOCKER_MANIFEST]);
  assert(accepts[2].includes(MEDIA_TYPE.DOCKER_MANIFEST_V1_SIGNED));
  assert(!accepts[0].includes(MEDIA_TYPE.DOCKER_MANIFEST_V1_SIGNED));
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
      assertEquals(urls.at(-1), expected);
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
  assertMatch(agents[0], /^docker-registry-client-deno\//);
  assertEquals(agents[1], "my-tool/2.0");
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
  assertEquals(registry.tokensIssued, 1);
  // A request the pull token does not cover: the client derives pull,push
  // from the method and asks once; later pulls reuse the wider token.
  const res = await client.auth.transport(
    new Request(`${registry.url}/v2/scoped/blobs/uploads/`, { method: "POST" }),
  );
  await res.body?.cancel();
  assertEquals(res.status, 202);
  await client.getManifest("v1");
  await client.headManifest("v1");
  assertEquals(registry.tokensIssued, 2);
  const tokenRequests = registry.requests.filter((r) =>
    r.path.startsWith("/token")
  );
  assertMatch(
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
  assertEquals(res.status, 201);
  // Revoked tokens: the 401 is answered with a fresh token and a replay.
  registry.revokeTokens();
  const before = registry.tokensIssued;
  await client.headManifest("v1");
  assertEquals(registry.tokensIssued, before + 1);
});

Deno.test("bearer auth: concurrent requests share one token request", async () => {
  await using registry = await startFakeRegistry({ auth: "bearer" });
  seedImage(registry, "conc", ["a", "b", "c", "d"]);
  const client = createClient({ repo: `${registry.host}/conc` });
  await Promise.all(
    ["a", "b", "c", "d"].map((tag) => client.headManifest(tag)),
  );
  assertEquals(registry.tokensIssued, 1);
  assertEquals(registry.requests.filter((r) => r.path === "/v2/").length, 1);
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
  assert(login.refreshToken);
  const client = createClient({
    repo: `${registry.host}/oauth`,
    credentials: { identityToken: login.refreshToken },
  });
  await client.headManifest("v1");
  const posts = registry.requests.filter((r) =>
    r.method === "POST" && r.path.startsWith("/token")
  );
  assertEquals(posts.length, 2);
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
  assertEquals(last.method, "GET");
  assert(last.headers.authorization?.startsWith("Basic "));
});

Deno.test("Basic auth: credentials on every request, no token server", async () => {
  await using registry = await startFakeRegistry({ auth: "basic" });
  seedImage(registry, "basic", ["v1"]);
  const client = createClient({
    repo: `${registry.host}/basic`,
    username: "user",
    password: "pass",
  });
  assertEquals((await client.ping()).authSchemes, ["basic"]);
  await client.getManifest("v1");
  const manifestRequest = registry.requests.find((r) =>
    r.path.includes("/manifests/")
  )!;
  assertEquals(
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
  assertEquals(
    (await client.getManifest("v1", {
      platform: { os: "linux", architecture: "amd64" },
    })).digest,
    amd,
  );
  assertEquals(
    (await client.getManifest("v1", {
      platform: { os: "linux", architecture: "arm64" },
    })).digest,
    arm,
  );
  assertEquals(
    (await client.getManifest("v1")).mediaType,
    MEDIA_TYPE.OCI_INDEX,
  );
});

/** A throwaway self-signed CA certificate (its key was discarded). */
const TEST_CA_PEM = `-----BEGIN CERTIFICATE-----
MIIBezCCASGgAwIBAgIUb3JoVx2HYTOwTp8FEQhsUsy8h5IwCgYIKoZIzj0EAwIw
EjEQMA4GA1UEAwwHdGVzdC1jYTAgFw0yNjExMjMwMDEyMjhaGA8yMTI2MTAzMDAw
MTIyOFowEjEQMA4GA1UEAwwHdGVzdC1jYTBZMBMGByqGSM49AgEGCCqGSM49AwEH
A0IABBSD6BsEaj0nTJz1F5xvVPd8h8PVETY5xO9a2FlEuxNvPGDSo9LVYQiC1Xbu
XVDpDDv4WeNOQ/IqJ11x3IOgD12jUzBRMB0GA1UdDgQWBBSTKmSsIUJDiGswd9Sc
RtcgJ5IVtTAfBgNVHSMEGDAWgBSTKmSsIUJDiGswd9ScRtcgJ5IVtTAPBgNVHRMB
Af8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIQCQER/ry9zjdg7OJrGy6oTp22Sf
oC3zrLqQjasPqqNEJAIgTk44HqwfKXrJOzyYyhhT0200ZtMl54RB+/VMRgyo1qQ=
-----END CERTIFICATE-----
`;

/** Counts the HTTP clients made, and which of them were closed. */
function watchHttpClients(): Disposable & { made: number; closed: number } {
  const create = Deno.createHttpClient;
  const watch = {
    made: 0,
    closed: 0,
    [Symbol.dispose]() {
      Deno.createHttpClient = create;
    },
  };
  Deno.createHttpClient = ((options: Deno.CreateHttpClientOptions) => {
    const client = create(options);
    watch.made++;
    const close = client.close.bind(client);
    client.close = () => {
      watch.closed++;
      close();
    };
    return client;
  }) as typeof Deno.createHttpClient;
  return watch;
}

Deno.test("createClient({auth}) refuses the auth state of another registry", async () => {
  await using registry = await startFakeRegistry();
  const first = createClient({
    repo: `${registry.host}/app`,
    useDefaultCredentials: false,
  });
  const err = assertThrows(
    () => createClient({ repo: "127.0.0.1:1/app", auth: first.auth }),
    TypeError,
  );
  assertEquals(
    err.message,
    `Cannot create a client for http://127.0.0.1:1 with the auth state of ${registry.url}`,
  );
  assertThrows(
    () =>
      createClient({
        repo: `${registry.host}/other`,
        scheme: "https",
        auth: first.auth,
      }),
    TypeError,
  );
});

Deno.test("createClient({auth}) sends through the shared transport and makes no HTTP client of its own", async () => {
  await using registry = await startFakeRegistry();
  seedImage(registry, "other", ["v1"]);
  using clients = watchHttpClients();
  const sent: string[] = [];
  const first = createClient({
    repo: `${registry.host}/app`,
    useDefaultCredentials: false,
    userAgent: "first/1",
    fetch: (request) => {
      sent.push(new URL(request.url).pathname);
      return fetch(request);
    },
  });
  const second = createClient({
    repo: `${registry.host}/other`,
    auth: first.auth,
    caCerts: [TEST_CA_PEM],
    userAgent: "second/2",
  });
  assertStrictEquals(second.auth, first.auth);
  assertEquals(clients.made, 0);
  assertEquals((await second.listTags()).tags, ["v1"]);
  assertEquals(sent, ["/v2/", "/v2/other/tags/list"]);
  const list = registry.requests.find((r) => r.path.includes("/tags/list"))!;
  assertEquals(list.headers["user-agent"], "first/1");
});

Deno.test("close() closes the HTTP client made for caCerts, once; using closes it too", async (t) => {
  await using registry = await startFakeRegistry();
  seedImage(registry, "app", ["v1"]);
  await t.step("close()", async () => {
    using clients = watchHttpClients();
    const client = createClient({
      repo: `${registry.host}/app`,
      useDefaultCredentials: false,
      caCerts: [TEST_CA_PEM],
      retry: { maxAttempts: 1 },
    });
    assertEquals(clients.made, 1);
    assertEquals((await client.listTags()).tags, ["v1"]);
    client.close();
    client.close();
    assertEquals(clients.closed, 1);
    await assertRejects(() => client.listTags(), ConnectionError);
  });
  await t.step("using", () => {
    using clients = watchHttpClients();
    {
      using _client = createClient({
        repo: `${registry.host}/app`,
        caCerts: [TEST_CA_PEM],
      });
      assertEquals(clients.closed, 0);
    }
    assertEquals([clients.made, clients.closed], [1, 1]);
  });
  await t.step("without caCerts: a no-op", () => {
    using clients = watchHttpClients();
    const client = createClient({ repo: `${registry.host}/app` });
    client.close();
    assertEquals([clients.made, clients.closed], [0, 0]);
  });
});

/** A fetch that removes `Content-Length` from the answers to HEAD requests. */
const withoutContentLengthOnHead = async (request: Request) => {
  const res = await fetch(request);
  if (request.method !== "HEAD") return res;
  await res.body?.cancel();
  const headers = new Headers(res.headers);
  headers.delete("content-length");
  return new Response(null, { status: res.status, headers });
};

Deno.test("headManifest() without Content-Length gets the manifest to learn its size", async () => {
  await using registry = await startFakeRegistry();
  const digest = seedImage(registry, "app", ["v1"]);
  const client = createClient({
    repo: `${registry.host}/app`,
    useDefaultCredentials: false,
    fetch: withoutContentLengthOnHead,
  });
  assertEquals(await client.headManifest("v1"), {
    digest,
    mediaType: MEDIA_TYPE.OCI_MANIFEST,
    size: registry.getManifest("app", "v1")!.bytes.byteLength,
  });
  assertEquals(
    registry.requests.filter((r) => r.path !== "/v2/").map((r) => r.method),
    ["HEAD", "GET"],
  );
});

Deno.test("headBlob() without Content-Length is an InvalidResponseError; hasBlob() still says yes", async () => {
  await using registry = await startFakeRegistry();
  const digest = registry.seedBlob("app", "some bytes");
  const client = createClient({
    repo: `${registry.host}/app`,
    useDefaultCredentials: false,
    fetch: withoutContentLengthOnHead,
  });
  const err = await assertRejects(
    () => client.headBlob(digest),
    InvalidResponseError,
  );
  assertEquals(
    err.message,
    `Cannot head blob "app@${digest}": the answer has no valid Content-Length`,
  );
  assertEquals(await client.hasBlob(digest), true);
});

/** Seeds `count` referrers of a new image in `app`; returns its digest. */
function seedReferrers(
  registry: Awaited<ReturnType<typeof startFakeRegistry>>,
  count: number,
): string {
  const subject = seedImage(registry, "app", ["v1"]);
  const size = registry.getManifest("app", "v1")!.bytes.byteLength;
  for (let i = 0; i < count; i++) {
    registry.seedManifest("app", `ref${i}`, {
      schemaVersion: 2,
      mediaType: MEDIA_TYPE.OCI_MANIFEST,
      artifactType: "application/example",
      config: EMPTY_CONFIG,
      layers: [EMPTY_CONFIG],
      subject: { mediaType: MEDIA_TYPE.OCI_MANIFEST, digest: subject, size },
      annotations: { n: String(i).padStart(100, "0") },
    });
  }
  return subject;
}

Deno.test("getReferrers() fails on a 404 after the first page rather than return part of the list", async () => {
  await using registry = await startFakeRegistry({ tagPageLimit: 2 });
  const subject = seedReferrers(registry, 5);
  let pages = 0;
  const client = createClient({
    repo: `${registry.host}/app`,
    useDefaultCredentials: false,
    fetch: async (request) => {
      if (!request.url.includes("/referrers/") || ++pages < 2) {
        return await fetch(request);
      }
      return Response.json({
        errors: [{ code: "NAME_UNKNOWN", message: "gone" }],
      }, { status: 404 });
    },
  });
  const err = await assertRejects(
    () => client.getReferrers(subject),
    NotFoundError,
  );
  assertMatch(err.message, /^Cannot get referrers of "app@sha256:/);
  assert(
    !registry.requests.some((r) => r.path.includes("/manifests/sha256-")),
  );
});

Deno.test("getReferrers() reads each page up to maxManifestBytes", async () => {
  await using registry = await startFakeRegistry();
  const subject = seedReferrers(registry, 20);
  const client = createClient({
    repo: `${registry.host}/app`,
    useDefaultCredentials: false,
    maxManifestBytes: 2_000,
  });
  await assertRejects(
    () => client.getReferrers(subject),
    ResponseTooLargeError,
  );
  const roomy = createClient({
    repo: `${registry.host}/app`,
    useDefaultCredentials: false,
  });
  assertEquals((await roomy.getReferrers(subject)).manifests.length, 20);
});

Deno.test("a ConnectionError redacts its cause's URLs as redactText does, and nothing else", async () => {
  const client = createClient({
    repo: "127.0.0.1:1/app",
    useDefaultCredentials: false,
    retry: { maxAttempts: 1 },
    fetch: () =>
      Promise.reject(
        new TypeError(
          'why? error sending request for url "http://user:pw@127.0.0.1:1/v2/?sig=secret" (os error 111)',
        ),
      ),
  });
  const err = await assertRejects(() => client.ping(), ConnectionError);
  assertEquals(
    err.message,
    'Cannot ping http://127.0.0.1:1: connection failed: why? error sending request for url "http://127.0.0.1:1/v2/?REDACTED" (os error 111)',
  );
});
