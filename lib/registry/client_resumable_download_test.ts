// Blob downloads whose connection drops: they continue with `Range` from the
// last byte received, a bounded number of times, and the digest of the whole
// is still checked. Against the in-process fake registry.

import { assert, assertEquals, assertMatch, assertRejects } from "@std/assert";
import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import { type ClientOptions, createClient } from "./client.ts";
import {
  ConnectionError,
  DigestMismatchError,
  InvalidResponseError,
} from "../errors.ts";
import {
  type FakeRegistry,
  startFakeRegistry,
} from "../testing/fake_registry.ts";

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
  assertEquals(size, BLOB.byteLength);
  assertEquals(await readAll(stream), BLOB);
  const gets = blobGets(registry);
  assertEquals(gets.length, 4);
  assertEquals(gets[0].headers.range, undefined);
  // Each resume asks from where the bytes stopped: 100000, 200000, 300000.
  assertEquals(gets.slice(1).map((r) => r.headers.range), [
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
      const err = await assertRejects(() => readAll(stream), ConnectionError);
      assertMatch(
        err.message,
        new RegExp(
          `^Cannot verify blob "app@${digest}" \\(at byte ${
            50_000 * (resumes + 1)
          }, after ${resumes} resumes\\): connection failed: `,
        ),
      );
      assertEquals(blobGets(registry).length, resumes + 1);
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
  assertEquals(await readAll(stream), BLOB);
  assertEquals(blobGets(registry).length, 3);
  assert(blobGets(registry).every((r) => r.headers.range === undefined));
});

Deno.test("createBlobReadStream() still checks the digest of the whole across resumes", async () => {
  await using registry = await startFakeRegistry();
  const digest = registry.seedBlob("app", BLOB);
  registry.faults.dropAfterBytes = { bytes: 100_000 };
  // Only the resumed part (from byte 100000) is corrupted.
  registry.faults.flipByte = { offset: 300_000, path: /blobs/ };
  const { stream } = await clientOf(registry).createBlobReadStream(digest);
  const err = await assertRejects(() => readAll(stream), DigestMismatchError);
  assertEquals(err.expected, digest);
  const corrupted = BLOB.slice();
  corrupted[300_000] ^= 0xff;
  assertEquals(err.actual, sha256(corrupted));
  assertEquals(blobGets(registry).length, 2);
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
  const err = await assertRejects(() => readAll(stream), InvalidResponseError);
  assertEquals(
    err.message,
    `Cannot resume verify blob "app@${digest}" at byte 100000: the registry answered 206 with Content-Range "bytes 10-409599/409600"`,
  );
});

Deno.test("downloadBlob() resumes too, and leaves only the finished file", async () => {
  await using registry = await startFakeRegistry();
  const digest = registry.seedBlob("app", BLOB);
  registry.faults.dropAfterBytes = { bytes: 64 * 1024, times: 2 };
  const dir = await Deno.makeTempDir();
  try {
    const result = await clientOf(registry).downloadBlob(digest, `${dir}/blob`);
    assertEquals(result, {
      digest,
      size: BLOB.byteLength,
      path: `${dir}/blob`,
    });
    assertEquals(await Deno.readFile(`${dir}/blob`), BLOB);
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["blob"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("createBlobReadStream() cancelled while a resume is in flight releases the resumed response", async (t) => {
  for (const honoursAbort of [true, false]) {
    await t.step(
      honoursAbort
        ? "the resume request is aborted before it is answered"
        : "a resume answered anyway has its body cancelled",
      async () => {
        await using registry = await startFakeRegistry();
        const digest = registry.seedBlob("app", BLOB);
        registry.faults.dropAfterBytes = { bytes: 100_000 };
        const resumeAsked = Promise.withResolvers<void>();
        const release = Promise.withResolvers<void>();
        const resumeSettled = Promise.withResolvers<void>();
        const bodyCancelled = Promise.withResolvers<void>();
        let resumeAnswered = false;
        const client = clientOf(registry, {
          requestTimeoutMs: 0,
          fetch: async (request) => {
            if (!request.headers.has("range")) return fetch(request);
            resumeAsked.resolve();
            await release.promise;
            try {
              // The second step's fetch ignores the caller's signal.
              const res = await fetch(
                honoursAbort
                  ? request
                  : new Request(request.url, { headers: request.headers }),
              );
              resumeAnswered = true;
              const inner = res.body!.getReader();
              const body = new ReadableStream<Uint8Array>({
                async pull(controller) {
                  const { done, value } = await inner.read();
                  if (done) controller.close();
                  else controller.enqueue(value);
                },
                async cancel(reason) {
                  bodyCancelled.resolve();
                  await inner.cancel(reason);
                },
              });
              return new Response(body, {
                status: res.status,
                headers: res.headers,
              });
            } finally {
              resumeSettled.resolve();
            }
          },
        });
        const { stream } = await client.createBlobReadStream(digest);
        const reader = stream.getReader();
        const reading = (async () => {
          for (;;) if ((await reader.read()).done) return;
        })();
        await resumeAsked.promise;
        await reader.cancel();
        await reading;
        release.resolve();
        await resumeSettled.promise;
        // A body never cancelled leaves this test pending (and the harness's
        // timeout ends it): there is nothing else to wait for.
        if (honoursAbort) assertEquals(resumeAnswered, false);
        else await bodyCancelled.promise;
      },
    );
  }
});

Deno.test("downloadBlob() closes the file before renaming it into place", async () => {
  await using registry = await startFakeRegistry();
  const digest = registry.seedBlob("app", BLOB);
  const dir = await Deno.makeTempDir();
  const target = `${dir}/blob`;
  const events: string[] = [];
  const renamed = () => {
    try {
      Deno.statSync(target);
      return true;
    } catch {
      return false;
    }
  };
  // Watch every file handle node:fs closes (downloadBlob writes through
  // one): it must be closed before the rename puts the file in place
  // (Windows cannot rename an open file). A rename is seen as the target
  // appearing.
  const probe = await open(`${dir}/probe`, "w");
  const proto = Object.getPrototypeOf(probe) as { close(): Promise<void> };
  await probe.close();
  const close = proto.close;
  proto.close = function (this: unknown) {
    if (renamed() && !events.includes("rename")) events.push("rename");
    events.push("close");
    return close.call(this);
  };
  try {
    await clientOf(registry).downloadBlob(digest, target);
    if (renamed() && !events.includes("rename")) events.push("rename");
    assertEquals(events, ["close", "rename"]);
    assertEquals(await Deno.readFile(target), BLOB);
  } finally {
    proto.close = close;
    await Deno.remove(dir, { recursive: true });
  }
});
