// A registry that trickles its answers a byte at a time (each byte before
// the inactivity timeout would fire) cannot hold a call: the minimum speed
// and the deadline of small requests end it with a ConnectionError naming
// the option. Small bounds are configured; no wall-clock is asserted.

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertMatch,
  assertRejects,
} from "@std/assert";
import { ConnectionError, NotFoundError } from "../errors.ts";
import { startFakeRegistry } from "../testing/fake_registry.ts";
import { type ClientOptions, createClient } from "./client.ts";

const EMPTY =
  "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

function clientOf(url: string, options: Partial<ClientOptions> = {}) {
  return createClient({
    repo: `${url}/app`,
    useDefaultCredentials: false,
    username: "user",
    password: "pass",
    retry: { maxAttempts: 1 },
    ...options,
  });
}

/** The messages of an error and its causes. */
function messages(err: unknown): string {
  const out: string[] = [];
  for (let e = err; e instanceof Error; e = e.cause) out.push(e.message);
  return out.join(" <- ");
}

Deno.test("a manifest trickled a byte every 10 ms fails at the minimum speed", async () => {
  await using registry = await startFakeRegistry();
  registry.seedManifest("app", "v1", {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: {
      mediaType: "application/vnd.oci.empty.v1+json",
      digest: EMPTY,
      size: 2,
    },
    layers: [],
    annotations: { padding: "x".repeat(2_000) },
  });
  registry.faults.trickle = { everyMs: 10, path: /\/manifests\// };
  const err = await assertRejects(
    () =>
      clientOf(registry.url, { minSpeed: 1024, minSpeedWindowMs: 300 })
        .getManifest("v1"),
    ConnectionError,
  );
  assertMatch(
    messages(err),
    /ran below 1024 bytes\/s.*\(minSpeed, minSpeedWindowMs\)/,
  );
});

Deno.test("a small answer that takes longer than requestDeadlineMs fails, each byte in time or not", async (t) => {
  await t.step("a manifest", async () => {
    await using registry = await startFakeRegistry();
    registry.seedManifest("app", "v1", {
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [],
      annotations: { padding: "x".repeat(2_000) },
    });
    registry.faults.trickle = { everyMs: 5, bytes: 4, path: /\/manifests\// };
    const err = await assertRejects(
      () =>
        clientOf(registry.url, { minSpeed: 0, requestDeadlineMs: 200 })
          .getManifest("v1"),
      ConnectionError,
    );
    assertMatch(
      messages(err),
      /no complete answer within 200 ms \(requestDeadlineMs\)/,
    );
  });
  await t.step("a token", async () => {
    await using registry = await startFakeRegistry({ auth: "bearer" });
    registry.seedBlob("app", "{}");
    registry.faults.trickle = { everyMs: 50, path: /^\/token/ };
    const err = await assertRejects(
      () =>
        clientOf(registry.url, { minSpeed: 0, requestDeadlineMs: 200 })
          .hasBlob(EMPTY),
      ConnectionError,
    );
    assertMatch(messages(err), /requestDeadlineMs/);
  });
});

Deno.test("a blob trickled a byte at a time resumes, then fails at the minimum speed", async () => {
  await using registry = await startFakeRegistry();
  const digest = registry.seedBlob("app", "0123456789".repeat(1_000));
  registry.faults.trickle = { everyMs: 10, path: /\/blobs\// };
  const client = clientOf(registry.url, {
    minSpeed: 1024,
    minSpeedWindowMs: 200,
    // A blob transfer has no deadline: only the speed ends it.
    requestDeadlineMs: 50,
  });
  const { stream } = await client.createBlobReadStream(digest, {
    maxResumes: 1,
  });
  const err = await assertRejects(() => new Response(stream).arrayBuffer());
  assertInstanceOf(err, ConnectionError);
  assertMatch(err.message, /after 1 resumes/);
  assertMatch(messages(err), /ran below 1024 bytes\/s/);
  const gets = registry.requests.filter((r) => r.path.includes("/blobs/"));
  assert(gets.length === 2, `${gets.length} GETs`);
});

Deno.test("the error answer to a blob download gets the deadline of small answers", async () => {
  await using registry = await startFakeRegistry();
  registry.seedBlob("app", "{}");
  registry.faults.trickle = { everyMs: 50, path: /\/blobs\// };
  const missing = `sha256:${"0".repeat(64)}`;
  const err = await assertRejects(
    () =>
      clientOf(registry.url, { minSpeed: 0, requestDeadlineMs: 200 })
        .createBlobReadStream(missing),
    NotFoundError,
  );
  // Its body was cut at the deadline: the status alone, no OCI codes.
  assertEquals(err.codes, []);
});
