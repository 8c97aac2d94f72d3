// blobUpload() and copy() when the registry refuses a token mid-upload (a
// 401 at the POST, a PATCH or the closing PUT; tokens that expire between
// the start and the end of an upload): the token is renewed once and the
// upload goes on from where the registry stands; a second 401 is an
// AuthenticationError. Bodies here are larger than what the transport keeps
// in memory for a replay (1 MiB), so only the upload itself can resend them.

import { assert, assertEquals, assertRejects } from "@std/assert";
import { createHash } from "node:crypto";
import { createClient } from "../client.ts";
import { AuthenticationError } from "../../errors.ts";
import {
  type FakeRegistry,
  startFakeRegistry,
  type UploadStep,
} from "../../testing/fake_registry.ts";
import { copy } from "../../content/copy.ts";
import { MemoryStore } from "../../content/memory_store.ts";
import { MEDIA_TYPE } from "../../ref/media_types.ts";
import { RegistryStore } from "../store.ts";

const MIB = 1024 * 1024;

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

function pattern(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return out;
}

function clientOf(registry: FakeRegistry) {
  return createClient({
    repo: `${registry.url}/app`,
    username: "user",
    password: "pass",
    // One token for the whole upload, so that a second one is the renewal.
    scopes: ["repository:app:pull,push"],
    useDefaultCredentials: false,
  });
}

/** The upload requests received, as `METHOD status-less`, in order. */
function steps(registry: FakeRegistry): string[] {
  return registry.requests
    .filter((r) => r.path.includes("/blobs/uploads/"))
    .map((r) => r.method);
}

async function tempFile(bytes: Uint8Array): Promise<string> {
  const path = await Deno.makeTempFile({ suffix: ".blob" });
  await Deno.writeFile(path, bytes);
  return path;
}

Deno.test("a 401 at any step of an upload renews the token once and the upload goes on", async (t) => {
  // 2 MiB chunks: the last one (1.5 MiB) is too big to be kept for a replay.
  const data = pattern(3.5 * MIB, 1);
  const path = await tempFile(data);
  try {
    const cases: [UploadStep, string, { chunkSize?: number }][] = [
      ["POST", "monolithic", {}],
      ["PUT", "monolithic (the whole body in the closing PUT)", {}],
      ["PATCH", "chunked, 2 MiB chunks", { chunkSize: 2 * MIB }],
      ["PUT", "chunked (the last chunk in the closing PUT)", {
        chunkSize: 2 * MIB,
      }],
    ];
    for (const [step, how, options] of cases) {
      await t.step(`${step}, ${how}`, async () => {
        await using registry = await startFakeRegistry({ auth: "bearer" });
        registry.faults.uploadUnauthorized = { step };
        const result = await clientOf(registry).blobUpload(path, options);
        assertEquals(result.digest, sha256(data));
        assertEquals(registry.getBlob(result.digest), data);
        assertEquals(registry.tokensIssued, 2);
        assertEquals(registry.faults.uploadUnauthorized, undefined);
        if (step !== "POST") {
          // After the refusal: where does the upload stand, then the rest.
          const seen = steps(registry);
          const refused = seen.indexOf(step, seen.indexOf("POST"));
          assertEquals(seen[refused + 1], "GET");
        }
      });
    }
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("tokens that expire between the start and the end of an upload are renewed", async (t) => {
  // The last of the 2 MiB chunks (1.5 MiB) goes in the closing PUT.
  const data = pattern(5.5 * MIB, 2);
  for (const step of ["PATCH", "PUT"] as const) {
    await t.step(step, async () => {
      await using registry = await startFakeRegistry({ auth: "bearer" });
      registry.faults.expireTokensAt = { step };
      const result = await clientOf(registry).blobUpload(data, {
        chunkSize: 2 * MIB,
      });
      assertEquals(registry.getBlob(result.digest), data);
      assertEquals(registry.tokensIssued, 2);
    });
  }
});

Deno.test("a second 401 on the same request of an upload is an AuthenticationError", async (t) => {
  const data = pattern(2 * MIB, 3);
  for (const step of ["PATCH", "PUT"] as const) {
    await t.step(step, async () => {
      await using registry = await startFakeRegistry({ auth: "bearer" });
      registry.faults.uploadUnauthorized = { step, times: Infinity };
      const err = await assertRejects(
        () =>
          clientOf(registry).blobUpload(data, {
            chunkSize: step === "PATCH" ? 1.5 * MIB : undefined,
          }),
        AuthenticationError,
      );
      assertEquals(err.status, 401);
      assertEquals(steps(registry).filter((m) => m === step).length, 2);
      // The session is given up.
      assertEquals(steps(registry).at(-1), "DELETE");
      assertEquals(registry.uploads.size, 0);
    });
  }
});

Deno.test("a stream, which cannot be read again, fails with the AuthenticationError (the token renewed)", async () => {
  await using registry = await startFakeRegistry({ auth: "bearer" });
  const data = pattern(2 * MIB, 4);
  registry.faults.uploadUnauthorized = { step: "PUT" };
  const client = clientOf(registry);
  await assertRejects(
    () =>
      client.blobUpload(new Blob([data as Uint8Array<ArrayBuffer>]).stream(), {
        digest: sha256(data),
      }),
    AuthenticationError,
  );
  assertEquals(registry.tokensIssued, 2);
  // The next upload goes through with the renewed token.
  await client.blobUpload(
    new Blob([data as Uint8Array<ArrayBuffer>]).stream(),
    {
      digest: sha256(data),
    },
  );
  assertEquals(registry.tokensIssued, 2);
});

Deno.test("copy() to a registry survives a 401 on the closing PUT of a blob: the source is opened again", async () => {
  await using registry = await startFakeRegistry({ auth: "bearer" });
  const source = new MemoryStore();
  const layer = pattern(2 * MIB, 5);
  const config = new TextEncoder().encode("{}");
  const put = async (mediaType: string, bytes: Uint8Array) => {
    const d = { mediaType, digest: sha256(bytes), size: bytes.byteLength };
    await source.push(d, bytes);
    return d;
  };
  const manifest = new TextEncoder().encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.OCI_MANIFEST,
    config: await put(MEDIA_TYPE.OCI_EMPTY, config),
    layers: [await put("application/octet-stream", layer)],
  }));
  const root = await put(MEDIA_TYPE.OCI_MANIFEST, manifest);
  await source.tag(root, "v1");
  registry.faults.uploadUnauthorized = { step: "PUT" };
  const target = new RegistryStore(`${registry.url}/app:v1`, {
    access: "push",
    username: "user",
    password: "pass",
    useDefaultCredentials: false,
  });
  const result = await copy(source, target, {
    reference: "v1",
    concurrency: 1,
  });
  assertEquals(result.digest, root.digest);
  assertEquals(registry.getBlob(sha256(layer)), layer);
  assert(registry.getManifest("app", "v1"));
  assertEquals(registry.tokensIssued, 2);
  await target.close();
});
