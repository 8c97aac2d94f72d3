// The logging layer: one line per request and one per response (or failure),
// with the method, the redacted URL, the status and the time, and never a
// secret — no password, token, Authorization value, upload state or signed
// query — whatever the client sends.

import { assert, assertEquals, assertMatch, assertRejects } from "@std/assert";
import { createHash } from "node:crypto";
import { withLog } from "./log.ts";
import { createClient } from "../registry/client.ts";
import { startFakeRegistry } from "../testing/fake_registry.ts";
import { startRegistry } from "../../test_support/real_registry.ts";

const REQUEST_LINE = /^> #(\d+) ([A-Z]+) (\S+)$/;
const RESPONSE_LINE = /^< #(\d+) (\d{3}) ([A-Z]+) (\S+) \((\d+) ms\)$/;

/** Checks that each request line has exactly one response line after it. */
function assertPaired(lines: string[]): void {
  const open = new Map<string, string>();
  for (const line of lines) {
    const req = REQUEST_LINE.exec(line);
    const res = RESPONSE_LINE.exec(line);
    if (req) {
      assert(!open.has(req[1]), `request #${req[1]} logged twice`);
      open.set(req[1], `${req[2]} ${req[3]}`);
    } else if (res) {
      assertEquals(open.get(res[1]), `${res[3]} ${res[4]}`, line);
      open.delete(res[1]);
    } else {
      throw new Error(`unexpected log line: ${line}`);
    }
  }
  assertEquals([...open.keys()], [], "requests without a response line");
}

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

Deno.test("withLog() writes one line per request and one per response", async () => {
  const lines: string[] = [];
  const transport = withLog(
    (request) =>
      Promise.resolve(
        new Response(request.method === "HEAD" ? null : "{}", {
          status: request.method === "HEAD" ? 404 : 200,
        }),
      ),
    (line) => lines.push(line),
  );
  await (await transport(new Request("http://127.0.0.1:5000/v2/"))).body
    ?.cancel();
  await transport(
    new Request("http://127.0.0.1:5000/v2/foo/blobs/sha256:00", {
      method: "HEAD",
    }),
  );
  assertEquals(lines.length, 4);
  assertEquals(lines[0], "> #1 GET http://127.0.0.1:5000/v2/");
  assertMatch(
    lines[1],
    /^< #1 200 GET http:\/\/127\.0\.0\.1:5000\/v2\/ \(\d+ ms\)$/,
  );
  assertEquals(
    lines[2],
    "> #2 HEAD http://127.0.0.1:5000/v2/foo/blobs/sha256:00",
  );
  assertMatch(lines[3], /^< #2 404 HEAD .* \(\d+ ms\)$/);
  assertPaired(lines);
});

Deno.test("withLog() logs a failure with its redacted message, and rethrows it", async () => {
  const lines: string[] = [];
  const secretUrl =
    "https://storage.example.com/blob?X-Amz-Signature=s3cr3t&X-Amz-Credential=AKIA";
  const transport = withLog(
    () =>
      Promise.reject(
        new TypeError(`error sending request for url (${secretUrl})`),
      ),
    (line) => lines.push(line),
  );
  await assertRejects(
    () => transport(new Request(secretUrl)),
    TypeError,
    "s3cr3t", // the caller still gets the error as it was
  );
  assertEquals(lines.length, 2);
  assertEquals(
    lines[0],
    "> #1 GET https://storage.example.com/blob?X-Amz-Signature=REDACTED&X-Amz-Credential=REDACTED",
  );
  assertMatch(
    lines[1],
    /^< #1 failed GET \S+ \(\d+ ms\): TypeError: error sending request for url \(https:\/\/storage\.example\.com\/blob\?REDACTED\)$/,
  );
  for (const line of lines) {
    assert(!line.includes("s3cr3t") && !line.includes("AKIA"), line);
  }
});

Deno.test("withLog() drops user info from URLs and ignores a sink that throws", async () => {
  let calls = 0;
  const transport = withLog(
    () => Promise.resolve(new Response(null, { status: 204 })),
    (line) => {
      calls++;
      assert(!line.includes("hunter2"), line);
      throw new Error("broken sink");
    },
  );
  const res = await transport(
    new Request("http://me:hunter2@127.0.0.1:5000/v2/"),
  );
  assertEquals(res.status, 204);
  assertEquals(calls, 2);
});

Deno.test("createClient({ log }) logs every request on the wire, with no secret (fake registry, bearer)", async () => {
  await using registry = await startFakeRegistry({
    auth: "bearer",
    username: "alice",
    password: "pa55-w0rd-secret",
  });
  registry.faults.redirectBlobs = true;
  const layer = new TextEncoder().encode("layer bytes for the log test");
  const digest = registry.seedBlob("app", layer);
  // Everything secret the client sends or receives, to look for in the log.
  const secrets = new Set<string>([
    "pa55-w0rd-secret",
    btoa("alice:pa55-w0rd-secret"),
  ]);
  const lines: string[] = [];
  const client = createClient({
    repo: `${registry.host}/app`,
    username: "alice",
    password: "pa55-w0rd-secret",
    log: (line) => lines.push(line),
    fetch: async (request) => {
      const auth = request.headers.get("authorization");
      if (auth) {
        secrets.add(auth);
        secrets.add(auth.replace(/^\S+ /, ""));
      }
      const res = await fetch(request);
      if (new URL(request.url).pathname.startsWith("/token")) {
        const body = await res.clone().json();
        for (const key of ["token", "access_token", "refresh_token"]) {
          if (typeof body[key] === "string") secrets.add(body[key]);
        }
      }
      return res;
    },
  });
  await client.listTags().catch(() => {});
  const { stream } = await client.createBlobReadStream(digest);
  await new Response(stream).arrayBuffer();
  const blob = new TextEncoder().encode("an uploaded blob, chunked");
  await client.blobUpload(blob, { chunkSize: 8 });
  assert(registry.getBlob(sha256(blob)));

  assertPaired(lines);
  const requests = lines.filter((l) => l.startsWith(">"));
  // The ping, the token request, the redirected blob on the second origin,
  // the upload's PATCHes (with their _state query) all show up.
  assert(requests.some((l) => / GET http:\/\/127\.0\.0\.1:\d+\/v2\/$/.test(l)));
  assert(requests.some((l) => l.includes("/token?")));
  assert(requests.some((l) => l.includes(registry.secondOrigin.host)));
  assert(requests.some((l) => / PATCH .*_state=REDACTED/.test(l)));
  assert(
    requests.some((l) => / PUT .*digest=sha256%3A|digest=sha256:/.test(l)),
  );
  assert(secrets.size > 3, "the test saw tokens");
  for (const line of lines) {
    for (const secret of secrets) {
      assert(!line.includes(secret), `secret in log line: ${line}`);
    }
    assert(!/authorization|bearer |basic /i.test(line), line);
  }
});

Deno.test("createClient({ log }) against the real registry (token auth): one line each, no secret", async () => {
  await using reg = await startRegistry({ mode: "token" });
  const lines: string[] = [];
  const client = createClient({
    repo: `${reg.host}/logged/app`,
    username: reg.username,
    password: reg.password,
    log: (line) => lines.push(line),
  });
  const bytes = new TextEncoder().encode("real registry log test");
  await client.blobUpload(bytes);
  await client.headBlob(sha256(bytes));
  assertPaired(lines);
  assert(lines.length >= 8, lines.join("\n"));
  for (const line of lines) {
    assert(!line.includes(reg.password!), line);
    assert(!line.includes(btoa(`${reg.username}:${reg.password}`)), line);
    assert(!/_state=(?!REDACTED)/.test(line), line);
  }
  reg.tokenServer && assert(lines.some((l) => l.includes("account=REDACTED")));
});

Deno.test("withLog() numbers requests per sink: two registries logging to one sink share one sequence", async () => {
  await using a = await startFakeRegistry();
  await using b = await startFakeRegistry();
  a.seedManifest("app", "1", {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [],
  });
  const lines: string[] = [];
  const log = (line: string) => lines.push(line);
  const source = createClient({ repo: `${a.url}/app`, log });
  const target = createClient({ repo: `${b.url}/app`, log });
  // Overlapping requests to both registries, as a copy makes them.
  await Promise.all([
    source.listTags(),
    target.listTags().catch(() => {}),
    source.getManifest("1"),
  ]);
  const ids = lines.map((l) => REQUEST_LINE.exec(l)?.[1]).filter((id) =>
    id !== undefined
  );
  assert(ids.length >= 4, lines.join("\n"));
  assertEquals(new Set(ids).size, ids.length, lines.join("\n"));
  assertEquals(
    ids.map(Number).sort((x, y) => x - y),
    ids.map((_, i) => i + 1),
  );
  assertPaired(lines);
  // Another sink counts from 1.
  const other: string[] = [];
  const alone = withLog(
    () => Promise.resolve(new Response(null, { status: 204 })),
    (line) => other.push(line),
  );
  await alone(new Request("http://127.0.0.1:5000/v2/"));
  assertEquals(other[0], "> #1 GET http://127.0.0.1:5000/v2/");
  source.close();
  target.close();
});
