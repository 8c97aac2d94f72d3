// The client against a registry that is slow, busy, flaky or rate limited:
// retries, Retry-After, timeouts, deadlines, cancellation, RateLimit
// headers, tokens that expire in the middle of a transfer, and storage
// redirects. The in-process fake registry misbehaves on purpose; a small
// local server stands in where a body must trickle or stall.

import {
  assert,
  assertEquals,
  assertMatch,
  assertNotEquals,
  assertRejects,
  assertStrictEquals,
} from "@std/assert";
import { createHash } from "node:crypto";
import { type ClientOptions, createClient } from "./client.ts";
import { ConnectionError, HttpError, TooManyRequestsError } from "../errors.ts";
import { MEDIA_TYPE } from "../ref/media_types.ts";
import {
  type FakeRegistry,
  startFakeRegistry,
} from "../testing/fake_registry.ts";

const FAST = { initialDelayMs: 2, maxDelayMs: 10 };

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

function pattern(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + seed * 7) & 0xff;
  return out;
}

/** Seeds a one-layer image under `tags`; returns the manifest digest. */
function seedImage(registry: FakeRegistry, repo: string, tags: string[]) {
  const config = registry.seedBlob(repo, "{}");
  const layer = registry.seedBlob(repo, `layer of ${repo}`);
  let digest = "";
  for (const tag of tags) {
    digest = registry.seedManifest(repo, tag, {
      schemaVersion: 2,
      mediaType: MEDIA_TYPE.OCI_MANIFEST,
      config: { mediaType: MEDIA_TYPE.OCI_EMPTY, digest: config, size: 2 },
      layers: [{
        mediaType: MEDIA_TYPE.OCI_LAYER,
        digest: layer,
        size: `layer of ${repo}`.length,
      }],
    });
  }
  return digest;
}

function clientOf(
  registry: { host: string },
  options: Partial<ClientOptions> = {},
) {
  return createClient({
    repo: `${registry.host}/app`,
    useDefaultCredentials: false,
    retry: FAST,
    ...options,
  });
}

const manifestGets = (registry: FakeRegistry) =>
  registry.requests.filter((r) =>
    r.method === "GET" && r.path.includes("/manifests/")
  );

async function drain(stream: ReadableStream<Uint8Array>): Promise<number> {
  let total = 0;
  for await (const chunk of stream) total += chunk.byteLength;
  return total;
}

/**
 * A registry with one blob whose body trickles: `chunk` bytes every
 * `everyMs`. The first `GET` without `Range` stops after `stallAfter` bytes
 * (if set) and waits until the client goes away. Serves `Range: bytes=N-`.
 */
function trickleRegistry(
  blob: Uint8Array,
  options: { chunk: number; everyMs: number; stallAfter?: number },
) {
  const digest = sha256(blob);
  const requests: { path: string; range: string | null }[] = [];
  let stalled = false;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => {
      const url = new URL(req.url);
      const range = req.headers.get("range");
      requests.push({ path: url.pathname, range });
      if (url.pathname === "/v2/") return new Response("{}");
      if (url.pathname !== `/v2/app/blobs/${digest}`) {
        return new Response("not found", { status: 404 });
      }
      const start = range ? Number(/^bytes=(\d+)-$/.exec(range)![1]) : 0;
      const stallAt = !range && !stalled && options.stallAfter !== undefined
        ? options.stallAfter
        : Infinity;
      if (stallAt !== Infinity) stalled = true;
      let at = start;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (at >= blob.byteLength) return controller.close();
          const wait = at - start >= stallAt ? 60_000 : options.everyMs;
          return new Promise<void>((resolve) => {
            timer = setTimeout(() => {
              const end = Math.min(at + options.chunk, blob.byteLength);
              controller.enqueue(blob.slice(at, end));
              at = end;
              resolve();
            }, wait);
          });
        },
        cancel() {
          clearTimeout(timer);
        },
      });
      const headers: Record<string, string> = {
        "content-type": "application/octet-stream",
        "content-length": String(blob.byteLength - start),
      };
      if (range) {
        headers["content-range"] = `bytes ${start}-${
          blob.byteLength - 1
        }/${blob.byteLength}`;
      }
      return new Response(body, { status: range ? 206 : 200, headers });
    },
  );
  return Object.assign(server, {
    host: `127.0.0.1:${server.addr.port}`,
    digest,
    requests,
  });
}

// ------------------------------------------------------------------ retries

Deno.test("a 429 with Retry-After is waited out, then the request is sent again", async () => {
  await using registry = await startFakeRegistry();
  seedImage(registry, "app", ["v1"]);
  registry.faults.status = { status: 429, retryAfter: "1", path: /manifests/ };
  const started = performance.now();
  const { manifest } = await clientOf(registry).getManifest("v1");
  assertEquals(manifest.schemaVersion, 2);
  const [first, second] = manifestGets(registry);
  assert(second.at - first.at >= 990, `${second.at - first.at} ms`);
  assert(performance.now() - started < 3_000);
});

Deno.test("a 500 once is retried with backoff; so is a 503 from the token server", async (t) => {
  await t.step("500 on a manifest", async () => {
    await using registry = await startFakeRegistry();
    seedImage(registry, "app", ["v1"]);
    registry.faults.status = { status: 500, path: /manifests/ };
    await clientOf(registry).getManifest("v1");
    assertEquals(manifestGets(registry).length, 2);
  });
  await t.step("503 on the token endpoint", async () => {
    await using registry = await startFakeRegistry({ auth: "bearer" });
    seedImage(registry, "app", ["v1"]);
    registry.faults.status = { status: 503, path: /^\/token/ };
    await clientOf(registry).getManifest("v1");
    assertEquals(
      registry.requests.filter((r) => r.path.startsWith("/token")).length,
      2,
    );
  });
});

Deno.test("a Retry-After over maxRetryAfterMs fails at once with TooManyRequestsError carrying the wait", async (t) => {
  for (
    const [name, value, expected] of [
      ["seconds", "3600", 3_600_000],
      [
        "an HTTP date",
        new Date(Date.now() + 7_200_000).toUTCString(),
        7_200_000,
      ],
    ] as const
  ) {
    await t.step(name, async () => {
      await using registry = await startFakeRegistry();
      seedImage(registry, "app", ["v1"]);
      registry.faults.status = {
        status: 429,
        retryAfter: value,
        path: /manifests/,
      };
      const started = performance.now();
      const err = await assertRejects(
        () =>
          clientOf(registry, { retry: { maxRetryAfterMs: 60_000 } })
            .getManifest("v1"),
        TooManyRequestsError,
      );
      assertEquals(err.status, 429);
      assertEquals(err.codes, ["TOOMANYREQUESTS"]);
      assert(
        Math.abs(err.retryAfterMs! - expected) <= 2_000,
        `${err.retryAfterMs}`,
      );
      assertMatch(
        err.message,
        /^Cannot get manifest "app:v1": registry returned 429 TOOMANYREQUESTS/,
      );
      assert(performance.now() - started < 500);
      assertEquals(manifestGets(registry).length, 1);
    });
  }
});

Deno.test("network errors are retried; once the attempts are spent they are a ConnectionError", async (t) => {
  await using registry = await startFakeRegistry();
  seedImage(registry, "app", ["v1"]);
  const flaky = (failures: number) => {
    let calls = 0;
    return (request: Request) =>
      ++calls <= failures
        ? Promise.reject(new TypeError("connection reset by peer"))
        : fetch(request);
  };
  await t.step("two failures, four attempts", async () => {
    const { digest } = await clientOf(registry, { fetch: flaky(2) })
      .headManifest("v1");
    assertMatch(digest, /^sha256:/);
  });
  await t.step("four failures, three attempts", async () => {
    const err = await assertRejects(
      () =>
        clientOf(registry, {
          fetch: flaky(4),
          retry: { ...FAST, maxAttempts: 3 },
        }).headManifest("v1"),
      ConnectionError,
    );
    assertMatch(
      err.message,
      /^Cannot head manifest "app:v1": connection failed: connection reset by peer$/,
    );
  });
});

Deno.test("a manifest PUT (its body in memory) is sent again after a 503, with the same bytes", async () => {
  await using registry = await startFakeRegistry();
  const config = registry.seedBlob("app", "{}");
  registry.faults.status = { status: 503, method: "PUT", path: /manifests/ };
  const { digest } = await clientOf(registry).putManifest("v1", {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.OCI_MANIFEST,
    config: { mediaType: MEDIA_TYPE.OCI_EMPTY, digest: config, size: 2 },
    layers: [],
  });
  const puts = registry.requests.filter((r) => r.method === "PUT");
  assertEquals(puts.length, 2);
  assertEquals(registry.getManifest("app", "v1")?.digest, digest);
});

Deno.test("retry options: maxAttempts 1 gives the first 503 back as a retryable HttpError", async () => {
  await using registry = await startFakeRegistry();
  seedImage(registry, "app", ["v1"]);
  registry.faults.status = { status: 503, path: /manifests/ };
  const err = await assertRejects(
    () => clientOf(registry, { retry: { maxAttempts: 1 } }).getManifest("v1"),
    HttpError,
  );
  assertEquals(err.status, 503);
  assert(err.retryable);
  assertEquals(manifestGets(registry).length, 1);
});

// --------------------------------------------------------- timeouts, aborts

Deno.test("requestTimeoutMs: each attempt that gets no answer in time fails, then ConnectionError", async () => {
  await using registry = await startFakeRegistry();
  seedImage(registry, "app", ["v1"]);
  await clientOf(registry).ping();
  const client = clientOf(registry, {
    requestTimeoutMs: 60,
    retry: { ...FAST, maxAttempts: 2 },
  });
  registry.faults.delayMs = 5_000;
  registry.requests.length = 0;
  const started = performance.now();
  const err = await assertRejects(
    () => client.getManifest("v1"),
    ConnectionError,
  );
  assertMatch(
    err.message,
    /^Cannot get manifest "app:v1": connection failed: no activity for 60 ms while waiting for the response \(requestTimeoutMs\)$/,
  );
  assert(performance.now() - started < 2_000);
  assertEquals(registry.requests.length, 2);
});

Deno.test("requestTimeoutMs: a blob body that stalls is resumed with Range, a steady slow one is not cut", async (t) => {
  const blob = pattern(64 * 1024, 3);
  await t.step("stalls after 16 KiB", async () => {
    await using server = trickleRegistry(blob, {
      chunk: 4096,
      everyMs: 1,
      stallAfter: 16 * 1024,
    });
    const client = clientOf(server, { requestTimeoutMs: 200 });
    const { stream } = await client.createBlobReadStream(server.digest);
    assertEquals(await drain(stream), blob.byteLength);
    const ranges = server.requests.filter((r) => r.path.includes("/blobs/"))
      .map((r) => r.range);
    assertEquals(ranges.length, 2);
    assertEquals(ranges[0], null);
    assertMatch(ranges[1]!, /^bytes=\d+-$/);
  });
  await t.step(
    "a chunk every 40 ms (480 ms in all) under a 250 ms timeout",
    async () => {
      await using server = trickleRegistry(blob.subarray(0, 12 * 1024), {
        chunk: 1024,
        everyMs: 40,
      });
      const client = clientOf(server, { requestTimeoutMs: 250 });
      const { stream } = await client.createBlobReadStream(server.digest);
      assertEquals(await drain(stream), 12 * 1024);
      assertEquals(
        server.requests.filter((r) => r.path.includes("/blobs/")).length,
        1,
      );
    },
  );
});

Deno.test("a deadline on a whole call: signal: AbortSignal.timeout() bounds a listing of many pages", async () => {
  await using registry = await startFakeRegistry({ tagPageLimit: 1 });
  seedImage(registry, "app", Array.from({ length: 30 }, (_, i) => `t${i}`));
  registry.faults.delayMs = 25;
  const started = performance.now();
  const err = await assertRejects(
    () => clientOf(registry).listTags({ signal: AbortSignal.timeout(150) }),
    DOMException,
  );
  assertEquals(err.name, "TimeoutError");
  assert(performance.now() - started < 1_000);
  assert(registry.requests.length < 20);
});

Deno.test("an abort while waiting for an answer rejects at once with the signal's reason", async (t) => {
  await using registry = await startFakeRegistry();
  seedImage(registry, "app", ["v1"]);
  registry.faults.delayMs = 5_000;
  const calls = {
    getManifest: (c: ReturnType<typeof clientOf>, signal: AbortSignal) =>
      c.getManifest("v1", { signal }),
    listTags: (c: ReturnType<typeof clientOf>, signal: AbortSignal) =>
      c.listTags({ signal }),
    headBlob: (c: ReturnType<typeof clientOf>, signal: AbortSignal) =>
      c.headBlob(sha256(pattern(1)), { signal }),
    ping: (c: ReturnType<typeof clientOf>, signal: AbortSignal) =>
      c.ping({ signal }),
  };
  for (const [name, call] of Object.entries(calls)) {
    await t.step(name, async () => {
      const controller = new AbortController();
      const reason = new Error(`stop ${name}`);
      setTimeout(() => controller.abort(reason), 20);
      const started = performance.now();
      assertStrictEquals(
        await assertRejects(() => call(clientOf(registry), controller.signal)),
        reason,
      );
      assert(performance.now() - started < 1_000);
    });
  }
  await t.step("the client-wide signal", async () => {
    const controller = new AbortController();
    const client = clientOf(registry, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    const err = await assertRejects(
      () => client.getManifest("v1"),
      DOMException,
    );
    assertEquals(err.name, "AbortError");
  });
  await t.step("an abort during a Retry-After wait", async () => {
    registry.faults = {
      status: { status: 503, retryAfter: "30", path: /manifests/ },
    };
    const controller = new AbortController();
    const reason = new Error("no more waiting");
    setTimeout(() => controller.abort(reason), 50);
    const started = performance.now();
    assertStrictEquals(
      await assertRejects(
        () =>
          clientOf(registry).getManifest("v1", { signal: controller.signal }),
      ),
      reason,
    );
    assert(performance.now() - started < 1_000);
  });
});

Deno.test("an abort while a blob body is being read errors the stream with the reason; downloadBlob leaves no file", async (t) => {
  const blob = pattern(256 * 1024, 5);
  await t.step("createBlobReadStream", async () => {
    await using server = trickleRegistry(blob, { chunk: 4096, everyMs: 20 });
    const controller = new AbortController();
    const reason = new Error("reader gave up");
    const { stream } = await clientOf(server).createBlobReadStream(
      server.digest,
      { signal: controller.signal },
    );
    const reader = stream.getReader();
    assert((await reader.read()).value!.byteLength > 0);
    setTimeout(() => controller.abort(reason), 10);
    const started = performance.now();
    assertStrictEquals(
      await assertRejects(
        () =>
          (async () => {
            for (;;) if ((await reader.read()).done) return;
          })(),
      ),
      reason,
    );
    assert(performance.now() - started < 1_000);
  });
  await t.step("downloadBlob", async () => {
    await using server = trickleRegistry(blob, { chunk: 4096, everyMs: 20 });
    const dir = await Deno.makeTempDir();
    try {
      const reason = new Error("download gave up");
      const controller = new AbortController();
      setTimeout(() => controller.abort(reason), 80);
      assertStrictEquals(
        await assertRejects(
          () =>
            clientOf(server).downloadBlob(server.digest, `${dir}/blob`, {
              signal: controller.signal,
            }),
        ),
        reason,
      );
      assertEquals([...Deno.readDirSync(dir)], []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("an abort while an upload body is being written rejects with the reason", async () => {
  await using registry = await startFakeRegistry();
  const controller = new AbortController();
  const reason = new Error("upload gave up");
  let sent = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const source = new ReadableStream<Uint8Array>({
    pull(c) {
      return new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          sent++;
          c.enqueue(pattern(16 * 1024, sent));
          resolve();
        }, 15);
      });
    },
    cancel() {
      clearTimeout(timer);
    },
  });
  setTimeout(() => controller.abort(reason), 100);
  const started = performance.now();
  assertStrictEquals(
    await assertRejects(
      () =>
        clientOf(registry).blobUpload(source, { signal: controller.signal }),
    ),
    reason,
  );
  assert(performance.now() - started < 1_500);
  assert(sent > 0 && sent < 60, `${sent} chunks`);
  clearTimeout(timer);
});

// -------------------------------------------------------------- rate limits

Deno.test("rateLimit follows RateLimit-Limit/Remaining on every response; checkRateLimit() asks with a free HEAD", async () => {
  await using registry = await startFakeRegistry({
    rateLimit: { limit: 100, remaining: 2 },
  });
  seedImage(registry, "app", ["v1"]);
  const client = clientOf(registry, { retry: { maxAttempts: 1 } });
  // Read through a function: an assertion would narrow the property's type.
  const rateLimit = () => client.rateLimit;
  assertEquals(rateLimit(), undefined);
  assertEquals(await client.checkRateLimit("v1"), {
    limit: 100,
    remaining: 2,
    windowSeconds: 21600,
  });
  await client.getManifest("v1");
  assertEquals(rateLimit(), {
    limit: 100,
    remaining: 1,
    windowSeconds: 21600,
  });
  await client.getManifest("v1");
  assertEquals(rateLimit()?.remaining, 0);
  assertEquals(await client.checkRateLimit("v1"), {
    limit: 100,
    remaining: 0,
    windowSeconds: 21600,
  });
  assertEquals(registry.rateLimit?.remaining, 0, "HEADs spent nothing");
  await assertRejects(() => client.getManifest("v1"), TooManyRequestsError);
  assertEquals(rateLimit()?.remaining, 0);

  await using open = await startFakeRegistry();
  seedImage(open, "app", ["v1"]);
  assertEquals(await clientOf(open).checkRateLimit("v1"), undefined);
});

// ------------------------------------------- tokens expiring mid-transfer

Deno.test("a token that expires in the middle of a paged listing is renewed and the listing completes", async () => {
  await using registry = await startFakeRegistry({
    auth: "bearer",
    tagPageLimit: 4,
  });
  const tags = Array.from(
    { length: 40 },
    (_, i) => `t${String(i).padStart(2, "0")}`,
  );
  seedImage(registry, "app", tags);
  registry.faults.expireTokensAfter = { requests: 3 };
  const list = await clientOf(registry).listTags();
  assertEquals(list.tags, tags);
  assert(registry.tokensIssued >= 4, `${registry.tokensIssued} tokens`);
});

Deno.test("a token revoked in the middle of a blob download is renewed when the download resumes", async () => {
  await using registry = await startFakeRegistry({ auth: "bearer" });
  const blob = pattern(300 * 1024, 9);
  const digest = registry.seedBlob("app", blob);
  registry.faults.dropAfterBytes = { bytes: 100 * 1024 };
  const { stream } = await clientOf(registry).createBlobReadStream(digest);
  const reader = stream.getReader();
  const first = await reader.read();
  assert(first.value!.byteLength > 0);
  registry.revokeTokens();
  let total = first.value!.byteLength;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
  }
  assertEquals(total, blob.byteLength);
  assertEquals(registry.tokensIssued, 2);
  // The first GET, the resume refused with the revoked token, its replay.
  const gets = registry.requests.filter((r) =>
    r.path.includes("/blobs/sha256")
  );
  assertEquals(gets.length, 3);
  assertEquals(gets[0].headers.range, undefined);
  assertMatch(gets[1].headers.range, /^bytes=\d+-$/);
  assertEquals(gets[2].headers.range, gets[1].headers.range);
  assertNotEquals(gets[2].headers.authorization, gets[1].headers.authorization);
});

Deno.test("a token that expires in the middle of a chunked upload is renewed and each chunk is sent again", async () => {
  await using registry = await startFakeRegistry({ auth: "bearer" });
  registry.faults.expireTokensAfter = { requests: 2 };
  const data = pattern(100_000, 11);
  const client = clientOf(registry, { username: "user", password: "pass" });
  const result = await client.blobUpload(data, { chunkSize: 20_000 });
  assertEquals(result.digest, sha256(data));
  assertEquals(registry.getBlob(sha256(data)), data);
  assert(registry.tokensIssued >= 3, `${registry.tokensIssued} tokens`);
  const patches = registry.requests.filter((r) => r.method === "PATCH");
  assert(patches.length > 4, "some PATCHes were refused and sent again");
});

// ---------------------------------------------------------------- redirects

Deno.test("a blob redirected to storage is read there without the registry's credentials", async (t) => {
  for (const auth of ["basic", "bearer"] as const) {
    await t.step(auth, async () => {
      await using registry = await startFakeRegistry({ auth });
      const blob = pattern(50_000, 4);
      const digest = registry.seedBlob("app", blob);
      registry.faults.redirectBlobs = true;
      const client = clientOf(registry, { username: "user", password: "pass" });
      const { stream, url } = await client.createBlobReadStream(digest);
      assertEquals(await drain(stream), blob.byteLength);
      assert(url.startsWith(registry.secondOrigin.url));
      const [storage] = registry.secondOrigin.requests;
      assertEquals(storage.path, `/v2/app/blobs/${digest}`);
      assertEquals(storage.headers.authorization, undefined);
      assertEquals(storage.headers.cookie, undefined);
      const atRegistry = registry.requests.find((r) =>
        r.path === `/v2/app/blobs/${digest}`
      );
      assert(atRegistry?.headers.authorization);
    });
  }
});
