// A registry that answers with garbage, lies or floods: each bad answer is a
// typed error, raised after bounded work (requests sent, body bytes read),
// with nothing left behind (the test sanitizers check that no connection,
// timer or file stays open).

import {
  assert,
  assertEquals,
  assertMatch,
  assertNotMatch,
  assertRejects,
} from "@std/assert";
import { type ClientOptions, createClient } from "./client.ts";
import {
  ConnectionError,
  DigestMismatchError,
  HttpError,
  InvalidChallengeError,
  InvalidLinkError,
  InvalidResponseError,
  ManifestTooLargeError,
  NotFoundError,
  ResponseTooLargeError,
  SizeMismatchError,
} from "../errors.ts";
import { MEDIA_TYPE } from "../ref/media_types.ts";
import type { Transport } from "../transport/transport.ts";
import {
  type FakeRegistry,
  startFakeRegistry,
} from "../testing/fake_registry.ts";

const GiB = 2 ** 30;

function clientOf(
  registry: { host: string },
  options: Partial<ClientOptions> = {},
) {
  return createClient({
    repo: `${registry.host}/app`,
    useDefaultCredentials: false,
    retry: { initialDelayMs: 1, maxDelayMs: 5, maxAttempts: 2 },
    ...options,
  });
}

function seedImage(registry: FakeRegistry, tags: string[]): string {
  const config = registry.seedBlob("app", "{}");
  let digest = "";
  for (const tag of tags) {
    digest = registry.seedManifest("app", tag, {
      schemaVersion: 2,
      mediaType: MEDIA_TYPE.OCI_MANIFEST,
      config: { mediaType: MEDIA_TYPE.OCI_EMPTY, digest: config, size: 2 },
      layers: [],
    });
  }
  return digest;
}

/** A `fetch` that counts what the client does with it. */
interface MeteredFetch {
  /** The fetch to give the client. */
  fetch: Transport;
  /** Requests sent. */
  requests: number;
  /** Bytes of response bodies the client read (a chunk ahead at most). */
  bytesRead: number;
}

function meteredFetch(): MeteredFetch {
  const meter: MeteredFetch = {
    requests: 0,
    bytesRead: 0,
    async fetch(request) {
      meter.requests++;
      const res = await fetch(request);
      if (res.body === null) return res;
      const counted = res.body.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            meter.bytesRead += chunk.byteLength;
            controller.enqueue(chunk);
          },
        }),
      );
      const wrapped = new Response(counted, {
        status: res.status,
        statusText: res.statusText,
        headers: res.headers,
      });
      Object.defineProperty(wrapped, "url", { value: res.url });
      Object.defineProperty(wrapped, "redirected", { value: res.redirected });
      return wrapped;
    },
  };
  return meter;
}

/** The most a hostile answer may cost the client before its typed error. */
interface Bounds {
  /** Requests sent, retries included. */
  requests: number;
  /** Bytes of response bodies read. */
  bytes: number;
}

/**
 * Runs `call` with a metered fetch: it must reject with an error `check`
 * accepts, within `bounds` (the work done, not the time taken, which a
 * loaded machine stretches).
 */
async function rejectsBounded(
  call: (fetch: Transport) => Promise<unknown>,
  check: (err: unknown) => boolean,
  bounds: Bounds,
  meter: MeteredFetch = meteredFetch(),
): Promise<void> {
  const err = await assertRejects(() => call(meter.fetch));
  assert(check(err), `unexpected error: ${err}`);
  assert(
    meter.requests <= bounds.requests,
    `${meter.requests} requests, more than ${bounds.requests}`,
  );
  assert(
    meter.bytesRead <= bounds.bytes,
    `${meter.bytesRead} bytes read, more than ${bounds.bytes}`,
  );
}

const KiB = 1024;
const MiB = 1024 * KiB;

/** Read past a limit before the client notices: a network chunk or two. */
const SLACK = 1 * MiB;

/**
 * Asserts that a connection error is the client's finding, not a timeout
 * giving up on a body that will never come.
 */
function assertNotTimedOut(err: Error): void {
  assertNotMatch(
    err.message,
    /\((requestTimeoutMs|requestDeadlineMs|minSpeed, minSpeedWindowMs)\)$/,
  );
}

/**
 * A server that answers `GET /v2/` properly and every other request with
 * `head`, `Content-Length: announced` and only the first `sent` bytes of the
 * body, then closes the connection.
 */
function truncatingServer(announced: number, sent: number, head: string) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const encoder = new TextEncoder();
  const serve = async (conn: Deno.Conn) => {
    const buffer = new Uint8Array(16 * 1024);
    let pending = "";
    for (;;) {
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) return;
      pending += new TextDecoder().decode(buffer.subarray(0, n));
      const end = pending.indexOf("\r\n\r\n");
      if (end < 0) continue;
      const line = pending.slice(0, pending.indexOf("\r\n"));
      pending = pending.slice(end + 4);
      if (line.startsWith("GET /v2/ ")) {
        await conn.write(
          encoder.encode("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"),
        );
        continue;
      }
      const body = '{"schemaVersion":2,"x":"'.padEnd(sent, "a");
      await conn.write(
        encoder.encode(
          `HTTP/1.1 200 OK\r\n${head}content-length: ${announced}\r\n\r\n${body}`,
        ),
      );
      return;
    }
  };
  const serving = (async () => {
    const handlers: Promise<void>[] = [];
    for await (const conn of listener) {
      conns.add(conn);
      handlers.push(
        serve(conn).catch(() => {}).finally(() => {
          conns.delete(conn);
          closeQuietly(conn);
        }),
      );
    }
    await Promise.all(handlers);
  })().catch(() => {});
  return {
    host: `127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    async [Symbol.asyncDispose]() {
      listener.close();
      for (const conn of conns) closeQuietly(conn);
      await serving;
    },
  };
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

// ---------------------------------------------------------------- manifests

Deno.test("a manifest over the cap is refused before it is read whole", async (t) => {
  for (const contentLength of [true, false]) {
    await t.step(
      contentLength ? "5 GiB announced by Content-Length" : "5 GiB chunked",
      async () => {
        await using registry = await startFakeRegistry();
        seedImage(registry, ["v1"]);
        registry.faults.hugeBody = {
          path: /manifests/,
          bytes: 5 * GiB,
          contentType: MEDIA_TYPE.OCI_MANIFEST,
          contentLength,
        };
        await rejectsBounded(
          (fetch) => clientOf(registry, { fetch }).getManifest("v1"),
          (err) => {
            assert(err instanceof ManifestTooLargeError);
            assertEquals(err.limit, 4 * 1024 * 1024);
            assertEquals(
              err.message,
              `Cannot get manifest "app:v1": response is larger than the 4194304-byte limit${
                contentLength ? ` (${5 * GiB} bytes announced)` : ""
              }`,
            );
            return true;
          },
          // Refused on the announced length without reading, or once the
          // cap is passed: never read whole.
          { requests: 2, bytes: contentLength ? 64 * KiB : 4 * MiB + SLACK },
        );
      },
    );
  }
  await t.step("maxManifestBytes and maxBytes lower the cap", async () => {
    await using registry = await startFakeRegistry();
    seedImage(registry, ["v1"]);
    const err = await assertRejects(
      () => clientOf(registry, { maxManifestBytes: 100 }).getManifest("v1"),
      ManifestTooLargeError,
    );
    assertEquals(err.limit, 100);
    const perCall = await assertRejects(
      () => clientOf(registry).getManifest("v1", { maxBytes: 50 }),
      ManifestTooLargeError,
    );
    assertEquals(perCall.limit, 50);
  });
});

Deno.test("a manifest that is not JSON, or not an object, is an InvalidResponseError", async (t) => {
  for (
    const [body, problem] of [
      ["{not json", "the body is not valid JSON"],
      ["[1, 2]", "the manifest is not a JSON object"],
      ["null", "the manifest is not a JSON object"],
    ]
  ) {
    await t.step(body, async () => {
      await using registry = await startFakeRegistry();
      registry.seedManifest("app", "v1", body, MEDIA_TYPE.OCI_MANIFEST);
      const err = await assertRejects(
        () => clientOf(registry).getManifest("v1"),
        InvalidResponseError,
      );
      assertEquals(err.message, `Cannot get manifest "app:v1": ${problem}`);
    });
  }
});

Deno.test("a manifest whose mediaType contradicts Content-Type is an InvalidResponseError", async () => {
  await using registry = await startFakeRegistry();
  seedImage(registry, ["v1"]);
  registry.faults.manifestMediaTypeMismatch = true;
  const err = await assertRejects(
    () => clientOf(registry).getManifest("v1"),
    InvalidResponseError,
  );
  assertEquals(
    err.message,
    `Cannot get manifest "app:v1": the manifest's mediaType "${MEDIA_TYPE.OCI_MANIFEST}" contradicts Content-Type "${MEDIA_TYPE.DOCKER_MANIFEST}"`,
  );
});

Deno.test("a body cut short is a ConnectionError", async (t) => {
  await t.step("a manifest", async () => {
    await using server = truncatingServer(
      500,
      40,
      `content-type: ${MEDIA_TYPE.OCI_MANIFEST}\r\n`,
    );
    await rejectsBounded(
      (fetch) =>
        clientOf(server, { fetch, retry: { maxAttempts: 1 } }).getManifest(
          "v1",
        ),
      (err) => {
        assert(err instanceof ConnectionError, String(err));
        assertMatch(
          err.message,
          /^Cannot get manifest "app:v1" \(reading the body\): connection failed/,
        );
        assertNotTimedOut(err);
        return true;
      },
      { requests: 2, bytes: 64 * KiB },
    );
  });
  await t.step("a tag list", async () => {
    await using server = truncatingServer(
      500,
      40,
      "content-type: application/json\r\n",
    );
    await rejectsBounded(
      (fetch) =>
        clientOf(server, { fetch, retry: { maxAttempts: 1 } }).listTags(),
      (err) => {
        assert(err instanceof ConnectionError, String(err));
        assertNotTimedOut(err);
        return true;
      },
      { requests: 2, bytes: 64 * KiB },
    );
  });
});

Deno.test("a digest mismatch is a DigestMismatchError, and downloadBlob leaves no file", async (t) => {
  await using registry = await startFakeRegistry();
  const digest = seedImage(registry, ["v1"]);
  const blob = new Uint8Array(200_000).fill(7);
  const blobDigest = registry.seedBlob("app", blob);
  registry.faults.flipByte = { offset: 10 };
  await t.step("a manifest by digest", async () => {
    const err = await assertRejects(
      () => clientOf(registry).getManifest(digest),
      DigestMismatchError,
    );
    assertEquals(err.expected, digest);
  });
  await t.step("a manifest by tag, against Docker-Content-Digest", async () => {
    const err = await assertRejects(
      () => clientOf(registry).getManifest("v1"),
      DigestMismatchError,
    );
    assertEquals(err.expected, digest);
  });
  await t.step("a blob stream", async () => {
    const { stream } = await clientOf(registry).createBlobReadStream(
      blobDigest,
    );
    const err = await assertRejects(
      () => new Response(stream).arrayBuffer(),
      DigestMismatchError,
    );
    assertEquals(err.expected, blobDigest);
  });
  await t.step("downloadBlob", async () => {
    const dir = await Deno.makeTempDir();
    try {
      const err = await assertRejects(
        () => clientOf(registry).downloadBlob(blobDigest, `${dir}/blob`),
        DigestMismatchError,
      );
      assertMatch(
        err.message,
        new RegExp(`^Cannot verify blob "app@${blobDigest}"`),
      );
      assertEquals([...Deno.readDirSync(dir)], []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

// --------------------------------------------------------------------- auth

Deno.test("a huge or malformed WWW-Authenticate is an InvalidResponseError, after one request", async (t) => {
  const cases: [string, string][] = [
    ["an unterminated quote", 'Bearer realm="http://127.0.0.1/token'],
    [
      "thousands of params",
      `Bearer realm="http://127.0.0.1/token",${
        Array.from({ length: 5000 }, (_, i) => `p${i}="v"`).join(",")
      }`,
    ],
    ["300 KB of it", `Bearer realm="${"x".repeat(300_000)}"`],
    ["a bearer challenge without realm", 'Bearer service="x"'],
    ["a realm that is not a URL", 'Bearer realm="::not a url::"'],
    ["not a challenge at all", "=?=?="],
  ];
  for (const [name, value] of cases) {
    await t.step(name, async () => {
      await using registry = await startFakeRegistry({ auth: "bearer" });
      seedImage(registry, ["v1"]);
      registry.faults.wwwAuthenticate = value;
      await rejectsBounded(
        (fetch) => clientOf(registry, { fetch }).getManifest("v1"),
        (err) => {
          assert(err instanceof InvalidResponseError, String(err));
          assertMatch(
            err.message,
            /^Cannot (ping|authenticate to|get a token for) .*(does not parse|is not a URL)/,
          );
          if (err.cause !== undefined) {
            assert(err.cause instanceof InvalidChallengeError);
          }
          assert(err.message.length < 1_000);
          return true;
        },
        // The ping's 401 is the end of it: no retry, no token request.
        { requests: 1, bytes: 64 * KiB },
      );
    });
  }
});

Deno.test("a token answer without a token, or not an object, or of gigabytes, is a typed error", async (t) => {
  const cases: [
    string,
    (r: FakeRegistry) => void,
    (err: unknown) => boolean,
  ][] = [
    [
      "{} (no token)",
      (r) => r.faults.tokenAnswer = {},
      (err) =>
        err instanceof InvalidResponseError &&
        /the answer has neither token nor access_token$/.test(err.message),
    ],
    [
      "an empty token",
      (r) => r.faults.tokenAnswer = { token: "", access_token: "" },
      (err) => err instanceof InvalidResponseError,
    ],
    [
      "a JSON string",
      (r) => r.faults.tokenAnswer = "token",
      (err) =>
        err instanceof InvalidResponseError &&
        /the answer is not an object$/.test(err.message),
    ],
    [
      "5 GiB",
      (r) => r.faults.hugeBody = { path: /^\/token/, bytes: 5 * GiB },
      (err) =>
        err instanceof ResponseTooLargeError && err.limit === 1024 * 1024,
    ],
    [
      "5 GiB announced",
      (r) =>
        r.faults.hugeBody = {
          path: /^\/token/,
          bytes: 5 * GiB,
          contentLength: true,
        },
      (err) => err instanceof ResponseTooLargeError,
    ],
  ];
  for (const [name, arrange, check] of cases) {
    await t.step(name, async () => {
      await using registry = await startFakeRegistry({ auth: "bearer" });
      seedImage(registry, ["v1"]);
      arrange(registry);
      await rejectsBounded(
        (fetch) => clientOf(registry, { fetch }).getManifest("v1"),
        check,
        { requests: 2, bytes: 1 * MiB + SLACK },
      );
    });
  }
});

// ---------------------------------------------------------- paging, Link

Deno.test("a Link to another host, or a garbage Link, ends the listing with an InvalidResponseError", async (t) => {
  for (
    const [name, link, check] of [
      [
        "another host",
        '<http://evil.example/v2/app/tags/list?n=1&last=t1>; rel="next"',
        (err: InvalidResponseError) =>
          /the next page points to another host \(evil\.example\)$/.test(
            err.message,
          ),
      ],
      [
        "garbage",
        "</v2/app/tags/list?n=1; rel=next",
        (err: InvalidResponseError) =>
          /the Link header is not valid$/.test(err.message) &&
          err.cause instanceof InvalidLinkError,
      ],
    ] as const
  ) {
    await t.step(name, async () => {
      await using registry = await startFakeRegistry({ tagPageLimit: 2 });
      seedImage(registry, ["t1", "t2", "t3"]);
      registry.faults.badLink = link;
      const err = await assertRejects(
        () => clientOf(registry).listTags(),
        InvalidResponseError,
      );
      assert(check(err));
      assertEquals(
        registry.requests.filter((r) => r.path.includes("tags/list")).length,
        1,
      );
    });
  }
});

Deno.test("a tag list or catalog that pages for ever stops at maxPages", async (t) => {
  await using registry = await startFakeRegistry({ tagPageLimit: 1 });
  seedImage(registry, ["t1", "t2"]);
  registry.faults.tagsPageForever = true;
  await t.step("listTags({maxPages: 5})", async () => {
    registry.requests.length = 0;
    await rejectsBounded(
      (fetch) => clientOf(registry, { fetch }).listTags({ maxPages: 5 }),
      (err) => {
        assert(err instanceof InvalidResponseError);
        assertEquals(
          err.message,
          'Cannot list tags of "app": more than 5 pages (raise maxPages to read further)',
        );
        return true;
      },
      { requests: 6, bytes: 64 * KiB },
    );
    assertEquals(
      registry.requests.filter((r) => r.path.includes("tags/list")).length,
      5,
    );
  });
  await t.step("the client's maxPages, for the catalog", async () => {
    await rejectsBounded(
      (fetch) => clientOf(registry, { fetch, maxPages: 3 }).listCatalog(),
      (err) =>
        err instanceof InvalidResponseError &&
        /more than 3 pages/.test(err.message),
      { requests: 4, bytes: 64 * KiB },
    );
  });
});

// -------------------------------------------------- bodies of gigabytes

Deno.test("a body of gigabytes where a small one is expected is bounded", async (t) => {
  await t.step("an error body: only a prefix is read", async () => {
    await using registry = await startFakeRegistry();
    seedImage(registry, ["v1"]);
    registry.faults.hugeBody = {
      path: /manifests/,
      bytes: 5 * GiB,
      status: 404,
      contentType: "application/json",
    };
    await rejectsBounded(
      (fetch) => clientOf(registry, { fetch }).getManifest("v1"),
      (err) => err instanceof NotFoundError && err.codes.length === 0,
      { requests: 2, bytes: 64 * KiB + SLACK },
    );
  });
  await t.step("a tag list: capped at 16 MiB", async () => {
    await using registry = await startFakeRegistry();
    seedImage(registry, ["v1"]);
    registry.faults.hugeBody = { path: /tags\/list/, bytes: 5 * GiB };
    await rejectsBounded(
      (fetch) => clientOf(registry, { fetch }).listTags(),
      (err) =>
        err instanceof ResponseTooLargeError && err.limit === 16 * 1024 * 1024,
      { requests: 2, bytes: 16 * MiB + SLACK },
    );
  });
  await t.step("a referrers index: capped like a manifest", async () => {
    await using registry = await startFakeRegistry();
    const digest = seedImage(registry, ["v1"]);
    registry.faults.hugeBody = { path: /referrers/, bytes: 5 * GiB };
    await rejectsBounded(
      (fetch) => clientOf(registry, { fetch }).getReferrers(digest),
      (err) => err instanceof ResponseTooLargeError,
      { requests: 2, bytes: 4 * MiB + SLACK },
    );
  });
  await t.step("a blob longer than its descriptor says", async () => {
    await using registry = await startFakeRegistry();
    const digest = registry.seedBlob("app", "small");
    registry.faults.hugeBody = { path: /blobs/, bytes: 5 * GiB };
    const meter = meteredFetch();
    const { stream } = await clientOf(registry, { fetch: meter.fetch })
      .createBlobReadStream(digest, { size: 5 });
    await rejectsBounded(
      () => new Response(stream).arrayBuffer(),
      (err) => err instanceof SizeMismatchError && err.expected === 5,
      { requests: 2, bytes: SLACK },
      meter,
    );
  });
});

// ------------------------------------------------------ uploads, Location

Deno.test("an upload Location on another host gets no credentials; a garbage one is a typed error", async (t) => {
  await t.step("another host", async () => {
    await using registry = await startFakeRegistry({ auth: "basic" });
    registry.faults.location =
      `${registry.secondOrigin.url}/v2/app/blobs/uploads/x`;
    const err = await assertRejects(
      () =>
        clientOf(registry, { username: "user", password: "pass" })
          .blobUpload(new Uint8Array(100_000).fill(1)),
    );
    assert(err instanceof HttpError || err instanceof InvalidResponseError);
    assert(registry.secondOrigin.requests.length > 0);
    for (const r of registry.secondOrigin.requests) {
      assertEquals(r.headers.authorization, undefined, `${r.method} ${r.path}`);
    }
  });
  await t.step("garbage", async () => {
    await using registry = await startFakeRegistry();
    registry.faults.location = "http://[::1";
    await rejectsBounded(
      (fetch) =>
        clientOf(registry, { fetch }).blobUpload(
          new Uint8Array(100_000).fill(2),
        ),
      (err) => err instanceof InvalidResponseError,
      { requests: 3, bytes: 64 * KiB },
    );
  });
});

// ----------------------------------------------------- JSON of the wrong shape

/** A client whose registry answers every request but `/v2/` with `body`. */
function answering(body: string, options: Partial<ClientOptions> = {}) {
  return createClient({
    repo: "127.0.0.1:1/app",
    useDefaultCredentials: false,
    fetch: (request) =>
      Promise.resolve(
        new URL(request.url).pathname === "/v2/"
          ? new Response("{}")
          : new Response(body, {
            headers: { "content-type": "application/json" },
          }),
      ),
    ...options,
  });
}

Deno.test("a tag list or catalog that is not a JSON object is an InvalidResponseError", async (t) => {
  for (const body of ["null", "5", '"tags"', '["v1"]']) {
    await t.step(body, async () => {
      const err = await assertRejects(
        () => answering(body).listTags(),
        InvalidResponseError,
      );
      assertEquals(
        err.message,
        'Cannot list tags of "app": the body is not a JSON object',
      );
      await assertRejects(
        () => answering(body).listCatalog(),
        InvalidResponseError,
      );
    });
  }
});

Deno.test("an index whose manifests are not all objects is an InvalidResponseError", async (t) => {
  const subject = `sha256:${"a".repeat(64)}`;
  const index = JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.OCI_INDEX,
    manifests: [null],
  });
  await t.step("a referrers page, filtered by artifactType", async () => {
    const err = await assertRejects(
      () => answering(index).getReferrers(subject, { artifactType: "x/y" }),
      InvalidResponseError,
    );
    assertEquals(
      err.message,
      `Cannot get referrers of "app@${subject}": an entry of the index's manifests is not an object`,
    );
  });
  await t.step("the referrers fallback tag", async () => {
    await using registry = await startFakeRegistry({ referrersApi: false });
    registry.seedManifest("app", `sha256-${"a".repeat(64)}`, index);
    const err = await assertRejects(
      () => clientOf(registry).getReferrers(subject, { artifactType: "x/y" }),
      InvalidResponseError,
    );
    assertMatch(err.message, /manifests is not an object$/);
  });
  await t.step("an index followed to a platform", async () => {
    await using registry = await startFakeRegistry();
    registry.seedManifest("app", "v1", index);
    const err = await assertRejects(
      () =>
        clientOf(registry).getManifest("v1", {
          platform: { os: "linux", architecture: "amd64" },
        }),
      InvalidResponseError,
    );
    assertEquals(
      err.message,
      `Cannot get manifest "app:v1": an entry of the index's manifests is not an object`,
    );
  });
});
