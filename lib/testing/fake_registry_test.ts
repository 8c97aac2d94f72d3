import {
  assert,
  assertEquals,
  assertMatch,
  assertNotEquals,
  assertRejects,
  assertStrictEquals,
} from "@std/assert";
import { FakeTime } from "@std/testing/time";
import { createHash } from "node:crypto";
import { type FakeRegistry, startFakeRegistry } from "./fake_registry.ts";

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
const EMPTY_CONFIG = "application/vnd.oci.empty.v1+json";

const encoder = new TextEncoder();
const bytesOf = (s: string): Uint8Array => encoder.encode(s);

function sha256(data: Uint8Array | string): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

/** The OCI error codes of an error answer (consumes the body). */
async function codes(res: Response): Promise<string[]> {
  const body = await res.json() as { errors: { code: string }[] };
  return body.errors.map((e) => e.code);
}

/** Seeds an empty config blob and returns an image manifest using it. */
function seedImage(
  registry: FakeRegistry,
  repo: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const config = registry.seedBlob(repo, "{}");
  const layer = registry.seedBlob(repo, "layer-bytes");
  return {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: EMPTY_CONFIG, digest: config, size: 2 },
    layers: [{
      mediaType: "application/octet-stream",
      digest: layer,
      size: 11,
    }],
    ...extra,
  };
}

/** Opens an upload session; returns its absolute Location. */
async function openUpload(
  registry: FakeRegistry,
  repo: string,
  headers: HeadersInit = {},
): Promise<string> {
  const res = await fetch(`${registry.url}/v2/${repo}/blobs/uploads/`, {
    method: "POST",
    headers,
  });
  await res.body?.cancel();
  assertEquals(res.status, 202);
  return new URL(res.headers.get("location")!, registry.url).href;
}

function withDigest(location: string, digest: string): string {
  const url = new URL(location);
  url.searchParams.set("digest", digest);
  return url.href;
}

Deno.test("startFakeRegistry() answers the version check and records requests", async () => {
  await using registry = await startFakeRegistry();
  assertMatch(registry.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assertEquals(registry.url, `http://${registry.host}`);
  assertNotEquals(registry.secondOrigin.url, registry.url);
  const res = await fetch(`${registry.url}/v2/`, {
    headers: { "X-Custom": "Yes" },
  });
  assertEquals(res.status, 200);
  assertEquals(
    res.headers.get("docker-distribution-api-version"),
    "registry/2.0",
  );
  assertEquals(await res.json(), {});
  assertEquals(registry.requests.length, 1);
  assertEquals(registry.requests[0].method, "GET");
  assertEquals(registry.requests[0].path, "/v2/");
  assertEquals(registry.requests[0].headers["x-custom"], "Yes");
  const other = await fetch(`${registry.url}/elsewhere`);
  assertEquals(other.status, 404);
  await other.body?.cancel();
});

Deno.test("startFakeRegistry() rejects options that are not positive integers", async () => {
  const err = await assertRejects(
    () => startFakeRegistry({ tagPageLimit: 0 }),
    RangeError,
  );
  assertEquals(
    err.message,
    "Cannot start the fake registry: tagPageLimit must be a positive integer, got 0",
  );
  await assertRejects(
    () => startFakeRegistry({ chunkMinLength: 1.5 }),
    RangeError,
  );
});

Deno.test("close() can be called twice and stops both servers", async () => {
  const registry = await startFakeRegistry();
  const res = await fetch(`${registry.url}/v2/`);
  await res.body?.cancel();
  await registry.close();
  await registry.close();
  await assertRejects(() => fetch(`${registry.url}/v2/`), TypeError);
  await assertRejects(() => fetch(`${registry.secondOrigin.url}/`), TypeError);
});

Deno.test("manifests are served by tag and digest with their headers", async (t) => {
  await using registry = await startFakeRegistry();
  const manifest = JSON.stringify(seedImage(registry, "app"));
  const digest = registry.seedManifest("app", "v1", manifest);
  assertEquals(digest, sha256(manifest));

  for (const ref of ["v1", digest]) {
    await t.step(`GET by ${ref.slice(0, 10)}`, async () => {
      const res = await fetch(`${registry.url}/v2/app/manifests/${ref}`);
      assertEquals(res.status, 200);
      assertEquals(res.headers.get("content-type"), OCI_MANIFEST);
      assertEquals(res.headers.get("docker-content-digest"), digest);
      assertEquals(res.headers.get("content-length"), String(manifest.length));
      assertEquals(await res.text(), manifest);
    });
  }
  await t.step("HEAD has the headers and no body", async () => {
    const res = await fetch(`${registry.url}/v2/app/manifests/v1`, {
      method: "HEAD",
    });
    assertEquals(res.status, 200);
    assertEquals(res.headers.get("docker-content-digest"), digest);
    assertEquals(res.headers.get("content-length"), String(manifest.length));
    assertEquals(await res.text(), "");
  });
  await t.step("unknown tag is MANIFEST_UNKNOWN", async () => {
    const res = await fetch(`${registry.url}/v2/app/manifests/nope`);
    assertEquals(res.status, 404);
    assertEquals(await codes(res), ["MANIFEST_UNKNOWN"]);
  });
  await t.step("unknown repository is NAME_UNKNOWN", async () => {
    const res = await fetch(`${registry.url}/v2/nothing/manifests/v1`);
    assertEquals(res.status, 404);
    assertEquals(await codes(res), ["NAME_UNKNOWN"]);
  });
  await t.step("invalid repository name is NAME_INVALID", async () => {
    const res = await fetch(`${registry.url}/v2/Upper/manifests/v1`);
    assertEquals(res.status, 400);
    assertEquals(await codes(res), ["NAME_INVALID"]);
  });
  await t.step("an unsupported method is UNSUPPORTED", async () => {
    const res = await fetch(`${registry.url}/v2/app/manifests/v1`, {
      method: "POST",
    });
    assertEquals(res.status, 405);
    assertEquals(await codes(res), ["UNSUPPORTED"]);
  });
});

Deno.test("PUT manifest stores it and checks digest, media type and references", async (t) => {
  await using registry = await startFakeRegistry();
  const body = JSON.stringify(seedImage(registry, "app"));
  const put = (ref: string, data: string, type = OCI_MANIFEST) =>
    fetch(`${registry.url}/v2/app/manifests/${ref}`, {
      method: "PUT",
      headers: { "content-type": type },
      body: data,
    });

  await t.step("by tag: 201 with Location and digest", async () => {
    const res = await put("v1", body);
    await res.body?.cancel();
    assertEquals(res.status, 201);
    assertEquals(res.headers.get("docker-content-digest"), sha256(body));
    assertEquals(
      res.headers.get("location"),
      `/v2/app/manifests/${sha256(body)}`,
    );
    assertEquals(res.headers.get("oci-subject"), null);
    assertEquals(registry.getManifest("app", "v1")?.digest, sha256(body));
  });
  await t.step("by digest: accepted when it matches", async () => {
    const res = await put(sha256(body), body);
    await res.body?.cancel();
    assertEquals(res.status, 201);
  });
  await t.step("by a wrong digest: DIGEST_INVALID", async () => {
    const res = await put(sha256("other"), body);
    assertEquals(res.status, 400);
    assertEquals(await codes(res), ["DIGEST_INVALID"]);
  });
  await t.step(
    "Content-Type differing from mediaType: MANIFEST_INVALID",
    async () => {
      const res = await put("v2", body, DOCKER_MANIFEST);
      assertEquals(res.status, 400);
      assertEquals(await codes(res), ["MANIFEST_INVALID"]);
    },
  );
  await t.step("not JSON: MANIFEST_INVALID", async () => {
    const res = await put("v2", "not json");
    assertEquals(res.status, 400);
    assertEquals(await codes(res), ["MANIFEST_INVALID"]);
  });
  await t.step("unknown layer: MANIFEST_BLOB_UNKNOWN", async () => {
    const res = await put(
      "v2",
      JSON.stringify({
        ...JSON.parse(body),
        layers: [{ digest: sha256("x") }],
      }),
    );
    assertEquals(res.status, 400);
    assertEquals(await codes(res), ["MANIFEST_BLOB_UNKNOWN"]);
  });
  await t.step("larger than 4 MiB: 413", async () => {
    const res = await put("big", "x".repeat(4 * 1024 * 1024 + 1));
    assertEquals(res.status, 413);
    await res.body?.cancel();
  });
  await t.step("with a subject: OCI-Subject answered", async () => {
    const subject = { mediaType: OCI_MANIFEST, digest: sha256(body), size: 1 };
    const referrer = JSON.stringify({ ...JSON.parse(body), subject });
    const res = await put(sha256(referrer), referrer);
    await res.body?.cancel();
    assertEquals(res.status, 201);
    assertEquals(res.headers.get("oci-subject"), sha256(body));
  });
});

Deno.test("answerOciSubject: false leaves OCI-Subject out", async () => {
  await using registry = await startFakeRegistry({ answerOciSubject: false });
  const subject = { mediaType: OCI_MANIFEST, digest: sha256("s"), size: 1 };
  const body = JSON.stringify(seedImage(registry, "app", { subject }));
  const res = await fetch(`${registry.url}/v2/app/manifests/sig`, {
    method: "PUT",
    headers: { "content-type": OCI_MANIFEST },
    body,
  });
  await res.body?.cancel();
  assertEquals(res.status, 201);
  assertEquals(res.headers.get("oci-subject"), null);
});

Deno.test("DELETE manifest removes a tag, or a digest with its tags", async () => {
  await using registry = await startFakeRegistry();
  const digest = registry.seedManifest("app", "v1", seedImage(registry, "app"));
  registry.seedManifest("app", "v2", seedImage(registry, "app"));
  const del = async (ref: string) => {
    const res = await fetch(`${registry.url}/v2/app/manifests/${ref}`, {
      method: "DELETE",
    });
    await res.body?.cancel();
    return res.status;
  };
  assertEquals(await del("v1"), 202);
  assertEquals(registry.getManifest("app", "v1"), undefined);
  assertEquals(registry.getManifest("app", digest)?.digest, digest);
  assertEquals(await del(digest), 202);
  assertEquals(registry.getManifest("app", "v2"), undefined);
  assertEquals(await del(digest), 404);
});

Deno.test("blobs are served whole, by range, by HEAD, and deleted", async (t) => {
  await using registry = await startFakeRegistry();
  const digest = registry.seedBlob("app", "0123456789");
  const url = `${registry.url}/v2/app/blobs/${digest}`;

  await t.step("GET: 200 with digest and length", async () => {
    const res = await fetch(url);
    assertEquals(res.status, 200);
    assertEquals(res.headers.get("docker-content-digest"), digest);
    assertEquals(res.headers.get("content-length"), "10");
    assertEquals(res.headers.get("accept-ranges"), "bytes");
    assertEquals(await res.text(), "0123456789");
  });
  const ranges: [string, number, string, string][] = [
    ["bytes=4-", 206, "bytes 4-9/10", "456789"],
    ["bytes=2-4", 206, "bytes 2-4/10", "234"],
    ["bytes=8-100", 206, "bytes 8-9/10", "89"],
    ["bytes=10-", 416, "bytes */10", ""],
    ["bytes=-3", 200, "", "0123456789"],
  ];
  for (const [range, status, contentRange, text] of ranges) {
    await t.step(`Range ${range}: ${status}`, async () => {
      const res = await fetch(url, { headers: { range } });
      assertEquals(res.status, status);
      assertEquals(res.headers.get("content-range") ?? "", contentRange);
      assertEquals(await res.text(), text);
    });
  }
  await t.step("HEAD: length and no body", async () => {
    const res = await fetch(url, { method: "HEAD" });
    assertEquals(res.status, 200);
    assertEquals(res.headers.get("content-length"), "10");
    assertEquals(await res.text(), "");
  });
  await t.step("a blob of another repository is BLOB_UNKNOWN", async () => {
    registry.seedBlob("other", "x");
    const res = await fetch(`${registry.url}/v2/other/blobs/${digest}`);
    assertEquals(res.status, 404);
    assertEquals(await codes(res), ["BLOB_UNKNOWN"]);
  });
  await t.step("a malformed digest is DIGEST_INVALID", async () => {
    const res = await fetch(`${registry.url}/v2/app/blobs/nodigest`);
    assertEquals(res.status, 400);
    assertEquals(await codes(res), ["DIGEST_INVALID"]);
  });
  await t.step("DELETE: 202, then 404", async () => {
    const first = await fetch(url, { method: "DELETE" });
    await first.body?.cancel();
    assertEquals(first.status, 202);
    assertEquals(registry.getBlob(digest), undefined);
    const second = await fetch(url, { method: "DELETE" });
    assertEquals(second.status, 404);
    assertEquals(await codes(second), ["BLOB_UNKNOWN"]);
  });
});

Deno.test("POST then PUT uploads a blob monolithically", async () => {
  await using registry = await startFakeRegistry();
  const res = await fetch(`${registry.url}/v2/app/blobs/uploads/`, {
    method: "POST",
  });
  await res.body?.cancel();
  assertEquals(res.status, 202);
  const location = res.headers.get("location")!;
  assertMatch(location, /^\/v2\/app\/blobs\/uploads\/[0-9a-f-]+\?_state=\w+$/);
  assertEquals(res.headers.get("range"), "0-0");
  assertEquals(res.headers.get("oci-chunk-min-length"), null);
  const uuid = res.headers.get("docker-upload-uuid")!;
  assert(location.includes(uuid));
  assertEquals(registry.uploads.size, 1);

  const data = "blob-content";
  const put = await fetch(
    withDigest(new URL(location, registry.url).href, sha256(data)),
    { method: "PUT", body: data },
  );
  await put.body?.cancel();
  assertEquals(put.status, 201);
  assertEquals(put.headers.get("location"), `/v2/app/blobs/${sha256(data)}`);
  assertEquals(put.headers.get("docker-content-digest"), sha256(data));
  assertEquals(registry.uploads.size, 0);
  assertEquals(registry.getBlob(sha256(data)), bytesOf(data));
});

Deno.test("PUT <location> with a wrong digest is DIGEST_INVALID", async (t) => {
  await using registry = await startFakeRegistry();
  for (const digest of [sha256("other"), "md5:abc", ""]) {
    await t.step(digest || "(missing)", async () => {
      const location = await openUpload(registry, "app");
      const url = digest ? withDigest(location, digest) : location;
      const res = await fetch(url, { method: "PUT", body: "data" });
      assertEquals(res.status, 400);
      assertEquals(await codes(res), ["DIGEST_INVALID"]);
    });
  }
});

Deno.test("chunked uploads PATCH in order, report status and finish with PUT", async (t) => {
  await using registry = await startFakeRegistry();
  const data = "aaaabbbbcccc";
  let location = await openUpload(registry, "app");
  const patch = (url: string, body: string, range?: string) =>
    fetch(url, {
      method: "PATCH",
      headers: range ? { "content-range": range } : {},
      body,
    });

  await t.step("first chunk: 202 Range 0-3 and a new Location", async () => {
    const res = await patch(location, "aaaa", "0-3");
    await res.body?.cancel();
    assertEquals(res.status, 202);
    assertEquals(res.headers.get("range"), "0-3");
    const next = new URL(res.headers.get("location")!, registry.url).href;
    assertNotEquals(next, location);
    location = next;
  });
  await t.step(
    "the previous Location is stale: BLOB_UPLOAD_INVALID",
    async () => {
      const stale = new URL(location);
      stale.searchParams.set("_state", "old");
      const res = await fetch(stale, { method: "GET" });
      assertEquals(res.status, 400);
      assertEquals(await codes(res), ["BLOB_UPLOAD_INVALID"]);
      const bare = await fetch(location.split("?")[0]);
      assertEquals(bare.status, 400);
      await bare.body?.cancel();
    },
  );
  await t.step("out of order: 416 with the current Range", async () => {
    const res = await patch(location, "cccc", "8-11");
    assertEquals(res.status, 416);
    assertEquals(res.headers.get("range"), "0-3");
    assertEquals(await codes(res), ["BLOB_UPLOAD_INVALID"]);
  });
  await t.step("malformed Content-Range: 400", async () => {
    const res = await patch(location, "bbbb", "bytes 4-7/*");
    assertEquals(res.status, 400);
    await res.body?.cancel();
  });
  await t.step("a chunk without Content-Range is appended", async () => {
    const res = await patch(location, "bbbb");
    await res.body?.cancel();
    assertEquals(res.status, 202);
    assertEquals(res.headers.get("range"), "0-7");
    location = new URL(res.headers.get("location")!, registry.url).href;
  });
  await t.step("GET <location>: 204 with Range", async () => {
    const res = await fetch(location);
    assertEquals(res.status, 204);
    assertEquals(res.headers.get("range"), "0-7");
    assert(res.headers.get("docker-upload-uuid"));
    location = new URL(res.headers.get("location")!, registry.url).href;
  });
  await t.step("PUT with the last chunk: 201", async () => {
    const res = await fetch(withDigest(location, sha256(data)), {
      method: "PUT",
      headers: { "content-range": "8-11" },
      body: "cccc",
    });
    await res.body?.cancel();
    assertEquals(res.status, 201);
    assertEquals(registry.getBlob(sha256(data)), bytesOf(data));
  });
  await t.step("the finished session is BLOB_UPLOAD_UNKNOWN", async () => {
    const res = await fetch(location);
    assertEquals(res.status, 404);
    assertEquals(await codes(res), ["BLOB_UPLOAD_UNKNOWN"]);
  });
});

Deno.test("DELETE <location> cancels an upload", async () => {
  await using registry = await startFakeRegistry();
  const location = await openUpload(registry, "app");
  const res = await fetch(location, { method: "DELETE" });
  await res.body?.cancel();
  assertEquals(res.status, 204);
  assertEquals(registry.uploads.size, 0);
});

Deno.test("POST ?digest= uploads in a single request", async (t) => {
  await using registry = await startFakeRegistry();
  const post = (digest: string, body: string) =>
    fetch(`${registry.url}/v2/app/blobs/uploads/?digest=${digest}`, {
      method: "POST",
      body,
    });
  await t.step("matching digest: 201", async () => {
    const res = await post(sha256("one"), "one");
    await res.body?.cancel();
    assertEquals(res.status, 201);
    assertEquals(res.headers.get("location"), `/v2/app/blobs/${sha256("one")}`);
    assertEquals(registry.getBlob(sha256("one")), bytesOf("one"));
  });
  await t.step("wrong digest: DIGEST_INVALID", async () => {
    const res = await post(sha256("two"), "one");
    assertEquals(res.status, 400);
    assertEquals(await codes(res), ["DIGEST_INVALID"]);
  });
});

Deno.test("POST ?mount=&from= mounts a blob the source repository has", async (t) => {
  await using registry = await startFakeRegistry();
  const digest = registry.seedBlob("source", "shared");
  await t.step("present in from: 201", async () => {
    const res = await fetch(
      `${registry.url}/v2/target/blobs/uploads/?mount=${digest}&from=source`,
      { method: "POST" },
    );
    await res.body?.cancel();
    assertEquals(res.status, 201);
    assertEquals(res.headers.get("location"), `/v2/target/blobs/${digest}`);
    assertEquals(res.headers.get("docker-content-digest"), digest);
    assert(registry.repositories.get("target")?.blobs.has(digest));
  });
  await t.step("absent from from: 202 upload session", async () => {
    const res = await fetch(
      `${registry.url}/v2/target/blobs/uploads/?mount=${
        sha256("no")
      }&from=source`,
      { method: "POST" },
    );
    await res.body?.cancel();
    assertEquals(res.status, 202);
    assert(res.headers.get("location"));
  });
});

Deno.test("chunkMinLength is announced and enforced between chunks", async () => {
  await using registry = await startFakeRegistry({ chunkMinLength: 4 });
  const res = await fetch(`${registry.url}/v2/app/blobs/uploads/`, {
    method: "POST",
  });
  await res.body?.cancel();
  assertEquals(res.headers.get("oci-chunk-min-length"), "4");
  let location = new URL(res.headers.get("location")!, registry.url).href;
  const first = await fetch(location, { method: "PATCH", body: "ab" });
  await first.body?.cancel();
  assertEquals(first.status, 202);
  location = new URL(first.headers.get("location")!, registry.url).href;
  const second = await fetch(location, { method: "PATCH", body: "cd" });
  assertEquals(second.status, 400);
  assertEquals(await codes(second), ["BLOB_UPLOAD_INVALID"]);
  // A short last chunk is fine: close with an empty PUT.
  const put = await fetch(withDigest(location, sha256("ab")), {
    method: "PUT",
  });
  await put.body?.cancel();
  assertEquals(put.status, 201);
  registry.faults.chunkMinLength = 1024;
  const again = await fetch(`${registry.url}/v2/app/blobs/uploads/`, {
    method: "POST",
  });
  await again.body?.cancel();
  assertEquals(again.headers.get("oci-chunk-min-length"), "1024");
});

Deno.test("tags/list pages with n, last and Link", async (t) => {
  await using registry = await startFakeRegistry({ tagPageLimit: 3 });
  const digest = registry.seedManifest("app", "a", seedImage(registry, "app"));
  for (const tag of ["e", "B", "c", "d", "1"]) {
    registry.repositories.get("app")!.tags.set(tag, digest);
  }
  const list = async (query: string) => {
    const res = await fetch(`${registry.url}/v2/app/tags/list${query}`);
    assertEquals(res.status, 200);
    const body = await res.json() as { name: string; tags: string[] };
    assertEquals(body.name, "app");
    return { tags: body.tags, link: res.headers.get("link") };
  };
  await t.step("no n: capped by tagPageLimit", async () => {
    assertEquals(await list(""), {
      tags: ["1", "B", "a"],
      link: '</v2/app/tags/list?n=3&last=a>; rel="next"',
    });
  });
  await t.step("n=2", async () => {
    assertEquals(await list("?n=2"), {
      tags: ["1", "B"],
      link: '</v2/app/tags/list?n=2&last=B>; rel="next"',
    });
  });
  await t.step("last=a: the rest, no Link", async () => {
    assertEquals(await list("?n=3&last=a"), {
      tags: ["c", "d", "e"],
      link: null,
    });
  });
  await t.step("n=0: empty, no Link", async () => {
    assertEquals(await list("?n=0"), { tags: [], link: null });
  });
  await t.step("n=-1: PAGINATION_NUMBER_INVALID", async () => {
    const res = await fetch(`${registry.url}/v2/app/tags/list?n=-1`);
    assertEquals(res.status, 400);
    assertEquals(await codes(res), ["PAGINATION_NUMBER_INVALID"]);
  });
  await t.step("unknown repository: NAME_UNKNOWN", async () => {
    const res = await fetch(`${registry.url}/v2/none/tags/list`);
    assertEquals(res.status, 404);
    assertEquals(await codes(res), ["NAME_UNKNOWN"]);
  });
});

Deno.test("_catalog pages repositories with Link", async () => {
  await using registry = await startFakeRegistry({ tagPageLimit: 2 });
  for (const repo of ["c/x", "a", "b"]) registry.seedBlob(repo, "x");
  const first = await fetch(`${registry.url}/v2/_catalog`);
  assertEquals(await first.json(), { repositories: ["a", "b"] });
  const link = first.headers.get("link")!;
  assertEquals(link, '</v2/_catalog?n=2&last=b>; rel="next"');
  const next = await fetch(
    `${registry.url}${link.slice(1, link.indexOf(">"))}`,
  );
  assertEquals(await next.json(), { repositories: ["c/x"] });
  assertEquals(next.headers.get("link"), null);
});

Deno.test("referrers list manifests whose subject is the digest", async (t) => {
  await using registry = await startFakeRegistry({ tagPageLimit: 1 });
  const subjectDigest = registry.seedManifest(
    "app",
    "v1",
    seedImage(registry, "app"),
  );
  const subject = { mediaType: OCI_MANIFEST, digest: subjectDigest, size: 1 };
  const sbom = registry.seedManifest(
    "app",
    "sbom",
    seedImage(registry, "app", {
      subject,
      artifactType: "application/spdx+json",
      annotations: { "org.example": "yes" },
    }),
  );
  const sig = registry.seedManifest(
    "app",
    "sig",
    seedImage(registry, "app", { subject }),
  );
  const url = `${registry.url}/v2/app/referrers/${subjectDigest}`;

  await t.step("all referrers, paged by Link", async () => {
    const seen: Record<string, unknown>[] = [];
    let next: string | undefined = url;
    while (next !== undefined) {
      const res: Response = await fetch(next);
      assertEquals(res.status, 200);
      assertEquals(res.headers.get("content-type"), OCI_INDEX);
      const index = await res.json();
      assertEquals(index.mediaType, OCI_INDEX);
      seen.push(...index.manifests);
      const link = res.headers.get("link");
      next = link ? registry.url + link.slice(1, link.indexOf(">")) : undefined;
    }
    const byDigest = Object.fromEntries(seen.map((d) => [d.digest, d]));
    assertEquals(Object.keys(byDigest).sort(), [sbom, sig].sort());
    assertEquals(byDigest[sbom].artifactType, "application/spdx+json");
    assertEquals(byDigest[sbom].annotations, { "org.example": "yes" });
    assertEquals(byDigest[sig].artifactType, EMPTY_CONFIG);
    assertEquals(byDigest[sig].mediaType, OCI_MANIFEST);
  });
  await t.step("filtered by artifactType", async () => {
    const res = await fetch(`${url}?artifactType=application/spdx%2Bjson`);
    assertEquals(res.headers.get("oci-filters-applied"), "artifactType");
    const index = await res.json();
    assertEquals(index.manifests.map((d: { digest: string }) => d.digest), [
      sbom,
    ]);
  });
  await t.step("no referrers: an empty index", async () => {
    const res = await fetch(`${registry.url}/v2/app/referrers/${sha256("x")}`);
    assertEquals(res.status, 200);
    assertEquals((await res.json()).manifests, []);
  });
  await t.step("malformed digest: 400", async () => {
    const res = await fetch(`${registry.url}/v2/app/referrers/bad`);
    assertEquals(res.status, 400);
    await res.body?.cancel();
  });
});

Deno.test("referrersApi: false answers 404", async () => {
  await using registry = await startFakeRegistry({ referrersApi: false });
  const res = await fetch(`${registry.url}/v2/app/referrers/${sha256("x")}`);
  assertEquals(res.status, 404);
  await res.body?.cancel();
});

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

/** Fetches a token with GET; returns the JSON answer. */
async function getToken(
  registry: FakeRegistry,
  scopes: string[],
  basic?: string,
  extra = "",
): Promise<Record<string, unknown>> {
  const query = scopes.map((s) => `&scope=${encodeURIComponent(s)}`).join("");
  const res = await fetch(
    `${registry.url}/token?service=fake${query}${extra}`,
    {
      headers: basic ? { authorization: `Basic ${btoa(basic)}` } : {},
    },
  );
  assertEquals(res.status, 200);
  return await res.json();
}

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

  registry.faults.delayMs = 10_000;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 50);
  const err = await assertRejects(
    () => fetch(`${registry.url}/v2/`, { signal: controller.signal }),
    Error,
  );
  assertEquals(err.name, "AbortError");
  clearTimeout(timer);
  const closing = performance.now();
  await registry.close();
  assert(performance.now() - closing < 2000);
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

Deno.test("fault patchReturns201: chunks are answered 201", async () => {
  await using registry = await startFakeRegistry();
  registry.faults.patchReturns201 = true;
  const location = await openUpload(registry, "app");
  const res = await fetch(location, { method: "PATCH", body: "x" });
  await res.body?.cancel();
  assertEquals(res.status, 201);
  assertEquals(res.headers.get("range"), "0-0");
});

Deno.test("fault refuseSingleRequestUpload: POST ?digest= opens a session", async () => {
  await using registry = await startFakeRegistry();
  registry.faults.refuseSingleRequestUpload = true;
  const res = await fetch(
    `${registry.url}/v2/app/blobs/uploads/?digest=${sha256("x")}`,
    { method: "POST", body: "x" },
  );
  await res.body?.cancel();
  assertEquals(res.status, 202);
  assert(res.headers.get("location"));
  assertEquals(registry.getBlob(sha256("x")), undefined);
});

Deno.test("fault dropUploadAfterBytes: the PATCH connection dies, GET <location> re-syncs", async () => {
  await using registry = await startFakeRegistry();
  const data = new Uint8Array(64 * 1024).map((_, i) => i % 251);
  let location = await openUpload(registry, "app");
  registry.faults.dropUploadAfterBytes = { bytes: 1000 };
  // A streamed body: Deno's fetch would silently replay a buffered one on a
  // fresh connection after the cut (and meet 416).
  await assertRejects(
    () =>
      fetch(location, {
        method: "PATCH",
        headers: { "content-range": `0-${data.length - 1}` },
        body: ReadableStream.from([data]),
      }),
    TypeError,
  );
  assertEquals(registry.faults.dropUploadAfterBytes, undefined);
  const status = await fetch(location);
  assertEquals(status.status, 204);
  assertEquals(status.headers.get("range"), "0-999");
  location = new URL(status.headers.get("location")!, registry.url).href;
  const rest = await fetch(location, {
    method: "PATCH",
    headers: { "content-range": `1000-${data.length - 1}` },
    body: data.subarray(1000),
  });
  await rest.body?.cancel();
  assertEquals(rest.status, 202);
  location = new URL(rest.headers.get("location")!, registry.url).href;
  const put = await fetch(withDigest(location, sha256(data)), {
    method: "PUT",
  });
  await put.body?.cancel();
  assertEquals(put.status, 201);
  assertEquals(registry.getBlob(sha256(data)), data);
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
    '</v2/app/tags/list?n=10&last=only>; rel="next"',
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

Deno.test("fault location overrides the upload Location", async () => {
  await using registry = await startFakeRegistry();
  registry.faults.location = "http://other.invalid/upload";
  const res = await fetch(`${registry.url}/v2/app/blobs/uploads/`, {
    method: "POST",
  });
  await res.body?.cancel();
  assertEquals(res.headers.get("location"), "http://other.invalid/upload");
});
