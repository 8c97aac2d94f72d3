// Dropped connections against the real registry (Debian's docker-registry,
// distribution 2.8): a fault-injecting TCP proxy started by the test cuts
// blob downloads in the middle of the body; the client resumes with `Range`,
// which the registry answers 206, and checks the digest of the whole.

import { assert, assertEquals, assertMatch, assertRejects } from "@std/assert";
import { createHash } from "node:crypto";
import { createClient } from "./client.ts";
import { ConnectionError } from "../errors.ts";
import { FaultProxy } from "../../test_support/fault_proxy.ts";
import { seedFixtures } from "../../test_support/fixtures.ts";
import {
  type AuthMode,
  startRegistry,
} from "../../test_support/real_registry.ts";

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

for (const mode of ["anonymous", "basic", "token"] as AuthMode[]) {
  Deno.test(`blob downloads resume after dropped connections through a proxy to the real registry (${mode} auth)`, async (t) => {
    await using reg = await startRegistry({ mode });
    const fx = await seedFixtures(reg, { tagCount: 1 });
    await using proxy = new FaultProxy(Number(reg.host.split(":")[1]));
    const { repo, layers, layerSizes } = fx.multiLayer;
    const digest = layers[2];
    const size = layerSizes[2];
    assert(size > 1_000_000);
    const client = createClient({
      repo: `${proxy.host}/${repo}`,
      ...(mode === "anonymous"
        ? { useDefaultCredentials: false }
        : { username: reg.username!, password: reg.password! }),
      retry: { initialDelayMs: 1, maxDelayMs: 5 },
    });
    const blobPath = new RegExp(`/blobs/${digest}$`);

    await t.step(
      "two drops: the stream resumes twice with Range and verifies",
      async () => {
        proxy.dropResponses({ path: blobPath, afterBytes: 300_000, times: 2 });
        proxy.requests.length = 0;
        const { stream } = await client.createBlobReadStream(digest, { size });
        const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
        assertEquals(bytes.byteLength, size);
        assertEquals(sha256(bytes), digest);
        assertEquals(proxy.cuts, 2);
        const gets = proxy.requests.filter((r) => blobPath.test(r.target));
        assertEquals(gets.map((r) => r.range ?? "none"), [
          "none",
          "bytes=300000-",
          "bytes=600000-",
        ]);
        await reg.flushAccessLog();
        const served = reg.accessLogEntries()
          .filter((e) => e.method === "GET" && blobPath.test(e.path));
        assert(
          served.some((e) => e.status === 206),
          "the registry served a range",
        );
      },
    );

    await t.step("more drops than maxResumes: a ConnectionError", async () => {
      proxy.dropResponses({ path: blobPath, afterBytes: 100_000, times: 10 });
      const { stream } = await client.createBlobReadStream(digest, {
        size,
        maxResumes: 2,
      });
      const err = await assertRejects(
        () => new Response(stream).arrayBuffer(),
        ConnectionError,
      );
      assertMatch(err.message, /\(at byte 300000, after 2 resumes\)/);
      if (reg.password) assert(!err.message.includes(reg.password));
      proxy.dropResponses({ path: blobPath, afterBytes: 0, times: 0 });
    });

    await t.step(
      "downloadBlob() through a drop writes the verified file",
      async () => {
        proxy.dropResponses({ path: blobPath, afterBytes: 500_000 });
        const dir = await Deno.makeTempDir();
        try {
          const result = await client.downloadBlob(digest, `${dir}/layer`, {
            size,
          });
          assertEquals(result.size, size);
          assertEquals(sha256(await Deno.readFile(`${dir}/layer`)), digest);
          assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), [
            "layer",
          ]);
        } finally {
          await Deno.remove(dir, { recursive: true });
        }
      },
    );
  });
}
