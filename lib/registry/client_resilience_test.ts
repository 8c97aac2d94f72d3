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
import { FakeTime } from "@std/testing/time";
import { createHash } from "node:crypto";
import { type ClientOptions, createClient } from "./client.ts";
import { ConnectionError, HttpError, TooManyRequestsError } from "../errors.ts";
import { MEDIA_TYPE } from "../ref/media_types.ts";
import {
  type FakeRegistry,
  startFakeRegistry,
} from "../testing/fake_registry.ts";

const FAST = { initialDelayMs: 2, maxDelayMs: 10 };

/**
 * Effectively for ever: a registry that waits this long has not answered by
 * the time a test ends, so a call that settles was ended by the client.
 */
const AN_HOUR_MS = 3_600_000;

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
          const wait = at - start >= stallAt ? AN_HOUR_MS : options.everyMs;
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

Deno.test("a 429 with Retry-After is waited out, exactly, then the request is sent again", async () => {
  await using registry = await startFakeRegistry();
  seedImage(registry, "app", ["v1"]);
  registry.faults.status = { status: 429, retryAfter: "1", path: /manifests/ };
  // The clock is fake: the wait is measured on it, whatever the machine's
  // load. The fetch notes when (on that clock) each manifest GET is sent,
  // and when the client lets go of the 429 to start waiting.
  using time = new FakeTime();
  const sentAt: number[] = [];
  const dropped429 = Promise.withResolvers<void>();
  const client = clientOf(registry, {
    fetch: async (request) => {
      if (request.url.includes("/manifests/")) sentAt.push(Date.now());
      const res = await fetch(request);
      if (res.status !== 429) return res;
      const inner = res.body!.getReader();
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const { done, value } = await inner.read();
          if (done) controller.close();
          else controller.enqueue(value);
        },
        async cancel(reason) {
          await inner.cancel(reason);
          dropped429.resolve();
        },
      });
      return new Response(body, { status: res.status, headers: res.headers });
    },
  });
  const pending = client.getManifest("v1");
  await dropped429.promise;
  await time.tickAsync(999);
  await time.runMicrotasks();
  assertEquals(sentAt.length, 1, "sent again before the second was over");
  await time.tickAsync(1);
  await time.runMicrotasks();
  assertEquals(sentAt.length, 2, "not sent again once the second was over");
  const { manifest } = await pending;
  assertEquals(manifest.schemaVersion, 2);
  assertEquals(sentAt[1] - sentAt[0], 1_000);
  assertEquals(manifestGets(registry).length, 2);
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
      // The clock is fake and never moves: a client that waited would never
      // settle.
      using _time = new FakeTime();
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
  // Answers an hour late: the call settling at all is the timeout's doing.
  registry.faults.delayMs = AN_HOUR_MS;
  registry.requests.length = 0;
  const err = await assertRejects(
    () => client.getManifest("v1"),
    ConnectionError,
  );
  assertMatch(
    err.message,
    /^Cannot get manifest "app:v1": connection failed: no activity for 60 ms while waiting for the response \(requestTimeoutMs\)$/,
  );
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
  const err = await assertRejects(
    () => clientOf(registry).listTags({ signal: AbortSignal.timeout(150) }),
    DOMException,
  );
  assertEquals(err.name, "TimeoutError");
  // 30 pages were there: the listing stopped at the deadline (a loaded
  // machine only makes it fewer). That an abort cuts a request in flight is
  // the next test's.
  assert(registry.requests.length < 20);
});

Deno.test("an abort while waiting for an answer rejects at once with the signal's reason", async (t) => {
  await using registry = await startFakeRegistry();
  seedImage(registry, "app", ["v1"]);
  // Every answer an hour late: a call that settles was ended by the abort.
  registry.faults.delayMs = AN_HOUR_MS;
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
      assertStrictEquals(
        await assertRejects(() => call(clientOf(registry), controller.signal)),
        reason,
      );
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
    // A wait of an hour, allowed: only the abort ends it.
    registry.faults = {
      status: { status: 503, retryAfter: "3600", path: /manifests/ },
    };
    const answered = Promise.withResolvers<void>();
    const client = clientOf(registry, {
      retry: { ...FAST, maxRetryAfterMs: AN_HOUR_MS },
      fetch: async (request) => {
        const res = await fetch(request);
        if (res.status === 503) answered.resolve();
        return res;
      },
    });
    const controller = new AbortController();
    const reason = new Error("no more waiting");
    const pending = client.getManifest("v1", { signal: controller.signal });
    await answered.promise;
    controller.abort(reason);
    assertStrictEquals(await assertRejects(() => pending), reason);
    assertEquals(manifestGets(registry).length, 1);
  });
});

Deno.test("an abort while a blob body is being read errors the stream with the reason; downloadBlob leaves no file", async (t) => {
  const blob = pattern(256 * 1024, 5);
  await t.step("createBlobReadStream", async () => {
    // One chunk, then an hour of silence: only the abort ends the read.
    await using server = trickleRegistry(blob, {
      chunk: 4096,
      everyMs: 20,
      stallAfter: 4096,
    });
    const controller = new AbortController();
    const reason = new Error("reader gave up");
    const { stream } = await clientOf(server).createBlobReadStream(
      server.digest,
      { signal: controller.signal },
    );
    const reader = stream.getReader();
    assert((await reader.read()).value!.byteLength > 0);
    setTimeout(() => controller.abort(reason), 10);
    assertStrictEquals(
      await assertRejects(
        () =>
          (async () => {
            for (;;) if ((await reader.read()).done) return;
          })(),
      ),
      reason,
    );
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
  // Three chunks, then the abort, and a body that never goes on: the upload
  // settling at all is the abort's doing.
  let sent = 0;
  const source = new ReadableStream<Uint8Array>({
    pull(c) {
      if (sent === 3) {
        controller.abort(reason);
        return new Promise<void>(() => {});
      }
      sent++;
      c.enqueue(pattern(16 * 1024, sent));
    },
  });
  assertStrictEquals(
    await assertRejects(
      () =>
        clientOf(registry).blobUpload(source, { signal: controller.signal }),
    ),
    reason,
  );
  assertEquals(sent, 3);
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
