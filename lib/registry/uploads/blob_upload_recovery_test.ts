// blobUpload() when things go wrong: re-syncs after drops and 5xx, Location
// as returned, DELETE on failure and abort, source errors, argument checks.

import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertStrictEquals,
} from "@std/assert";
import { createHash } from "node:crypto";
import { createClient, type RegistryClientV2 } from "../client.ts";
import {
  AuthenticationError,
  DigestMismatchError,
  HttpError,
  InvalidDigestError,
  InvalidReferenceError,
  NotFoundError,
  SizeMismatchError,
} from "../../errors.ts";
import {
  type FakeRegistry,
  type RecordedRequest,
  startFakeRegistry,
} from "../../testing/fake_registry.ts";
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

Deno.test("blobUpload() re-syncs with GET <location> after a dropped connection and continues from the registry's offset", async (t) => {
  for (
    const { chunk, keep } of [
      { chunk: 1, keep: 1 }, // Range "0-0": 0 or 1 byte, tried in turn
      { chunk: 1, keep: 12_345 },
      { chunk: 2, keep: 29_999 },
    ]
  ) {
    await t.step(`PATCH ${chunk} cut after ${keep} bytes`, async () => {
      await using registry = await startFakeRegistry();
      let patches = 0;
      const client = clientOf(registry, {
        fetch: (request) => {
          if (request.method === "PATCH" && ++patches === chunk) {
            registry.faults.dropUploadAfterBytes = { bytes: keep };
          }
          return fetch(request);
        },
      });
      const data = pattern(100_000, 7);
      const result = await client.blobUpload(data, { chunkSize: 30_000 });
      assertEquals(result.digest, sha256(data));
      assertEquals(registry.getBlob(sha256(data)), data);
      assertEquals(registry.faults.dropUploadAfterBytes, undefined);
      const statusGets = registry.requests.filter((r) =>
        r.method === "GET" && r.path.includes("/blobs/uploads/")
      );
      assert(
        statusGets.length >= 1,
        "the client asked where the upload stands",
      );
      assertEquals(registry.uploads.size, 0);
    });
  }
});

Deno.test("blobUpload() re-syncs after a 5xx on PATCH, and after a 503 on a monolithic PUT of a file", async (t) => {
  await t.step("500 on the second PATCH", async () => {
    await using registry = await startFakeRegistry();
    let patches = 0;
    const data = pattern(90_000, 8);
    const client = clientOf(registry, {
      fetch: (request) => {
        if (request.method === "PATCH" && ++patches === 2) {
          registry.faults.status = { status: 500, method: "PATCH" };
        }
        return fetch(request);
      },
    });
    const result = await client.blobUpload(data, { chunkSize: 30_000 });
    assertEquals(result.digest, sha256(data));
    assertEquals(registry.getBlob(sha256(data)), data);
    assertEquals(calls(registry), [
      `HEAD /v2/app/blobs/${sha256(data)}`,
      "POST /v2/app/blobs/uploads/",
      "PATCH /v2/app/blobs/uploads/<uuid>",
      "PATCH /v2/app/blobs/uploads/<uuid>",
      "GET /v2/app/blobs/uploads/<uuid>",
      "PATCH /v2/app/blobs/uploads/<uuid>",
      "PUT /v2/app/blobs/uploads/<uuid>",
    ]);
  });
  await t.step(
    "503 on the PUT of a file: GET status, PUT again from the offset",
    async () => {
      await using registry = await startFakeRegistry();
      const data = pattern(200_000, 9);
      const path = await tempFile(data);
      try {
        registry.faults.status = {
          status: 503,
          method: "PUT",
          path: /uploads/,
        };
        const result = await clientOf(registry).blobUpload(path);
        assertEquals(result.digest, sha256(data));
        assertEquals(registry.getBlob(sha256(data)), data);
        assertEquals(calls(registry), [
          `HEAD /v2/app/blobs/${sha256(data)}`,
          "POST /v2/app/blobs/uploads/",
          "PUT /v2/app/blobs/uploads/<uuid>",
          "GET /v2/app/blobs/uploads/<uuid>",
          "PUT /v2/app/blobs/uploads/<uuid>",
        ]);
        const second = requestsOf(registry, "PUT")[1];
        assertEquals(second.headers["content-range"], "0-199999");
      } finally {
        await Deno.remove(path);
      }
    },
  );
});

Deno.test("blobUpload() uses Location exactly as returned: relative or absolute, query kept", async (t) => {
  await t.step("relative (the fake's own)", async () => {
    await using registry = await startFakeRegistry();
    const data = pattern(30_000, 10);
    await clientOf(registry).blobUpload(data, { chunkSize: 10_000 });
    for (
      const r of [
        ...requestsOf(registry, "PATCH"),
        ...requestsOf(registry, "PUT"),
      ]
    ) {
      assertMatch(r.path, /\?_state=\w+/);
    }
    assertEquals(registry.getBlob(sha256(data)), data);
  });
  await t.step("absolute, with an extra query parameter", async () => {
    await using registry = await startFakeRegistry();
    const absolute: Transport = async (request) => {
      const res = await fetch(request);
      const location = res.headers.get("location");
      if (location === null || !location.includes("/uploads/")) return res;
      const headers = new Headers(res.headers);
      headers.set("location", `${registry.url}${location}&session=a%2Bb`);
      return new Response(res.body, { status: res.status, headers });
    };
    const data = pattern(30_000, 11);
    await clientOf(registry, { fetch: absolute }).blobUpload(data, {
      chunkSize: 10_000,
    });
    const used = [
      ...requestsOf(registry, "PATCH"),
      ...requestsOf(registry, "PUT"),
    ];
    assertEquals(used.length, 3);
    for (const r of used) assertMatch(r.path, /\?_state=\w+&session=a%2Bb/);
    assertMatch(used[2].path, /&session=a%2Bb&digest=sha256%3A[0-9a-f]{64}$/);
    assertEquals(registry.getBlob(sha256(data)), data);
  });
});

Deno.test("blobUpload() cancels the session with DELETE <location> on failure and on abort", async (t) => {
  await t.step("a 400 on the closing PUT", async () => {
    await using registry = await startFakeRegistry();
    registry.faults.status = {
      status: 400,
      method: "PUT",
      code: "BLOB_UPLOAD_INVALID",
    };
    const data = pattern(100_000, 12);
    const err = await assertRejects(
      () => clientOf(registry).blobUpload(data),
      HttpError,
    );
    assertEquals(err.status, 400);
    assertMatch(
      err.message,
      /^Cannot push blob to "app" \(closing PUT\): registry returned 400 BLOB_UPLOAD_INVALID/,
    );
    assertEquals(calls(registry).slice(-2), [
      "PUT /v2/app/blobs/uploads/<uuid>",
      "DELETE /v2/app/blobs/uploads/<uuid>",
    ]);
    assertEquals(registry.uploads.size, 0);
  });
  await t.step("a stream that does not match its digest", async () => {
    await using registry = await startFakeRegistry();
    const data = pattern(100_000, 13);
    const wrong = sha256(pattern(10));
    const err = await assertRejects(
      () =>
        clientOf(registry).blobUpload(streamOf(data), {
          digest: wrong,
          force: true,
        }),
      DigestMismatchError,
    );
    assertEquals(err.expected, wrong);
    assertEquals(err.actual, sha256(data));
    assertEquals(calls(registry).at(-1), "DELETE /v2/app/blobs/uploads/<uuid>");
    assertEquals(registry.uploads.size, 0);
    assertEquals(registry.getBlob(wrong), undefined);
  });
  await t.step("a stream shorter than its announced size", async () => {
    await using registry = await startFakeRegistry();
    const data = pattern(50_000, 14);
    const err = await assertRejects(
      () =>
        clientOf(registry).blobUpload(streamOf(data), {
          size: 60_000,
          chunkSize: 20_000,
        }),
      SizeMismatchError,
    );
    assertMatch(err.message, /expected 60000 bytes but got 50000/);
    assertEquals(calls(registry).at(-1), "DELETE /v2/app/blobs/uploads/<uuid>");
    assertEquals(registry.uploads.size, 0);
  });
  await t.step("an abort after the first chunk", async () => {
    await using registry = await startFakeRegistry();
    const controller = new AbortController();
    const data = pattern(100_000, 15);
    const err = await assertRejects(
      () =>
        clientOf(registry).blobUpload(data, {
          chunkSize: 25_000,
          signal: controller.signal,
          onProgress: () => controller.abort(),
        }),
      DOMException,
    );
    assertEquals(err.name, "AbortError");
    assertEquals(calls(registry).at(-1), "DELETE /v2/app/blobs/uploads/<uuid>");
    assertEquals(registry.uploads.size, 0);
  });
});

Deno.test("blobUpload() reports a failing source's own error, not ConnectionError, in every mode", async (t) => {
  const data = pattern(200_000, 21);
  for (
    const [name, options] of [
      ["monolithic (digest given)", { digest: sha256(data), force: true }],
      ["streamed (digest unknown)", {}],
      ["chunked", { chunkSize: 64 * 1024 }],
    ] as const
  ) {
    await t.step(name, async () => {
      await using registry = await startFakeRegistry();
      const broke = new Error("the disk went away");
      const err = await assertRejects(
        () =>
          clientOf(registry).blobUpload(
            streamOf(data, 4096, { at: 100_000, error: broke }),
            options,
          ),
      );
      assertStrictEquals(err, broke);
      assertEquals(
        calls(registry).at(-1),
        "DELETE /v2/app/blobs/uploads/<uuid>",
      );
      assertEquals(registry.uploads.size, 0);
    });
  }
});

Deno.test("blobUpload() checks its arguments", async (t) => {
  await using registry = await startFakeRegistry();
  const client = clientOf(registry);
  await t.step("chunkSize", async () => {
    await assertRejects(
      () => client.blobUpload(pattern(10), { chunkSize: 0 }),
      RangeError,
    );
  });
  await t.step("size of bytes", async () => {
    await assertRejects(
      () => client.blobUpload(pattern(10), { size: 11 }),
      SizeMismatchError,
    );
  });
  await t.step("mountFrom", async () => {
    await assertRejects(
      () => client.blobUpload(pattern(10), { mountFrom: "Not/Valid" }),
      InvalidReferenceError,
    );
  });
  await t.step("a directory", async () => {
    await assertRejects(() => client.blobUpload(Deno.cwd()), TypeError);
  });
  assertEquals(calls(registry).length, 0);
});

Deno.test("blobUpload() cancels a stream source when its options are refused", async (t) => {
  await using registry = await startFakeRegistry();
  const client = clientOf(registry);
  for (
    const [name, options, errorClass] of [
      ["chunkSize", { chunkSize: 0 }, RangeError],
      ["size", { size: -1 }, RangeError],
      ["mountFrom", { mountFrom: "Not/Valid" }, InvalidReferenceError],
      ["digest", { digest: "sha256:nope" }, InvalidDigestError],
    ] as const
  ) {
    await t.step(name, async () => {
      let cancelled: unknown;
      const source = new ReadableStream<Uint8Array>({
        pull: (controller) => controller.enqueue(pattern(10)),
        cancel: (reason) => {
          cancelled = reason;
        },
      });
      await assertRejects(() => client.blobUpload(source, options), errorClass);
      assert(cancelled instanceof errorClass);
      assertEquals(source.locked, false);
    });
  }
  assertEquals(calls(registry).length, 0);
});

Deno.test("mountBlob(): 201 means mounted; 202 means the blob is copied through the opened upload", async (t) => {
  await using registry = await startFakeRegistry({ auth: "bearer" });
  const data = pattern(80_000, 16);
  const digest = registry.seedBlob("source", data);
  await t.step("mounted", async () => {
    const result = await clientOf(registry, { repo: "target", auth: true })
      .mountBlob(digest, "source");
    assertEquals(result, { digest, mounted: true });
    assert(registry.repositories.get("target")?.blobs.has(digest));
  });
  await t.step(
    "202: read from the source, streamed into the session",
    async () => {
      // A registry that never mounts: strip the mount from the POST.
      const noMount: Transport = (request) => {
        const url = new URL(request.url);
        if (request.method === "POST" && url.searchParams.has("mount")) {
          return fetch(new Request(url.href.split("?")[0], request));
        }
        return fetch(request);
      };
      const client = clientOf(registry, {
        repo: "copy",
        auth: true,
        fetch: noMount,
      });
      const result = await client.mountBlob(digest, "source");
      assertEquals(result, { digest, mounted: false });
      assertEquals(registry.getBlob(digest), data);
      assert(registry.repositories.get("copy")?.blobs.has(digest));
    },
  );
  await t.step(
    "202 and the source lacks the blob: NotFoundError, session cancelled",
    async () => {
      registry.requests.length = 0;
      const missing = sha256(pattern(5));
      const err = await assertRejects(
        () =>
          clientOf(registry, { repo: "target", auth: true }).mountBlob(
            missing,
            "source",
          ),
        NotFoundError,
      );
      assertMatch(err.message, /^Cannot get blob "source@sha256:/);
      assertEquals(
        calls(registry).at(-1),
        "DELETE /v2/target/blobs/uploads/<uuid>",
      );
    },
  );
  await t.step(
    "blobUpload({mountFrom}) tries the mount first, without a HEAD",
    async () => {
      registry.requests.length = 0;
      const result = await clientOf(registry, { repo: "other", auth: true })
        .blobUpload(data, { mountFrom: "source" });
      assertEquals(result, {
        digest,
        size: data.byteLength,
        mounted: true,
      });
      assertEquals(calls(registry), ["POST /v2/other/blobs/uploads/"]);
    },
  );
  await t.step(
    "blobUpload({mountFrom}) answered 202: its own content goes into the session",
    async () => {
      registry.requests.length = 0;
      const fresh = pattern(70_000, 17);
      const result = await clientOf(registry, { repo: "other", auth: true })
        .blobUpload(fresh, { mountFrom: "source" });
      assertEquals(result, {
        digest: sha256(fresh),
        size: fresh.byteLength,
      });
      assertEquals(registry.getBlob(sha256(fresh)), fresh);
      assertEquals(calls(registry), [
        "POST /v2/other/blobs/uploads/",
        "PUT /v2/other/blobs/uploads/<uuid>",
      ]);
    },
  );
});

Deno.test("blobUpload() asks for pull,push once per repository, not per request", async () => {
  await using registry = await startFakeRegistry({ auth: "bearer" });
  const client = clientOf(registry, { auth: true });
  for (let i = 0; i < 4; i++) await client.blobUpload(pattern(70_000, 20 + i));
  // One pull token for the first HEAD, one pull,push token for everything after.
  assertEquals(registry.tokensIssued, 2);
});

Deno.test("blobUpload() anonymous to a bearer registry: a typed error saying what was attempted", async () => {
  await using registry = await startFakeRegistry({ auth: "bearer" });
  const err = await assertRejects(
    () => clientOf(registry).blobUpload(pattern(100_000), { force: true }),
    AuthenticationError,
  );
  assertMatch(
    err.message,
    /^Cannot push blob to "app": registry returned 401/,
  );
});

Deno.test("deleteBlob() deletes; a second delete is NotFoundError", async () => {
  await using registry = await startFakeRegistry();
  const digest = registry.seedBlob("app", pattern(100));
  const client = clientOf(registry);
  await client.deleteBlob(digest);
  assertEquals(await client.hasBlob(digest), false);
  await assertRejects(() => client.deleteBlob(digest), NotFoundError);
});
