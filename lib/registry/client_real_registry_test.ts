// The read side of the client against the real registry (Debian's
// docker-registry, distribution 2.8), seeded by skopeo, in three auth modes:
// anonymous, htpasswd Basic, and bearer tokens from a token server.

import { assert, assertEquals, assertMatch, assertRejects } from "@std/assert";
import { createHash } from "node:crypto";
import { createClient, type RegistryClientV2 } from "./client.ts";
import {
  AuthenticationError,
  InvalidDigestError,
  NotFoundError,
} from "../errors.ts";
import { MEDIA_TYPE } from "../ref/media_types.ts";
import {
  type AuthMode,
  startRegistry,
} from "../../test_support/real_registry.ts";
import { type Fixtures, seedFixtures } from "../../test_support/fixtures.ts";

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

async function skopeoDigest(
  ref: string,
  creds?: string,
): Promise<string> {
  const args = ["inspect", "--tls-verify=false", "--raw"];
  if (creds) args.push("--creds", creds);
  else args.push("--no-creds");
  args.push(`docker://${ref}`);
  const out = await new Deno.Command("skopeo", {
    args,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  return sha256(out.stdout);
}

for (const mode of ["anonymous", "basic", "token"] as AuthMode[]) {
  Deno.test(`client reads everything from the real registry (${mode} auth)`, async (t) => {
    await using reg = await startRegistry({ mode });
    const fx: Fixtures = await seedFixtures(reg);
    const creds = mode === "anonymous"
      ? {}
      : { username: reg.username!, password: reg.password! };
    const secretFree = (err: unknown) => {
      assert(err instanceof Error);
      if (reg.password) assert(!err.message.includes(reg.password));
    };
    const client = (repo: string): RegistryClientV2 =>
      createClient({ repo: `${reg.host}/${repo}`, ...creds });
    reg.tokenServer && (reg.tokenServer.requests.length = 0);

    await t.step(
      "ping() answers once per registry, with the auth schemes",
      async () => {
        const c = client(fx.multiLayer.repo);
        const ping = await c.ping();
        assertEquals(ping.supportsV2, true);
        assertEquals(ping.status, mode === "anonymous" ? 200 : 401);
        assertEquals(
          ping.authSchemes,
          { anonymous: [], basic: ["basic"], token: ["bearer"] }[mode],
        );
        assertEquals(await c.supportsV2(), true);
      },
    );

    await t.step(
      "listTags() returns all 1,000 tags as {name, tags}",
      async () => {
        const c = client(fx.manyTags.repo);
        const list = await c.listTags();
        assertEquals(list.name, fx.manyTags.repo);
        assertEquals([...list.tags].sort(), [...fx.manyTags.tags].sort());
        const iterated: string[] = [];
        for await (const tag of c.iterateTags({ pageSize: 100 })) {
          iterated.push(tag);
        }
        assertEquals(iterated.length, 1000);
      },
    );

    await t.step(
      "getManifest() returns the digests skopeo reports",
      async () => {
        const c = client(fx.multiLayer.repo);
        const m = await c.getManifest(fx.multiLayer.tag);
        assertEquals(m.digest, fx.multiLayer.digest);
        assertEquals(m.mediaType, MEDIA_TYPE.OCI_MANIFEST);
        assertEquals(sha256(m.bytes), m.digest);
        assertEquals(
          m.digest,
          await skopeoDigest(
            `${reg.host}/${fx.multiLayer.repo}:${fx.multiLayer.tag}`,
            reg.password ? `${reg.username}:${reg.password}` : undefined,
          ),
        );
        const byDigest = await c.getManifest(fx.multiLayer.digest);
        assertEquals(byDigest.bytes, m.bytes);

        const d = await client(fx.docker.repo).getManifest(fx.docker.tag);
        assertEquals(d.digest, fx.docker.digest);
        assertEquals(d.mediaType, MEDIA_TYPE.DOCKER_MANIFEST);
      },
    );

    await t.step(
      "getManifest() of an index, and of one platform from it",
      async () => {
        const c = client(fx.index.repo);
        const index = await c.getManifest(fx.index.tag);
        assertEquals(index.digest, fx.index.digest);
        assertEquals(index.mediaType, fx.index.mediaType);
        for (const p of fx.index.platforms) {
          const one = await c.getManifest(fx.index.tag, {
            platform: {
              os: p.os,
              architecture: p.architecture,
              variant: p.variant,
            },
          });
          assertEquals(one.digest, p.digest);
        }
        await assertRejects(
          () =>
            c.getManifest(fx.index.tag, {
              platform: { os: "linux", architecture: "s390x" },
            }),
          NotFoundError,
        );
      },
    );

    await t.step(
      "headManifest() gives digest, media type and size",
      async () => {
        const c = client(fx.multiLayer.repo);
        const head = await c.headManifest(fx.multiLayer.tag);
        assertEquals(head, {
          digest: fx.multiLayer.digest,
          mediaType: MEDIA_TYPE.OCI_MANIFEST,
          size: new TextEncoder().encode(fx.multiLayer.manifest).byteLength,
        });
      },
    );

    await t.step(
      "blobs: headBlob(), createBlobReadStream(), downloadBlob()",
      async () => {
        const c = client(fx.multiLayer.repo);
        for (const [i, layer] of fx.multiLayer.layers.entries()) {
          const head = await c.headBlob(layer);
          assertEquals(head.size, fx.multiLayer.layerSizes[i]);
          const { stream, size } = await c.createBlobReadStream(layer);
          const bytes = new Uint8Array(
            await new Response(stream).arrayBuffer(),
          );
          assertEquals(bytes.byteLength, size);
          assertEquals(sha256(bytes), layer);
        }
        const dir = await Deno.makeTempDir();
        try {
          const out = `${dir}/config.json`;
          const r = await c.downloadBlob(fx.multiLayer.config, out, {
            size: fx.multiLayer.configSize,
          });
          assertEquals(r.size, fx.multiLayer.configSize);
          assertEquals(sha256(await Deno.readFile(out)), fx.multiLayer.config);
          // A wrong expected size fails and leaves nothing behind.
          await assertRejects(
            () =>
              c.downloadBlob(fx.multiLayer.config, `${dir}/bad`, { size: 1 }),
          );
          assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), [
            "config.json",
          ]);
        } finally {
          await Deno.remove(dir, { recursive: true });
        }
        assertEquals(await c.hasBlob(`sha256:${"0".repeat(64)}`), false);
      },
    );

    await t.step(
      "getReferrers() falls back to the <alg>-<hex> tag on 404",
      async () => {
        const c = client(fx.multiLayer.repo);
        const none = await c.getReferrers(fx.multiLayer.digest);
        assertEquals(none.manifests, []);
        {
          // Registry 2.8 has no referrers API: publish the fallback index the
          // way a client pushing the artifact must, then read it back.
          const artifact = await c.getManifest(fx.artifact.digest);
          const fallback = new TextEncoder().encode(JSON.stringify({
            schemaVersion: 2,
            mediaType: MEDIA_TYPE.OCI_INDEX,
            manifests: [{
              mediaType: artifact.mediaType,
              digest: artifact.digest,
              size: artifact.size,
              artifactType: fx.artifact.artifactType,
            }],
          }));
          const tag = fx.multiLayer.digest.replace(":", "-");
          const res = await c.auth.transport(
            new Request(
              `${reg.url}/v2/${fx.multiLayer.repo}/manifests/${tag}`,
              {
                method: "PUT",
                headers: { "content-type": MEDIA_TYPE.OCI_INDEX },
                body: fallback,
              },
            ),
          );
          await res.body?.cancel();
          assertEquals(res.status, 201);
          const found = await c.getReferrers(fx.multiLayer.digest);
          assertEquals(found.manifests.length, 1);
          assertEquals(found.manifests[0].digest, fx.artifact.digest);
          const filtered = await c.getReferrers(fx.multiLayer.digest, {
            artifactType: "application/other",
          });
          assertEquals(filtered.manifests, []);
        }
      },
    );

    await t.step("listCatalog() lists the seeded repositories", async () => {
      const c = client(fx.multiLayer.repo);
      const { repositories } = await c.listCatalog({ pageSize: 2 });
      for (
        const repo of [
          fx.multiLayer.repo,
          fx.docker.repo,
          fx.index.repo,
          fx.manyTags.repo,
        ]
      ) {
        assert(repositories.includes(repo), repo);
      }
    });

    await t.step("404s are NotFoundError with the OCI codes", async () => {
      const c = client(fx.multiLayer.repo);
      const err = await assertRejects(
        () => c.getManifest("no-such-tag"),
        NotFoundError,
      );
      assertEquals(err.codes, ["MANIFEST_UNKNOWN"]);
      assertMatch(
        err.message,
        /^Cannot get manifest "fixtures\/multi-layer:no-such-tag": registry returned 404 MANIFEST_UNKNOWN/,
      );
      const noRepo = await assertRejects(
        () => client("no/such-repo").listTags(),
        NotFoundError,
      );
      assertEquals(noRepo.codes, ["NAME_UNKNOWN"]);
      await assertRejects(
        () => c.headBlob(`sha256:${"1".repeat(64)}`),
        NotFoundError,
      );
    });

    if (mode !== "anonymous") {
      await t.step(
        "wrong credentials are an AuthenticationError without the secret",
        async () => {
          const bad = createClient({
            repo: `${reg.host}/${fx.multiLayer.repo}`,
            username: reg.username,
            password: "wrong-password-xyzzy",
          });
          const err = await assertRejects(
            () => bad.getManifest("v1"),
            AuthenticationError,
          );
          assert(!(err as Error).message.includes("wrong-password-xyzzy"));
          secretFree(err);
        },
      );
    }

    if (mode === "token") {
      await t.step(
        "anonymous pulls get a pull token; the catalog is refused",
        async () => {
          const anon = createClient({
            repo: `${reg.host}/${fx.multiLayer.repo}`,
          });
          const m = await anon.getManifest(fx.multiLayer.tag);
          assertEquals(m.digest, fx.multiLayer.digest);
          await assertRejects(() => anon.listCatalog(), AuthenticationError);
        },
      );

      await t.step(
        "one token per scope set: no repeated token requests",
        async () => {
          reg.tokenServer!.requests.length = 0;
          const c = client(fx.multiLayer.repo);
          await Promise.all([
            c.getManifest(fx.multiLayer.tag),
            c.headManifest(fx.multiLayer.tag),
            c.headBlob(fx.multiLayer.layers[0]),
            c.listTags(),
          ]);
          await c.getManifest(fx.multiLayer.digest);
          assertEquals(reg.tokenServer!.requests.length, 1);
        },
      );

      await t.step(
        "login() gets a token explicitly; the OAuth2 flow works too",
        async () => {
          reg.tokenServer!.requests.length = 0;
          const c = createClient({
            repo: `${reg.host}/${fx.multiLayer.repo}`,
            ...creds,
            oauth2: true,
          });
          const login = await c.login();
          assertEquals(login.scheme, "bearer");
          assert(login.refreshToken);
          assertEquals(reg.tokenServer!.requests[0].method, "POST");
          assertEquals(reg.tokenServer!.requests[0].grantType, "password");
          // An identity token (refresh token) alone is enough.
          const viaRefresh = createClient({
            repo: `${reg.host}/${fx.multiLayer.repo}`,
            credentials: { identityToken: login.refreshToken },
          });
          assertEquals(
            (await viaRefresh.getManifest("v1")).digest,
            fx.multiLayer.digest,
          );
          assertEquals(
            reg.tokenServer!.requests.at(-1)!.grantType,
            "refresh_token",
          );
        },
      );

      await t.step("a token given as `token` is used as is", async () => {
        const login = await createClient({
          repo: `${reg.host}/${fx.multiLayer.repo}`,
          ...creds,
        }).login();
        assertEquals(login.scheme, "bearer");
        const res = await fetch(
          `${reg.tokenServer!.url}?service=${
            reg.tokenServer!.service
          }&scope=repository:${fx.multiLayer.repo}:pull`,
          {
            headers: {
              authorization: `Basic ${btoa(`${reg.username}:${reg.password}`)}`,
            },
          },
        );
        const { token } = await res.json();
        reg.tokenServer!.requests.length = 0;
        const c = createClient({
          repo: `${reg.host}/${fx.multiLayer.repo}`,
          token,
        });
        assertEquals((await c.getManifest("v1")).digest, fx.multiLayer.digest);
        assertEquals(reg.tokenServer!.requests.length, 0);
      });
    }

    await t.step(
      "a malformed digest is refused before any request",
      async () => {
        const c = client(fx.multiLayer.repo);
        await assertRejects(
          () => c.getManifest("sha256:XYZ"),
          InvalidDigestError,
        );
      },
    );
  });
}
