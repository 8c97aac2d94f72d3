// Blobs: the one `HEAD` (`statBlob`) and the one Content-Length reader
// behind `headBlob`, `hasBlob` and the upload's existence check; reads
// marked as verified. Against an injected fetch.

import { assert, assertEquals, assertRejects } from "@std/assert";
import { isVerified } from "../content/verify.ts";
import { digestOf } from "../ref/digest.ts";
import { InvalidResponseError, SizeMismatchError } from "../errors.ts";
import { createClient } from "./client.ts";

const BLOB = new TextEncoder().encode("hello blob");
const DIGEST = digestOf(BLOB);

/** A registry holding `BLOB`, answering HEADs with `contentLength`. */
function blobFetch(contentLength: string | null, body: Uint8Array = BLOB) {
  const requests: string[] = [];
  const fetch = (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    if (url.pathname === "/v2/") return Promise.resolve(Response.json({}));
    requests.push(`${request.method} ${url.pathname}`);
    if (url.pathname !== `/v2/app/blobs/${DIGEST}`) {
      return Promise.resolve(new Response(null, { status: 404 }));
    }
    const headers = new Headers({ "content-type": "application/octet-stream" });
    if (request.method === "HEAD") {
      const res = new Response(null, { headers });
      if (contentLength !== null) {
        // A Response computes no length for HEAD: set the raw header.
        res.headers.set("content-length", contentLength);
      }
      return Promise.resolve(res);
    }
    return Promise.resolve(new Response(body.slice(), { headers }));
  };
  return { fetch, requests };
}

function clientOf(fetch: (r: Request) => Promise<Response>) {
  return createClient({
    repo: "http://127.0.0.1:5000/app",
    useDefaultCredentials: false,
    retry: { maxAttempts: 1 },
    fetch,
  });
}

Deno.test("headBlob() reads Content-Length with the one reader: digits only", async (t) => {
  await t.step("a length", async () => {
    const { fetch } = blobFetch(String(BLOB.byteLength));
    assertEquals(await clientOf(fetch).headBlob(DIGEST), {
      digest: DIGEST,
      size: BLOB.byteLength,
      mediaType: "application/octet-stream",
    });
  });
  for (const garbage of ["1e3", "-1", "10, 10", "0x0a"]) {
    await t.step(`"${garbage}" is no length`, async () => {
      const { fetch } = blobFetch(garbage);
      const client = clientOf(fetch);
      const err = await assertRejects(
        () => client.headBlob(DIGEST),
        InvalidResponseError,
      );
      assertEquals(
        err.message,
        `Cannot head blob "app@${DIGEST}": the answer has no valid Content-Length`,
      );
      assertEquals(await client.hasBlob(DIGEST), true);
    });
  }
});

Deno.test("hasBlob() answers false on a 404 with one HEAD", async () => {
  const { fetch, requests } = blobFetch("10");
  const other = digestOf("other");
  assertEquals(await clientOf(fetch).hasBlob(other), false);
  assertEquals(requests, [`HEAD /v2/app/blobs/${other}`]);
});

Deno.test("blobUpload() of a stream the registry has counts it when the HEAD length is not a length", async () => {
  // The upload's existence check is the same HEAD, read the same way: "1e3"
  // is not 1000 bytes, so the stream is read through to count it.
  const { fetch, requests } = blobFetch("1e3");
  const result = await clientOf(fetch).blobUpload(new Blob([BLOB]).stream(), {
    digest: DIGEST,
  });
  assertEquals(result, {
    digest: DIGEST,
    size: BLOB.byteLength,
    skipped: true,
  });
  assertEquals(requests, [`HEAD /v2/app/blobs/${DIGEST}`]);
});

Deno.test("createBlobReadStream() hands out a stream marked as verified against its digest", async () => {
  const { fetch } = blobFetch("10");
  const { stream } = await clientOf(fetch).createBlobReadStream(DIGEST);
  assert(isVerified(stream, DIGEST));
  assert(!isVerified(stream, digestOf("other")));
  assertEquals(new Uint8Array(await new Response(stream).arrayBuffer()), BLOB);
});

Deno.test("createBlobReadStream() checks the size from the descriptor, not only the digest", async () => {
  const { fetch } = blobFetch("10");
  const { stream } = await clientOf(fetch).createBlobReadStream(DIGEST, {
    size: BLOB.byteLength - 1,
  });
  await assertRejects(
    () => new Response(stream).arrayBuffer(),
    SizeMismatchError,
  );
});

Deno.test("createBlobReadStream() refuses a size that is not one before sending anything", async () => {
  for (const size of [-1, 1.5, Number.NaN]) {
    const { fetch, requests } = blobFetch("10");
    await assertRejects(
      () => clientOf(fetch).createBlobReadStream(DIGEST, { size }),
      RangeError,
      "BlobReadOptions.size must be a non-negative integer",
    );
    assertEquals(requests, []);
  }
});
