// Blob downloads whose connection drops: they continue with `Range` from the
// last byte received, a bounded number of times, and the digest of the whole
// is still checked. Against the in-process fake registry.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { type ClientOptions, createClient } from "./client.ts";
import {
  ConnectionError,
  DigestMismatchError,
  InvalidResponseError,
} from "./errors.ts";
import {
  type FakeRegistry,
  startFakeRegistry,
} from "./testing/fake_registry.ts";

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

function pattern(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 13 + seed * 5 + (i >> 9)) & 0xff;
  return out;
}

function clientOf(
  registry: FakeRegistry,
  options: Partial<ClientOptions> = {},
) {
  return createClient({
    repo: `${registry.host}/app`,
    useDefaultCredentials: false,
    retry: { initialDelayMs: 1, maxDelayMs: 5 },
    ...options,
  });
}

async function readAll(
  stream: ReadableStream<Uint8Array>,
): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const blobGets = (registry: FakeRegistry) =>
  registry.requests.filter((r) =>
    r.method === "GET" && r.path.startsWith("/v2/app/blobs/sha256:")
  );

const BLOB = pattern(400 * 1024, 2);

Deno.test("createBlobReadStream() resumes with Range from the last byte after each drop", async () => {
  await using registry = await startFakeRegistry();
  const digest = registry.seedBlob("app", BLOB);
  registry.faults.dropAfterBytes = { bytes: 100_000, times: 3 };
  const { stream, size } = await clientOf(registry).createBlobReadStream(
    digest,
  );
  assert.equal(size, BLOB.byteLength);
  assert.deepEqual(await readAll(stream), BLOB);
  const gets = blobGets(registry);
  assert.equal(gets.length, 4);
  assert.equal(gets[0].headers.range, undefined);
  // Each resume asks from where the bytes stopped: 100000, 200000, 300000.
  assert.deepEqual(gets.slice(1).map((r) => r.headers.range), [
    "bytes=100000-",
    "bytes=200000-",
    "bytes=300000-",
  ]);
});

Deno.test("createBlobReadStream() gives up after maxResumes with a ConnectionError", async (t) => {
  for (
    const [name, clientOptions, callOptions, resumes] of [
      ["the default, 3", {}, {}, 3],
      ["maxResumes: 1 on the client", { maxResumes: 1 }, {}, 1],
      ["maxResumes: 0 on the call", { maxResumes: 5 }, { maxResumes: 0 }, 0],
    ] as const
  ) {
    await t.step(name, async () => {
      await using registry = await startFakeRegistry();
      const digest = registry.seedBlob("app", BLOB);
      registry.faults.dropAfterBytes = { bytes: 50_000, times: Infinity };
      const { stream } = await clientOf(registry, clientOptions)
        .createBlobReadStream(digest, callOptions);
      await assert.rejects(readAll(stream), (err: unknown) => {
        assert.ok(err instanceof ConnectionError, String(err));
        assert.match(
          err.message,
          new RegExp(
            `^Cannot verify blob "app@${digest}" \\(at byte ${
              50_000 * (resumes + 1)
            }, after ${resumes} resumes\\): connection failed: `,
          ),
        );
        return true;
      });
      assert.equal(blobGets(registry).length, resumes + 1);
    });
  }
});

Deno.test("createBlobReadStream() copes with a registry that ignores Range and sends it all again", async () => {
  await using registry = await startFakeRegistry();
  const digest = registry.seedBlob("app", BLOB);
  registry.faults.dropAfterBytes = { bytes: 150_000, times: 2 };
  const client = clientOf(registry, {
    fetch: (request) => {
      const headers = new Headers(request.headers);
      headers.delete("range");
      return fetch(new Request(request, { headers }));
    },
  });
  const { stream } = await client.createBlobReadStream(digest);
  assert.deepEqual(await readAll(stream), BLOB);
  assert.equal(blobGets(registry).length, 3);
  assert.ok(blobGets(registry).every((r) => r.headers.range === undefined));
});

Deno.test("createBlobReadStream() still checks the digest of the whole across resumes", async () => {
  await using registry = await startFakeRegistry();
  const digest = registry.seedBlob("app", BLOB);
  registry.faults.dropAfterBytes = { bytes: 100_000 };
  // Only the resumed part (from byte 100000) is corrupted.
  registry.faults.flipByte = { offset: 300_000, path: /blobs/ };
  const { stream } = await clientOf(registry).createBlobReadStream(digest);
  await assert.rejects(readAll(stream), (err: unknown) => {
    assert.ok(err instanceof DigestMismatchError);
    assert.equal(err.expected, digest);
    const corrupted = BLOB.slice();
    corrupted[300_000] ^= 0xff;
    assert.equal(err.actual, sha256(corrupted));
    return true;
  });
  assert.equal(blobGets(registry).length, 2);
});

Deno.test("createBlobReadStream() refuses a resume answered from the wrong offset", async () => {
  await using registry = await startFakeRegistry();
  const digest = registry.seedBlob("app", BLOB);
  registry.faults.dropAfterBytes = { bytes: 100_000 };
  const client = clientOf(registry, {
    fetch: (request) => {
      if (!request.headers.has("range")) return fetch(request);
      const headers = new Headers(request.headers);
      headers.set("range", "bytes=10-");
      return fetch(new Request(request, { headers }));
    },
  });
  const { stream } = await client.createBlobReadStream(digest);
  await assert.rejects(readAll(stream), (err: unknown) => {
    assert.ok(err instanceof InvalidResponseError);
    assert.equal(
      err.message,
      `Cannot resume verify blob "app@${digest}" at byte 100000: the registry answered 206 with Content-Range "bytes 10-409599/409600"`,
    );
    return true;
  });
});

Deno.test("downloadBlob() resumes too, and leaves only the finished file", async () => {
  await using registry = await startFakeRegistry();
  const digest = registry.seedBlob("app", BLOB);
  registry.faults.dropAfterBytes = { bytes: 64 * 1024, times: 2 };
  const dir = await Deno.makeTempDir();
  try {
    const result = await clientOf(registry).downloadBlob(digest, `${dir}/blob`);
    assert.deepEqual(result, {
      digest,
      size: BLOB.byteLength,
      path: `${dir}/blob`,
    });
    assert.deepEqual(await Deno.readFile(`${dir}/blob`), BLOB);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["blob"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
