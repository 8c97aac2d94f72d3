// Blob uploads against the in-process fake registry: the faults the real
// registry cannot produce (201 on PATCH, dropped connections, chunk minimum,
// refused single-request uploads), Location handling, cancellation.

import { assert, assertEquals, assertRejects } from "@std/assert";
import { createHash } from "node:crypto";
import { createClient, type RegistryClientV2 } from "../client.ts";
import { DigestMismatchError, SizeMismatchError } from "../../errors.ts";
import {
  type FakeRegistry,
  type RecordedRequest,
  startFakeRegistry,
} from "../../testing/fake_registry.ts";
import { hashedBytes } from "../../../test_support/hashed_bytes.ts";
import type { Transport } from "../../transport/transport.ts";

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** Deterministic bytes that differ from one position to the next. */
function pattern(size: number, seed = 0): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return out;
}

/**
 * A stream of `bytes` in pieces of `piece` bytes; with `fail`, one that
 * errors with `fail.error` once `fail.at` bytes went through.
 */
function streamOf(
  bytes: Uint8Array,
  piece = 4096,
  fail?: { at: number; error: Error },
): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (fail && offset >= fail.at) return controller.error(fail.error);
      if (offset >= bytes.byteLength) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + piece));
      offset += piece;
    },
  });
}

function clientOf(
  registry: FakeRegistry,
  extra: { fetch?: Transport; repo?: string; auth?: boolean } = {},
): RegistryClientV2 {
  return createClient({
    repo: `${registry.host}/${extra.repo ?? "app"}`,
    useDefaultCredentials: false,
    retry: { initialDelayMs: 1, maxDelayMs: 5 },
    ...(extra.auth ? { username: "user", password: "pass" } : {}),
    ...(extra.fetch ? { fetch: extra.fetch } : {}),
  });
}

/** `METHOD path-without-query` of the requests to the registry, ping and token excluded. */
function calls(registry: FakeRegistry): string[] {
  return registry.requests
    .filter((r) => r.path !== "/v2/" && !r.path.startsWith("/token"))
    .map((r) =>
      `${r.method} ${
        r.path.split("?")[0].replace(/uploads\/[0-9a-f-]{36}/, "uploads/<uuid>")
      }`
    );
}

function requestsOf(registry: FakeRegistry, method: string): RecordedRequest[] {
  return registry.requests.filter((r) =>
    r.method === method && r.path.includes("/blobs/uploads/")
  );
}

async function tempFile(bytes: Uint8Array): Promise<string> {
  const path = await Deno.makeTempFile({ prefix: "blob-upload-test-" });
  await Deno.writeFile(path, bytes);
  return path;
}

Deno.test("blobUpload() sends a file monolithic: HEAD, POST, then one PUT ?digest= with the whole body", async () => {
  await using registry = await startFakeRegistry();
  const data = pattern(300_000);
  const path = await tempFile(data);
  try {
    const progress: number[] = [];
    const result = await clientOf(registry).blobUpload(path, {
      onProgress: (n) => progress.push(n),
    });
    assertEquals(result, { digest: sha256(data), size: data.byteLength });
    assertEquals(registry.getBlob(sha256(data)), data);
    assertEquals(calls(registry), [
      `HEAD /v2/app/blobs/${sha256(data)}`,
      "POST /v2/app/blobs/uploads/",
      "PUT /v2/app/blobs/uploads/<uuid>",
    ]);
    const put = requestsOf(registry, "PUT")[0];
    assert(put.path.includes(`digest=${encodeURIComponent(sha256(data))}`));
    assertEquals(progress.at(-1), data.byteLength);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("blobUpload() takes a Blob and a file: URL, monolithic and chunked", async (t) => {
  await using registry = await startFakeRegistry();
  const client = clientOf(registry);
  await t.step("a Blob", async () => {
    const data = pattern(150_000, 30);
    const result = await client.blobUpload(new Blob([data.slice()]));
    assertEquals(result, { digest: sha256(data), size: data.byteLength });
    assertEquals(registry.getBlob(sha256(data)), data);
  });
  await t.step("a Blob in chunks", async () => {
    const data = pattern(150_000, 31);
    const result = await client.blobUpload(new Blob([data.slice()]), {
      chunkSize: 40_000,
    });
    assertEquals(result.digest, sha256(data));
    assertEquals(registry.getBlob(sha256(data)), data);
  });
  await t.step("a file: URL with its digest", async () => {
    const data = pattern(90_000, 32);
    const path = await tempFile(data);
    try {
      const url = new URL(`file://${path}`);
      const result = await client.blobUpload(url, { digest: sha256(data) });
      assertEquals(result, { digest: sha256(data), size: data.byteLength });
      assertEquals(registry.getBlob(sha256(data)), data);
    } finally {
      await Deno.remove(path);
    }
  });
  await t.step(
    "bytes that do not match the digest given: refused before sending",
    async () => {
      registry.requests.length = 0;
      const wrong = sha256(pattern(3));
      await assertRejects(
        () => client.blobUpload(pattern(100), { digest: wrong }),
        DigestMismatchError,
      );
      assertEquals(calls(registry), []);
    },
  );
  await t.step(
    "a file that does not match the digest given: caught while streaming",
    async () => {
      const data = pattern(90_000, 33);
      const path = await tempFile(data);
      try {
        const wrong = sha256(pattern(3));
        const err = await assertRejects(
          () => client.blobUpload(path, { digest: wrong }),
          DigestMismatchError,
        );
        assertEquals(err.actual, sha256(data));
        assertEquals(
          calls(registry).at(-1),
          "DELETE /v2/app/blobs/uploads/<uuid>",
        );
      } finally {
        await Deno.remove(path);
      }
    },
  );
});

Deno.test("blobUpload() skips a blob the registry has, unless forced", async (t) => {
  await using registry = await startFakeRegistry();
  const data = pattern(100_000, 1);
  registry.seedBlob("app", data);
  const client = clientOf(registry);
  await t.step("skipped after one HEAD", async () => {
    const result = await client.blobUpload(data);
    assertEquals(result, {
      digest: sha256(data),
      size: data.byteLength,
      skipped: true,
    });
    assertEquals(calls(registry), [`HEAD /v2/app/blobs/${sha256(data)}`]);
  });
  await t.step(
    "a stream with a known digest is skipped and cancelled",
    async () => {
      registry.requests.length = 0;
      let cancelled = false;
      const stream = new ReadableStream<Uint8Array>({
        cancel() {
          cancelled = true;
        },
      });
      const result = await client.blobUpload(stream, { digest: sha256(data) });
      assertEquals(result.skipped, true);
      assertEquals(result.size, data.byteLength);
      assert(cancelled);
    },
  );
  await t.step("force uploads without asking", async () => {
    registry.requests.length = 0;
    const result = await client.blobUpload(data, { force: true });
    assertEquals(result.skipped, undefined);
    assertEquals(calls(registry), [
      "POST /v2/app/blobs/uploads/",
      "PUT /v2/app/blobs/uploads/<uuid>",
    ]);
  });
});

Deno.test("blobUpload() of a stream skipped or mounted reports its size when the registry sends no Content-Length", async (t) => {
  await using registry = await startFakeRegistry();
  const data = pattern(100_000, 22);
  const digest = registry.seedBlob("app", data);
  registry.seedBlob("source", data);
  // A registry whose HEAD answers carry no Content-Length.
  const noLength: Transport = async (request) => {
    const res = await fetch(request);
    if (request.method !== "HEAD") return res;
    await res.body?.cancel();
    const headers = new Headers(res.headers);
    headers.delete("content-length");
    return new Response(null, { status: res.status, headers });
  };
  await t.step("skipped: the stream is counted, not sent", async () => {
    const result = await clientOf(registry, { fetch: noLength })
      .blobUpload(streamOf(data), { digest });
    assertEquals(result, { digest, size: data.byteLength, skipped: true });
  });
  await t.step("skipped: the size given is taken as it is", async () => {
    const result = await clientOf(registry, { fetch: noLength })
      .blobUpload(streamOf(data), { digest, size: data.byteLength });
    assertEquals(result, { digest, size: data.byteLength, skipped: true });
  });
  await t.step("mounted", async () => {
    const result = await clientOf(registry, { fetch: noLength, repo: "copy" })
      .blobUpload(streamOf(data), { digest, mountFrom: "source" });
    assertEquals(result, { digest, size: data.byteLength, mounted: true });
  });
  assertEquals(requestsOf(registry, "PUT").length, 0);
});

Deno.test("blobUpload() sends a small blob in one POST ?digest=, and falls back when that is refused", async (t) => {
  await using registry = await startFakeRegistry();
  const client = clientOf(registry);
  await t.step("accepted: one POST", async () => {
    const data = new TextEncoder().encode('{"architecture":"amd64"}');
    const result = await client.blobUpload(data);
    assertEquals(result.digest, sha256(data));
    assertEquals(registry.getBlob(sha256(data)), data);
    assertEquals(calls(registry), [
      `HEAD /v2/app/blobs/${sha256(data)}`,
      "POST /v2/app/blobs/uploads/",
    ]);
  });
  await t.step(
    "refused (202 and the body dropped): PUT into the session",
    async () => {
      registry.requests.length = 0;
      registry.faults.refuseSingleRequestUpload = true;
      const data = new TextEncoder().encode('{"architecture":"arm64"}');
      const result = await client.blobUpload(data);
      assertEquals(result.digest, sha256(data));
      assertEquals(registry.getBlob(sha256(data)), data);
      assertEquals(calls(registry), [
        `HEAD /v2/app/blobs/${sha256(data)}`,
        "POST /v2/app/blobs/uploads/",
        "PUT /v2/app/blobs/uploads/<uuid>",
      ]);
    },
  );
  await t.step("rejected with 400: an ordinary POST, then PUT", async () => {
    registry.requests.length = 0;
    registry.faults = {
      status: { status: 400, method: "POST", path: /\?digest=/ },
    };
    const data = new TextEncoder().encode('{"architecture":"s390x"}');
    const result = await client.blobUpload(data);
    assertEquals(result.digest, sha256(data));
    assertEquals(registry.getBlob(sha256(data)), data);
    assertEquals(calls(registry), [
      `HEAD /v2/app/blobs/${sha256(data)}`,
      "POST /v2/app/blobs/uploads/",
      "POST /v2/app/blobs/uploads/",
      "PUT /v2/app/blobs/uploads/<uuid>",
    ]);
  });
});

Deno.test("blobUpload() of a stream of unknown digest: one streamed PATCH, hashed on the way, then PUT ?digest=", async () => {
  await using registry = await startFakeRegistry();
  const data = pattern(200_000, 2);
  const result = await clientOf(registry).blobUpload(streamOf(data));
  assertEquals(result, { digest: sha256(data), size: data.byteLength });
  assertEquals(registry.getBlob(sha256(data)), data);
  assertEquals(calls(registry), [
    "POST /v2/app/blobs/uploads/",
    "PATCH /v2/app/blobs/uploads/<uuid>",
    "PUT /v2/app/blobs/uploads/<uuid>",
  ]);
  const [patch] = requestsOf(registry, "PATCH");
  assertEquals(patch.headers["content-type"], "application/octet-stream");
  assertEquals(patch.headers["content-range"], undefined);
});

Deno.test("blobUpload() chunked: PATCHes with Content-Range and Content-Type, the last chunk in the closing PUT", async () => {
  await using registry = await startFakeRegistry();
  const data = pattern(250_000, 3);
  const path = await tempFile(data);
  try {
    const progress: number[] = [];
    const result = await clientOf(registry).blobUpload(path, {
      chunkSize: 100_000,
      onProgress: (n) => progress.push(n),
    });
    assertEquals(result, { digest: sha256(data), size: data.byteLength });
    assertEquals(registry.getBlob(sha256(data)), data);
    const patches = requestsOf(registry, "PATCH");
    assertEquals(
      patches.map((
        r,
      ) => [r.headers["content-range"], r.headers["content-length"]]),
      [["0-99999", "100000"], ["100000-199999", "100000"]],
    );
    for (const p of patches) {
      assertEquals(p.headers["content-type"], "application/octet-stream");
    }
    const [put] = requestsOf(registry, "PUT");
    assertEquals(put.headers["content-range"], "200000-249999");
    assertEquals(put.headers["content-length"], "50000");
    assertEquals(progress, [100_000, 200_000, 250_000]);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("blobUpload() chunked from a stream computes the digest while streaming", async () => {
  await using registry = await startFakeRegistry();
  const data = pattern(64 * 1024 * 3, 4);
  const result = await clientOf(registry).blobUpload(streamOf(data, 1000), {
    chunkSize: 64 * 1024,
  });
  assertEquals(result.digest, sha256(data));
  assertEquals(registry.getBlob(sha256(data)), data);
  // Three full chunks: two PATCHes, the third in the PUT.
  assertEquals(requestsOf(registry, "PATCH").length, 2);
  assertEquals(
    requestsOf(registry, "PUT")[0].headers["content-length"],
    "65536",
  );
});

Deno.test("blobUpload() hashes content once", async (t) => {
  await using registry = await startFakeRegistry();
  const data = pattern(200_000, 23);
  const digest = sha256(data);
  const path = await tempFile(data);
  try {
    await t.step("a file in chunks: hashed before, not again", async () => {
      const hashed = await hashedBytes(() =>
        clientOf(registry).blobUpload(path, { chunkSize: 64 * 1024 })
      );
      assertEquals(hashed, data.byteLength);
      assertEquals(registry.getBlob(digest), data);
    });
    for (const chunkSize of [undefined, 64 * 1024]) {
      await t.step(
        `a verified stream is not hashed (chunkSize ${chunkSize})`,
        async () => {
          const hashed = await hashedBytes(() =>
            clientOf(registry).blobUpload(streamOf(data), {
              digest,
              verified: true,
              force: true,
              chunkSize,
            })
          );
          assertEquals(hashed, 0);
        },
      );
      await t.step(
        `a stream given with its digest is checked (chunkSize ${chunkSize})`,
        async () => {
          const hashed = await hashedBytes(() =>
            clientOf(registry).blobUpload(streamOf(data), {
              digest,
              force: true,
              chunkSize,
            })
          );
          assertEquals(hashed, data.byteLength);
        },
      );
    }
    await t.step("a verified stream still has its size checked", async () => {
      await assertRejects(
        () =>
          clientOf(registry).blobUpload(streamOf(data), {
            digest,
            verified: true,
            force: true,
            size: data.byteLength + 1,
          }),
        SizeMismatchError,
      );
    });
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("blobUpload() accepts 201 on PATCH, as ECR answers", async () => {
  await using registry = await startFakeRegistry();
  registry.faults.patchReturns201 = true;
  const data = pattern(50_000, 5);
  const result = await clientOf(registry).blobUpload(data, {
    chunkSize: 10_000,
  });
  assertEquals(result.digest, sha256(data));
  assertEquals(registry.getBlob(sha256(data)), data);
  assertEquals(requestsOf(registry, "PATCH").length, 4);
});

Deno.test("blobUpload() raises chunks to OCI-Chunk-Min-Length", async () => {
  await using registry = await startFakeRegistry({ chunkMinLength: 40_000 });
  const data = pattern(100_000, 6);
  const result = await clientOf(registry).blobUpload(streamOf(data), {
    chunkSize: 1000,
  });
  assertEquals(result.digest, sha256(data));
  assertEquals(registry.getBlob(sha256(data)), data);
  assertEquals(
    requestsOf(registry, "PATCH").map((r) => r.headers["content-range"]),
    ["0-39999", "40000-79999"],
  );
  assertEquals(
    requestsOf(registry, "PUT")[0].headers["content-range"],
    "80000-99999",
  );
});
