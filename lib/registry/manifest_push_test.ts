// Manifest pushes and deletes against the in-process fake registry, and the
// referrers fallback index kept by the client when the registry does not
// answer OCI-Subject.

import { assert, assertEquals, assertMatch, assertRejects } from "@std/assert";
import { createHash } from "node:crypto";
import { createClient, type RegistryClientV2 } from "./client.ts";
import {
  DigestMismatchError,
  HttpError,
  InvalidDigestError,
  InvalidResponseError,
  ManifestTooLargeError,
  NotFoundError,
} from "../errors.ts";
import {
  type ImageIndex,
  type ImageManifest,
  MEDIA_TYPE,
} from "../ref/media_types.ts";
import {
  type FakeRegistry,
  type FakeRegistryOptions,
  startFakeRegistry,
} from "../testing/fake_registry.ts";
import type { Transport } from "../transport/transport.ts";

function sha256(bytes: Uint8Array | string): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

function clientOf(
  registry: FakeRegistry,
  fetchFn?: Transport,
): RegistryClientV2 {
  return createClient({
    repo: `${registry.host}/app`,
    useDefaultCredentials: false,
    ...(fetchFn ? { fetch: fetchFn } : {}),
  });
}

function calls(registry: FakeRegistry): string[] {
  return registry.requests
    .filter((r) => r.path !== "/v2/")
    .map((r) => `${r.method} ${r.path}`);
}

/** A registry with one config and one layer blob in `app`, and an image manifest using them. */
async function withImage(
  options: FakeRegistryOptions = {},
): Promise<{ registry: FakeRegistry; image: ImageManifest }> {
  const registry = await startFakeRegistry(options);
  const config = registry.seedBlob(
    "app",
    '{"architecture":"amd64","os":"linux"}',
  );
  const layer = registry.seedBlob("app", "layer bytes");
  const image: ImageManifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.OCI_MANIFEST,
    config: { mediaType: MEDIA_TYPE.OCI_CONFIG, digest: config, size: 38 },
    layers: [{ mediaType: MEDIA_TYPE.OCI_LAYER, digest: layer, size: 11 }],
  };
  return { registry, image };
}

Deno.test("putManifest() pushes to a tag with the manifest's own mediaType and returns the confirmed digest", async () => {
  const { registry, image } = await withImage();
  await using _ = registry;
  const result = await clientOf(registry).putManifest("v1", image);
  const bytes = new TextEncoder().encode(JSON.stringify(image));
  assertEquals(result, {
    digest: sha256(bytes),
    size: bytes.byteLength,
    mediaType: MEDIA_TYPE.OCI_MANIFEST,
  });
  const stored = registry.getManifest("app", "v1");
  assertEquals(stored?.digest, result.digest);
  assertEquals(stored?.mediaType, MEDIA_TYPE.OCI_MANIFEST);
  const put = registry.requests.find((r) => r.method === "PUT")!;
  assertEquals(put.headers["content-type"], MEDIA_TYPE.OCI_MANIFEST);
  assertEquals(calls(registry), ["PUT /v2/app/manifests/v1"]);
});

Deno.test("putManifest() sends exact bytes as given, to a digest", async () => {
  const { registry, image } = await withImage();
  await using _ = registry;
  const bytes = new TextEncoder().encode(JSON.stringify(image, null, 3) + "\n");
  const digest = sha256(bytes);
  const result = await clientOf(registry).putManifest(digest, bytes);
  assertEquals(result.digest, digest);
  assertEquals(registry.getManifest("app", digest)?.bytes, bytes);
  assertEquals(calls(registry), [`PUT /v2/app/manifests/${digest}`]);
});

Deno.test("putManifest() picks Content-Type: option, then shape; never a schema 1 default", async (t) => {
  const { registry, image } = await withImage();
  await using _ = registry;
  const client = clientOf(registry);
  const { mediaType: _drop, ...bare } = image;
  await t.step("options.mediaType for a manifest without one", async () => {
    const result = await client.putManifest("docker", bare as ImageManifest, {
      mediaType: MEDIA_TYPE.DOCKER_MANIFEST,
    });
    assertEquals(result.mediaType, MEDIA_TYPE.DOCKER_MANIFEST);
    assertEquals(
      registry.getManifest("app", "docker")?.mediaType,
      MEDIA_TYPE.DOCKER_MANIFEST,
    );
  });
  await t.step("an OCI manifest by its shape", async () => {
    const result = await client.putManifest("bare", bare as ImageManifest);
    assertEquals(result.mediaType, MEDIA_TYPE.OCI_MANIFEST);
  });
  await t.step("an OCI index by its shape", async () => {
    const index = { schemaVersion: 2, manifests: [] } as ImageIndex;
    const result = await client.putManifest("index", index);
    assertEquals(result.mediaType, MEDIA_TYPE.OCI_INDEX);
  });
  await t.step("schema 1 without a media type is refused", async () => {
    const bytes = new TextEncoder().encode('{"schemaVersion":1,"fsLayers":[]}');
    const err = await assertRejects(
      () => client.putManifest("old", bytes),
      TypeError,
    );
    assertEquals(
      err.message,
      'Cannot put manifest "app:old": a schema 1 manifest needs options.mediaType',
    );
  });
  await t.step(
    "a media type that contradicts the manifest's own is refused",
    async () => {
      await assertRejects(
        () =>
          client.putManifest("v1", image, {
            mediaType: MEDIA_TYPE.DOCKER_MANIFEST,
          }),
        TypeError,
      );
    },
  );
  await t.step("bytes that are not a JSON object are refused", async () => {
    await assertRejects(
      () => client.putManifest("v1", new TextEncoder().encode("[1]")),
      TypeError,
    );
  });
});

Deno.test("putManifest() refuses before sending: a digest the bytes do not have, a manifest over the cap", async (t) => {
  const { registry, image } = await withImage();
  await using _ = registry;
  const client = clientOf(registry);
  await t.step("wrong digest", async () => {
    const wrong = sha256("something else");
    const err = await assertRejects(
      () => client.putManifest(wrong, image),
      DigestMismatchError,
    );
    assertEquals(err.expected, wrong);
    assertEquals(err.actual, sha256(JSON.stringify(image)));
  });
  await t.step("over maxBytes", async () => {
    const err = await assertRejects(
      () => client.putManifest("v1", image, { maxBytes: 100 }),
      ManifestTooLargeError,
    );
    assertMatch(
      err.message,
      /^Cannot put manifest "app:v1": .*100-byte limit/,
    );
  });
  await t.step("over the client's cap", async () => {
    const small = createClient({
      repo: `${registry.host}/app`,
      useDefaultCredentials: false,
      maxManifestBytes: 64,
    });
    await assertRejects(
      () => small.putManifest("v1", image),
      ManifestTooLargeError,
    );
  });
  assertEquals(calls(registry), []);
});

Deno.test("putManifest() refuses a digest confirmed by the registry that is not the one computed", async () => {
  const { registry, image } = await withImage();
  await using _ = registry;
  const liar: Transport = async (request) => {
    const res = await fetch(request);
    if (request.method !== "PUT") return res;
    const headers = new Headers(res.headers);
    headers.set("docker-content-digest", sha256("another"));
    return new Response(res.body, { status: res.status, headers });
  };
  const err = await assertRejects(
    () => clientOf(registry, liar).putManifest("v1", image),
    DigestMismatchError,
  );
  assertEquals(err.actual, sha256("another"));
  assertMatch(err.message, /the registry confirmed another digest/);
});

Deno.test("putManifest() keeps the referrers fallback index when the registry does not answer OCI-Subject", async (t) => {
  const { registry, image } = await withImage({
    answerOciSubject: false,
    referrersApi: false,
  });
  await using _ = registry;
  const client = clientOf(registry);
  const subject = await client.putManifest("v1", image);
  const subjectDescriptor = {
    mediaType: subject.mediaType,
    digest: subject.digest,
    size: subject.size,
  };
  const empty = registry.seedBlob("app", "{}");
  const sbom = registry.seedBlob("app", "sbom");
  const fallbackTag = `sha256-${subject.digest.slice("sha256:".length)}`;
  const fallback = () =>
    JSON.parse(
      new TextDecoder().decode(registry.getManifest("app", fallbackTag)!.bytes),
    ) as ImageIndex;

  const artifact: ImageManifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.OCI_MANIFEST,
    artifactType: "application/spdx+json",
    config: { mediaType: MEDIA_TYPE.OCI_EMPTY, digest: empty, size: 2 },
    layers: [{ mediaType: "application/spdx+json", digest: sbom, size: 4 }],
    subject: subjectDescriptor,
    annotations: { "org.opencontainers.image.created": "2024-01-01T00:00:00Z" },
  };
  const signature: ImageManifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.OCI_MANIFEST,
    config: {
      mediaType: "application/vnd.dev.cosign.simplesigning.v1+json",
      digest: empty,
      size: 2,
    },
    layers: [],
    subject: subjectDescriptor,
  };

  await t.step(
    "a new index with the referrer, its artifactType and annotations",
    async () => {
      registry.requests.length = 0;
      const pushed = await client.putManifest(
        sha256(JSON.stringify(artifact)),
        artifact,
      );
      assertEquals(pushed.subject, undefined);
      assertEquals(calls(registry), [
        `PUT /v2/app/manifests/${pushed.digest}`,
        `GET /v2/app/manifests/${fallbackTag}`,
        `PUT /v2/app/manifests/${fallbackTag}`,
      ]);
      const index = fallback();
      assertEquals(index.mediaType, MEDIA_TYPE.OCI_INDEX);
      assertEquals(index.schemaVersion, 2);
      assertEquals(index.manifests, [{
        mediaType: MEDIA_TYPE.OCI_MANIFEST,
        digest: pushed.digest,
        size: pushed.size,
        artifactType: "application/spdx+json",
        annotations: {
          "org.opencontainers.image.created": "2024-01-01T00:00:00Z",
        },
      }]);
    },
  );

  await t.step(
    "a second referrer added; its artifactType is its config's media type",
    async () => {
      const pushed = await client.putManifest("sig", signature);
      const index = fallback();
      assertEquals(index.manifests.length, 2);
      assertEquals(index.manifests[1], {
        mediaType: MEDIA_TYPE.OCI_MANIFEST,
        digest: pushed.digest,
        size: pushed.size,
        artifactType: "application/vnd.dev.cosign.simplesigning.v1+json",
      });
    },
  );

  await t.step(
    "pushing a referrer again does not duplicate it (and does not rewrite the index)",
    async () => {
      registry.requests.length = 0;
      await client.putManifest("sig-again", signature);
      assertEquals(fallback().manifests.length, 2);
      assertEquals(calls(registry).map((c) => c.split(" ")[0]), [
        "PUT",
        "GET",
      ]);
    },
  );

  await t.step(
    "getReferrers() reads them back through the fallback tag",
    async () => {
      const index = await client.getReferrers(subject.digest);
      assertEquals(
        index.manifests.map((d) => d.artifactType).sort(),
        [
          "application/spdx+json",
          "application/vnd.dev.cosign.simplesigning.v1+json",
        ],
      );
    },
  );
});

Deno.test("putManifest() leaves the fallback tag alone when the registry answers OCI-Subject", async () => {
  const { registry, image } = await withImage();
  await using _ = registry;
  const client = clientOf(registry);
  const subject = await client.putManifest("v1", image);
  const empty = registry.seedBlob("app", "{}");
  registry.requests.length = 0;
  const result = await client.putManifest("sbom", {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.OCI_MANIFEST,
    artifactType: "application/spdx+json",
    config: { mediaType: MEDIA_TYPE.OCI_EMPTY, digest: empty, size: 2 },
    layers: [],
    subject: {
      mediaType: subject.mediaType,
      digest: subject.digest,
      size: subject.size,
    },
  });
  assertEquals(result.subject, subject.digest);
  assertEquals(calls(registry), ["PUT /v2/app/manifests/sbom"]);
  const fallbackTag = `sha256-${subject.digest.slice("sha256:".length)}`;
  assertEquals(registry.getManifest("app", fallbackTag), undefined);
});

Deno.test("deleteManifest() by digest, by tag, and by tag where the registry refuses tag deletes", async (t) => {
  const { registry, image } = await withImage();
  await using _ = registry;
  const client = clientOf(registry);
  await t.step("by digest", async () => {
    const { digest } = await client.putManifest("v1", image);
    registry.requests.length = 0;
    await client.deleteManifest(digest);
    assertEquals(calls(registry), [`DELETE /v2/app/manifests/${digest}`]);
    assertEquals(registry.getManifest("app", digest), undefined);
    await assertRejects(() => client.headManifest(digest), NotFoundError);
  });
  await t.step(
    "by tag, where tag deletes are allowed: one request",
    async () => {
      await client.putManifest("v2", image);
      registry.requests.length = 0;
      await client.deleteManifest("v2");
      assertEquals(calls(registry), ["DELETE /v2/app/manifests/v2"]);
      assertEquals(registry.getManifest("app", "v2"), undefined);
    },
  );
  await t.step(
    "by tag, refused with 400 DIGEST_INVALID: resolved, deleted by digest",
    async () => {
      const { digest } = await client.putManifest("v3", image);
      registry.faults.status = {
        status: 400,
        code: "DIGEST_INVALID",
        method: "DELETE",
        path: /manifests\/v3$/,
      };
      registry.requests.length = 0;
      await client.deleteManifest("v3");
      assertEquals(calls(registry), [
        "DELETE /v2/app/manifests/v3",
        "HEAD /v2/app/manifests/v3",
        `DELETE /v2/app/manifests/${digest}`,
      ]);
      assertEquals(registry.getManifest("app", digest), undefined);
    },
  );
  await t.step("an unknown tag is NotFoundError", async () => {
    const err = await assertRejects(
      () => client.deleteManifest("nope"),
      NotFoundError,
    );
    assertMatch(err.message, /^Cannot delete manifest "app:nope"/);
  });
});

Deno.test("deleteManifest() by tag resolves and deletes by digest only on 400 DIGEST_INVALID or UNSUPPORTED", async (t) => {
  const { registry, image } = await withImage();
  await using _ = registry;
  for (const [status, code] of [[400, "UNSUPPORTED"], [405, "UNSUPPORTED"]]) {
    await t.step(`${status} ${code}: resolved, deleted by digest`, async () => {
      const { digest } = await clientOf(registry).putManifest("v1", image);
      registry.faults.status = {
        status: status as number,
        code: code as string,
        method: "DELETE",
        path: /manifests\/v1$/,
      };
      registry.requests.length = 0;
      await clientOf(registry).deleteManifest("v1");
      assertEquals(calls(registry), [
        "DELETE /v2/app/manifests/v1",
        "HEAD /v2/app/manifests/v1",
        `DELETE /v2/app/manifests/${digest}`,
      ]);
    });
  }
  for (
    const [name, status, body] of [
      ["a bare 405 (deletes disabled)", 405, ""],
      [
        "a 400 TAG_INVALID",
        400,
        '{"errors":[{"code":"TAG_INVALID","message":"no"}]}',
      ],
    ] as const
  ) {
    await t.step(`${name}: thrown, nothing else asked`, async () => {
      await clientOf(registry).putManifest("v2", image);
      registry.requests.length = 0;
      const refusing: Transport = (request) =>
        request.method === "DELETE"
          ? Promise.resolve(new Response(body || null, { status }))
          : fetch(request);
      const err = await assertRejects(
        () => clientOf(registry, refusing).deleteManifest("v2"),
        HttpError,
      );
      assertEquals(err.status, status);
      assertMatch(err.message, /^Cannot delete manifest "app:v2"/);
      assertEquals(calls(registry), []);
      assert(registry.getManifest("app", "v2"));
    });
  }
});

Deno.test("putManifest() refuses a subject with an invalid digest before sending anything", async () => {
  const { registry, image } = await withImage({ answerOciSubject: false });
  await using _ = registry;
  const bad = { ...image, subject: { ...image.config, digest: "sha256:nope" } };
  await assertRejects(
    () => clientOf(registry).putManifest("v1", bad),
    InvalidDigestError,
  );
  await assertRejects(
    () =>
      clientOf(registry).putManifest("v1", { ...image, subject: "x" } as never),
    TypeError,
  );
  assertEquals(calls(registry), []);
  assertEquals(registry.getManifest("app", "v1"), undefined);
});

Deno.test("putManifest() with a subject: a fallback index whose manifests are not all objects is an InvalidResponseError", async () => {
  const { registry, image } = await withImage({ answerOciSubject: false });
  await using _ = registry;
  const subject = registry.seedManifest("app", "base", { ...image });
  registry.seedManifest(
    "app",
    `sha256-${subject.slice("sha256:".length)}`,
    { schemaVersion: 2, mediaType: MEDIA_TYPE.OCI_INDEX, manifests: [null] },
  );
  const referrer = {
    ...image,
    subject: { mediaType: MEDIA_TYPE.OCI_MANIFEST, digest: subject, size: 1 },
  };
  const err = await assertRejects(
    () => clientOf(registry).putManifest("sig", referrer),
    InvalidResponseError,
  );
  assertMatch(
    err.message,
    /^Cannot update referrers fallback tag "app:sha256-[0-9a-f]{64}": an entry of the index's manifests is not an object$/,
  );
});

Deno.test("manifest_push.ts loads no node: module (manifests are hashed with WebCrypto)", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "info",
      "--json",
      new URL("./manifest_push.ts", import.meta.url).href,
    ],
    stdout: "piped",
    stderr: "null",
  }).output();
  assertEquals(out.code, 0);
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    roots: string[];
    modules: {
      specifier: string;
      dependencies?: {
        isDynamic?: boolean;
        code?: { specifier: string };
        type?: { specifier: string };
      }[];
    }[];
  };
  const bySpecifier = new Map(info.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const walk = (specifier: string) => {
    if (seen.has(specifier)) return;
    seen.add(specifier);
    for (const dep of bySpecifier.get(specifier)?.dependencies ?? []) {
      const next = dep.code?.specifier;
      if (!dep.isDynamic && next) walk(next);
    }
  };
  walk(info.roots[0]);
  assertEquals([...seen].filter((s) => s.startsWith("node:")), []);
});
