// The fake registry's blob uploads, as the distribution spec's "Pushing
// blobs" sections describe them, and the faults that break them.

import {
  assert,
  assertEquals,
  assertMatch,
  assertNotEquals,
  assertRejects,
} from "@std/assert";
import { createHash } from "node:crypto";
import { startFakeRegistry } from "./fake_registry.ts";
import {
  bytesOf,
  codes,
  openUpload,
  sha256,
  withDigest,
} from "../../test_support/fake_registry_http.ts";

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

/** PATCHes a chunk; returns the answer's status, Range and absolute Location. */
async function patchChunk(
  url: string,
  body: BodyInit,
  range?: string,
): Promise<{ status: number; range: string | null; location: string }> {
  const res = await fetch(url, {
    method: "PATCH",
    headers: range === undefined ? {} : { "content-range": range },
    body,
  });
  await res.body?.cancel();
  return {
    status: res.status,
    range: res.headers.get("range"),
    location: new URL(res.headers.get("location") ?? "", url).href,
  };
}

Deno.test("GET <location> answers 204 with Range, Location and UUID for any Location the session issued", async () => {
  await using registry = await startFakeRegistry();
  const first = await openUpload(registry, "app");
  const uuid = first.match(/uploads\/([^?]+)/)![1];
  const one = await patchChunk(first, "aaaa", "0-3");
  const two = await patchChunk(one.location, "bbbb", "4-7");
  assertEquals([one.status, two.status], [202, 202]);
  // The spec: "the URL obtained from any preceding POST or PATCH request".
  for (const location of [first, one.location, two.location]) {
    const res = await fetch(location);
    await res.body?.cancel();
    assertEquals(res.status, 204);
    assertEquals(res.headers.get("range"), "0-7");
    assertEquals(res.headers.get("docker-upload-uuid"), uuid);
    assertEquals(
      new URL(res.headers.get("location")!, registry.url).href,
      two.location,
    );
  }
  // A Location without its query, or with a _state never issued, is not one.
  for (
    const bad of [first.split("?")[0], `${first.split("?")[0]}?_state=0_0`]
  ) {
    const res = await fetch(bad);
    assertEquals(res.status, 400);
    assertEquals(await codes(res), ["BLOB_UPLOAD_INVALID"]);
  }
});

Deno.test("a repeated chunk is out of order: 416 with the current Range, and the upload goes on", async (t) => {
  await using registry = await startFakeRegistry();
  const data = "aaaabbbbcccc";
  const first = await openUpload(registry, "app");
  const one = await patchChunk(first, "aaaa", "0-3");
  await t.step("the same PATCH again, to the same Location: 416", async () => {
    const res = await fetch(first, {
      method: "PATCH",
      headers: { "content-range": "0-3" },
      body: "aaaa",
    });
    assertEquals(res.status, 416);
    assertEquals(res.headers.get("range"), "0-3");
    assertEquals(
      new URL(res.headers.get("location")!, registry.url).href,
      one.location,
    );
    assertEquals(await codes(res), ["BLOB_UPLOAD_INVALID"]);
  });
  await t.step(
    "a streamed chunk sent to an outdated Location: 416",
    async () => {
      const again = await patchChunk(first, "aaaa");
      assertEquals(again.status, 416);
      assertEquals(again.range, "0-3");
      assertEquals(again.location, one.location);
    },
  );
  await t.step(
    "a chunk past the end, to the latest Location: 416",
    async () => {
      const ahead = await patchChunk(one.location, "cccc", "8-11");
      assertEquals([ahead.status, ahead.range], [416, "0-3"]);
    },
  );
  await t.step(
    "an out-of-order last chunk in the PUT: 416, session kept",
    async () => {
      const res = await fetch(withDigest(one.location, sha256(data)), {
        method: "PUT",
        headers: { "content-range": "8-11" },
        body: "cccc",
      });
      await res.body?.cancel();
      assertEquals([res.status, res.headers.get("range")], [416, "0-3"]);
      assertEquals(registry.uploads.size, 1);
    },
  );
  await t.step("the upload goes on from the 416's Location", async () => {
    const two = await patchChunk(one.location, "bbbb", "4-7");
    assertEquals([two.status, two.range], [202, "0-7"]);
    const res = await fetch(withDigest(two.location, sha256(data)), {
      method: "PUT",
      headers: { "content-range": "8-11" },
      body: "cccc",
    });
    await res.body?.cancel();
    assertEquals(res.status, 201);
    assertEquals(registry.getBlob(sha256(data)), bytesOf(data));
  });
});

Deno.test("a PATCH without Content-Range is a streamed chunk appended at the end", async () => {
  await using registry = await startFakeRegistry();
  const parts = ["stream", "ed-", "blob"];
  const data = parts.join("");
  const location = await openUpload(registry, "app");
  // A stream body: no Content-Length, sent chunked.
  const body = ReadableStream.from(parts.map(bytesOf));
  const one = await patchChunk(location, body);
  assertEquals([one.status, one.range], [202, `0-${data.length - 1}`]);
  const two = await patchChunk(one.location, "!");
  assertEquals([two.status, two.range], [202, `0-${data.length}`]);
  const res = await fetch(withDigest(two.location, sha256(`${data}!`)), {
    method: "PUT",
  });
  await res.body?.cancel();
  assertEquals(res.status, 201);
  assertEquals(registry.getBlob(sha256(`${data}!`)), bytesOf(`${data}!`));
});

Deno.test("the closing PUT without a chunk works from any Location of the session", async () => {
  await using registry = await startFakeRegistry();
  const first = await openUpload(registry, "app");
  const one = await patchChunk(first, "abc", "0-2");
  assertEquals(one.status, 202);
  const res = await fetch(withDigest(first, sha256("abc")), { method: "PUT" });
  await res.body?.cancel();
  assertEquals(res.status, 201);
  assertEquals(registry.getBlob(sha256("abc")), bytesOf("abc"));
});

Deno.test("POST ?digest-algorithm= opens a session for a supported algorithm, else 400", async (t) => {
  await using registry = await startFakeRegistry();
  await t.step("sha512: a session, closed with a sha512 digest", async () => {
    const url = `${registry.url}/v2/app/blobs/uploads/?digest-algorithm=sha512`;
    const post = await fetch(url, { method: "POST" });
    await post.body?.cancel();
    assertEquals(post.status, 202);
    const session = new URL(post.headers.get("location")!, registry.url).href;
    const digest = `sha512:${createHash("sha512").update("x").digest("hex")}`;
    const put = await fetch(withDigest(session, digest), {
      method: "PUT",
      body: "x",
    });
    await put.body?.cancel();
    assertEquals(put.status, 201);
    assertEquals(registry.getBlob(digest), bytesOf("x"));
  });
  await t.step("md5: DIGEST_INVALID", async () => {
    const res = await fetch(
      `${registry.url}/v2/app/blobs/uploads/?digest-algorithm=md5`,
      { method: "POST" },
    );
    assertEquals(res.status, 400);
    assertEquals(await codes(res), ["DIGEST_INVALID"]);
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

Deno.test("DELETE with an earlier Location of the session cancels it too", async () => {
  await using registry = await startFakeRegistry();
  const first = await openUpload(registry, "app");
  assertEquals((await patchChunk(first, "abc", "0-2")).status, 202);
  const res = await fetch(first, { method: "DELETE" });
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

Deno.test("fault location overrides the upload Location", async () => {
  await using registry = await startFakeRegistry();
  registry.faults.location = "http://other.invalid/upload";
  const res = await fetch(`${registry.url}/v2/app/blobs/uploads/`, {
    method: "POST",
  });
  await res.body?.cancel();
  assertEquals(res.headers.get("location"), "http://other.invalid/upload");
});
