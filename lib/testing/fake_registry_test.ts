// The fake registry: start-up and options, manifests, blobs, listings and
// referrers, checked with plain fetch against the distribution spec.

import {
  assertEquals,
  assertMatch,
  assertNotEquals,
  assertRejects,
} from "@std/assert";
import { startFakeRegistry } from "./fake_registry.ts";
import {
  codes,
  DOCKER_MANIFEST,
  EMPTY_CONFIG,
  OCI_INDEX,
  OCI_MANIFEST,
  seedImage,
  sha256,
} from "../../test_support/fake_registry_http.ts";

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

Deno.test("startFakeRegistry({ port }) listens on the port asked for", async () => {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = probe.addr.port;
  probe.close();
  await using registry = await startFakeRegistry({ port });
  assertEquals(registry.host, `127.0.0.1:${port}`);
  assertEquals(registry.url, `http://127.0.0.1:${port}`);
  assertNotEquals(registry.secondOrigin.host, registry.host);
  const res = await fetch(`http://127.0.0.1:${port}/v2/`);
  assertEquals(res.status, 200);
  await res.body?.cancel();
});

Deno.test("startFakeRegistry({ port }) rejects a taken port and a bad one, starting nothing", async () => {
  await using first = await startFakeRegistry();
  const port = Number(first.host.split(":")[1]);
  // The sanitizers fail this test if the second registry left a server or
  // a listener behind.
  await assertRejects(() => startFakeRegistry({ port }), Deno.errors.AddrInUse);
  for (const bad of [-1, 65536, 1.5]) {
    const err = await assertRejects(
      () => startFakeRegistry({ port: bad }),
      RangeError,
    );
    assertEquals(
      err.message,
      `Cannot start the fake registry: port must be an integer from 0 to 65535, got ${bad}`,
    );
  }
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

Deno.test("OCI-Subject is answered only with the referrers API, unless told", async (t) => {
  const cases: [Parameters<typeof startFakeRegistry>[0], string | null][] = [
    [{}, "subject"],
    [{ referrersApi: false }, null],
    [{ referrersApi: false, answerOciSubject: true }, "subject"],
  ];
  for (const [options, expected] of cases) {
    await t.step(JSON.stringify(options), async () => {
      await using registry = await startFakeRegistry(options);
      const subject = { mediaType: OCI_MANIFEST, digest: sha256("s"), size: 1 };
      const res = await fetch(`${registry.url}/v2/app/manifests/sig`, {
        method: "PUT",
        headers: { "content-type": OCI_MANIFEST },
        body: JSON.stringify(seedImage(registry, "app", { subject })),
      });
      await res.body?.cancel();
      assertEquals(res.status, 201);
      assertEquals(
        res.headers.get("oci-subject"),
        expected && subject.digest,
      );
    });
  }
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
    ["bytes=-3", 206, "bytes 7-9/10", "789"],
    ["bytes=-100", 206, "bytes 0-9/10", "0123456789"],
    ["bytes=-0", 416, "bytes */10", ""],
    ["bytes=5-2", 416, "bytes */10", ""],
    ["bytes=0-1,4-5", 200, "", "0123456789"],
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
  await t.step("an empty artifactType filters nothing", async () => {
    const res = await fetch(`${url}?artifactType=`);
    assertEquals(res.status, 200);
    assertEquals(res.headers.get("oci-filters-applied"), null);
    const index = await res.json();
    assertEquals(index.manifests.length, 1); // tagPageLimit: 1
    assertNotEquals(res.headers.get("link"), null);
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
