// The calls of the earlier Deno port (@cloudydeno/docker-registry-client) as
// its README, its lib/registry-client-v2.ts and its examples/v2/*.ts make
// them — `new RegistryClientV2({ name })`, `getManifest({ ref })`,
// `headBlob({ digest })`, `createBlobReadStream({ digest })`,
// `putManifest({ manifestData, ref, mediaType })`,
// `blobUpload({ digest, stream, contentLength })`, `deleteManifest({ ref })`,
// `login({ scope })`, `ping()`, `supportsV2()`, `listTags()` — with the
// fields the port returned (`resp`, `ress`, `location`), plus its exported
// constants; against the fake registry and, for listTags, getManifest and
// blobUpload, the real one. The Node client's `putManifest({ manifest })` and
// `getManifest({ maxSchemaVersion })` too.

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertMatch,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { createHash } from "node:crypto";
import {
  createClient,
  DEFAULT_INDEX_NAME,
  DEFAULT_INDEX_URL,
  DEFAULT_LOGIN_SERVERNAME,
  DEFAULT_TAG,
  DEFAULT_USER_AGENT,
  DEFAULT_USERAGENT,
  digestFromManifestStr,
  HttpError,
  MEDIATYPE_MANIFEST_LIST_V2,
  MEDIATYPE_MANIFEST_V2,
  MEDIATYPE_OCI_MANIFEST_INDEX_V1,
  MEDIATYPE_OCI_MANIFEST_V1,
  NotFoundError,
  parseIndex,
  parseRepoAndRef,
  parseRepoAndTag,
  RegistryApiError,
  RegistryClientV2,
  RegistryError,
  RegistryHttpError,
} from "../../mod.ts";
import { startFakeRegistry } from "../testing/fake_registry.ts";
import { startRegistry } from "../../test_support/real_registry.ts";

const encoder = new TextEncoder();

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

const LAYER = encoder.encode("a layer of the seed's test image\n");
const CONFIG = encoder.encode('{"architecture":"amd64","os":"linux"}');

/** A Docker schema 2 manifest over CONFIG and LAYER, as exact bytes. */
function manifestBytes(): Uint8Array {
  return encoder.encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIATYPE_MANIFEST_V2,
    config: {
      mediaType: "application/vnd.docker.container.image.v1+json",
      size: CONFIG.byteLength,
      digest: sha256(CONFIG),
    },
    layers: [{
      mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip",
      size: LAYER.byteLength,
      digest: sha256(LAYER),
    }],
  }));
}

Deno.test("the port's exported constants exist with the port's values", () => {
  // lib/common.ts of the port
  assertEquals(
    MEDIATYPE_MANIFEST_V2,
    "application/vnd.docker.distribution.manifest.v2+json",
  );
  assertEquals(
    MEDIATYPE_MANIFEST_LIST_V2,
    "application/vnd.docker.distribution.manifest.list.v2+json",
  );
  assertEquals(
    MEDIATYPE_OCI_MANIFEST_V1,
    "application/vnd.oci.image.manifest.v1+json",
  );
  assertEquals(
    MEDIATYPE_OCI_MANIFEST_INDEX_V1,
    "application/vnd.oci.image.index.v1+json",
  );
  assertEquals(DEFAULT_INDEX_NAME, "docker.io");
  assertEquals(DEFAULT_TAG, "latest");
  assertEquals(DEFAULT_INDEX_URL, "https://registry-1.docker.io");
  assertEquals(DEFAULT_LOGIN_SERVERNAME, "https://index.docker.io/v1/");
  assertEquals(DEFAULT_USERAGENT, DEFAULT_USER_AGENT);
  // lib/index.ts of the port: the error classes under their names
  assertStrictEquals(RegistryApiError, RegistryError);
  assertStrictEquals(RegistryHttpError, HttpError);
  assertStrictEquals(parseRepoAndTag, parseRepoAndRef);
});

Deno.test("the port's digestFromManifestStr() can be awaited", async () => {
  const text = new TextDecoder().decode(manifestBytes());
  assertEquals(await digestFromManifestStr(text), sha256(manifestBytes()));
});

Deno.test("new RegistryClientV2({ name }) and createClient({ name }) take name for repo", async () => {
  await using registry = await startFakeRegistry();
  registry.seedManifest("alpine", "3.20", manifestBytes());
  registry.seedManifest("alpine", "latest", manifestBytes());
  // The port's README: `new RegistryClientV2({name: REPO})`, `listTags()`.
  const client = new RegistryClientV2({ name: `${registry.host}/alpine` });
  assertEquals(client.repo.remoteName, "alpine");
  const tags = await client.listTags();
  assertEquals(tags, { name: "alpine", tags: ["3.20", "latest"] });
  // createClient and a parsed repo (the port's `repo: parseRepoAndRef(…)`).
  const parsed = parseRepoAndRef(`${registry.host}/alpine:3.20`);
  assertEquals(
    (await createClient({ repo: parsed }).listTags()).tags.length,
    2,
  );
  assertEquals(
    (await createClient({ name: parsed }).listTags()).name,
    "alpine",
  );
  // repo wins over name, as in the port.
  const both = createClient({
    repo: `${registry.host}/alpine`,
    name: `${registry.host}/other`,
  });
  assertEquals(both.repo.remoteName, "alpine");
  assertThrows(
    () => createClient({} as never),
    TypeError,
    "createClient() needs the repository: `repo` (or `name`)",
  );
});

Deno.test("ping() answers with status and headers; supportsV2() is true", async () => {
  await using registry = await startFakeRegistry({ auth: "bearer" });
  const client = new RegistryClientV2({ name: `${registry.host}/foo` });
  // The port's examples/v2/ping.ts: res.status, res.headers.
  const res = await client.ping({ expectStatus: [200, 401, 404] });
  assertEquals(res.status, 401);
  assertInstanceOf(res.headers, Headers);
  assertMatch(res.headers.get("www-authenticate") ?? "", /^Bearer /i);
  assertEquals(await client.supportsV2(), true);
});

Deno.test("login({ scope }) gets a token for the port's scope string", async () => {
  await using registry = await startFakeRegistry({
    auth: "bearer",
    username: "u",
    password: "p",
  });
  const client = new RegistryClientV2({
    name: `${registry.host}/foo`,
    username: "u",
    password: "p",
  });
  const result = await client.login({ scope: "repository:foo:pull,push" });
  assertEquals(result.scheme, "bearer");
  assert(
    result.scopes.includes("repository:foo:pull,push"),
    `${result.scopes}`,
  );
  // The port's plain `login()` asks for pull on the repository.
  const fresh = new RegistryClientV2({
    name: `${registry.host}/foo`,
    username: "u",
    password: "p",
  });
  assertEquals((await fresh.login()).scopes, ["repository:foo:pull"]);
});

Deno.test("scopes given as actions, as the port's examples do, ask for them on the repository", async () => {
  await using registry = await startFakeRegistry({
    auth: "bearer",
    username: "u",
    password: "p",
  });
  // examples/v2/deleteManifest.ts of the port: `scopes: ['push', 'pull']`.
  const client = new RegistryClientV2({
    name: `${registry.host}/foo`,
    username: "u",
    password: "p",
    scopes: ["push", "pull"],
  });
  const { scopes } = await client.login();
  assert(
    scopes.some((s) =>
      s === "repository:foo:push,pull" || s === "repository:foo:pull,push"
    ),
    `${scopes}`,
  );
});

Deno.test("getManifest({ ref }) returns manifest and resp, asking as the port asked", async () => {
  await using registry = await startFakeRegistry();
  const bytes = manifestBytes();
  const digest = registry.seedManifest("foo", "1", bytes);
  const client = new RegistryClientV2({ name: `${registry.host}/foo` });

  // examples/v2/downloadImg.ts: `const {manifest, resp} = await client.getManifest({ref})`
  // then `resp.headers.get('docker-content-digest')`.
  const { manifest, resp } = await client.getManifest({ ref: "1" });
  assertEquals(manifest.schemaVersion, 2);
  assertEquals(resp.status, 200);
  assertEquals(resp.headers.get("docker-content-digest"), digest);
  assertEquals(new Uint8Array(await resp.arrayBuffer()), bytes);
  // The port's defaults: schema 2 only, unless the client or call says more.
  const accepts = () =>
    registry.requests.filter((r) => r.path.endsWith("/manifests/1")).map((r) =>
      r.headers["accept"]
    );
  assertEquals(accepts().at(-1), MEDIATYPE_MANIFEST_V2);
  await client.getManifest({
    ref: "1",
    acceptManifestLists: true,
    acceptOCIManifests: true,
  });
  for (
    const type of [
      MEDIATYPE_MANIFEST_V2,
      MEDIATYPE_MANIFEST_LIST_V2,
      MEDIATYPE_OCI_MANIFEST_V1,
      MEDIATYPE_OCI_MANIFEST_INDEX_V1,
    ]
  ) {
    assert(accepts().at(-1)!.includes(type), type);
  }
  // A client created with acceptManifestLists (the port's option) keeps it.
  const lists = new RegistryClientV2({
    name: `${registry.host}/foo`,
    acceptManifestLists: true,
  });
  await lists.getManifest({ ref: "1" });
  assert(accepts().at(-1)!.includes(MEDIATYPE_MANIFEST_LIST_V2));
  assert(!accepts().at(-1)!.includes(MEDIATYPE_OCI_MANIFEST_V1));
  // The Node client's maxSchemaVersion: 1 also accepts schema 1.
  await client.getManifest({ ref: "1", maxSchemaVersion: 1 });
  assert(accepts().at(-1)!.includes("manifest.v1+prettyjws"));
  // The client's own positional form is unchanged: every type, no resp.
  const own = await client.getManifest("1");
  assertEquals(own.digest, digest);
  assertEquals("resp" in own, false);
  assert(accepts().at(-1)!.includes(MEDIATYPE_OCI_MANIFEST_INDEX_V1));
  // By digest, and a missing one is the client's NotFoundError.
  assertEquals((await client.getManifest({ ref: digest })).digest, digest);
  await assertRejects(
    () => client.getManifest({ ref: "nope" }),
    NotFoundError,
  );
});

Deno.test("headBlob({ digest }) returns the responses, as the port did", async () => {
  await using registry = await startFakeRegistry();
  const digest = registry.seedBlob("foo", LAYER);
  const client = new RegistryClientV2({ name: `${registry.host}/foo` });
  // examples/v2/headBlob.ts: `for (const res of ress) res.headers`.
  const ress = await client.headBlob({ digest });
  assert(Array.isArray(ress));
  assertEquals(ress.length, 1);
  assertEquals(ress[0].status, 200);
  assertEquals(
    ress.slice(-1)[0].headers.get("content-length"),
    String(LAYER.byteLength),
  );
  // … and the client's own fields on the array.
  assertEquals([ress.digest, ress.size], [digest, LAYER.byteLength]);
  assertEquals(await client.headBlob(digest), {
    digest,
    size: LAYER.byteLength,
    mediaType: "application/octet-stream",
  });
});

Deno.test("createBlobReadStream({ digest }) returns ress and a verified stream", async () => {
  await using registry = await startFakeRegistry();
  const digest = registry.seedBlob("foo", LAYER);
  registry.faults.redirectBlobs = true;
  const client = new RegistryClientV2({ name: `${registry.host}/foo` });
  // examples/v2/downloadBlob.ts and downloadImg.ts of the port.
  const { ress, stream } = await client.createBlobReadStream({ digest });
  assertEquals(new Uint8Array(await new Response(stream).arrayBuffer()), LAYER);
  assertEquals(ress.length, 1);
  assertEquals(
    Number(ress.slice(-1)[0].headers.get("content-length")),
    LAYER.byteLength,
  );
  // No signed URL leaks through a copied response.
  assertEquals(ress[0].url, "");
});

Deno.test("putManifest({ manifestData, ref, mediaType }) returns digest and location", async () => {
  await using registry = await startFakeRegistry();
  registry.seedBlob("foo", CONFIG);
  registry.seedBlob("foo", LAYER);
  const client = new RegistryClientV2({ name: `${registry.host}/foo` });
  const bytes = manifestBytes();
  // The port's putManifest signature.
  const { digest, location } = await client.putManifest({
    manifestData: bytes,
    ref: "v1",
    mediaType: MEDIATYPE_MANIFEST_V2,
  });
  assertEquals(digest, sha256(bytes));
  assertMatch(location ?? "", /\/v2\/foo\/manifests\/sha256:[0-9a-f]{64}$/);
  assertEquals(registry.getManifest("foo", "v1")?.digest, digest);
  // The port's schemaVersion (no mediaType given, none in the body).
  const bare = encoder.encode(
    new TextDecoder().decode(bytes).replace(
      `"mediaType":"${MEDIATYPE_MANIFEST_V2}",`,
      "",
    ),
  );
  await client.putManifest({ manifestData: bare, ref: "v2", schemaVersion: 2 });
  assertEquals(
    registry.getManifest("foo", "v2")?.mediaType,
    MEDIATYPE_MANIFEST_V2,
  );
  // The Node client's form: `manifest` as a string.
  const node = await client.putManifest({
    manifest: new TextDecoder().decode(bytes),
    ref: "v3",
  });
  assertEquals(node.digest, digest);
  await assertRejects(
    () => client.putManifest({ ref: "v4" }),
    TypeError,
    "putManifest() needs `manifestData` (or `manifest`)",
  );
});

Deno.test("blobUpload({ digest, stream, contentLength }) uploads, as the port did", async () => {
  await using registry = await startFakeRegistry();
  const client = new RegistryClientV2({ name: `${registry.host}/foo` });
  const digest = sha256(LAYER);
  // examples/v2/uploadBlob of the port: a stream with its digest and length.
  const result = await client.blobUpload({
    digest,
    stream: ReadableStream.from([LAYER.subarray(0, 5), LAYER.subarray(5)]),
    contentLength: LAYER.byteLength,
    contentType: "application/octet-stream",
  });
  assertEquals(result.digest, digest);
  assertEquals(registry.getBlob(digest), LAYER);
  // Bytes, and an async iterable (what a Node Readable is).
  const other = encoder.encode("another blob");
  async function* chunks() {
    yield other;
  }
  await client.blobUpload({
    digest: sha256(other),
    stream: chunks(),
    contentLength: other.byteLength,
    force: true,
  });
  assertEquals(registry.getBlob(sha256(other)), other);
  // A wrong contentLength is caught, as a size check.
  await assertRejects(() =>
    client.blobUpload({
      digest: sha256(encoder.encode("x")),
      stream: encoder.encode("x"),
      contentLength: 2,
    })
  );
});

Deno.test("deleteManifest({ ref }) deletes, as the port did", async () => {
  await using registry = await startFakeRegistry();
  const digest = registry.seedManifest("foo", "gone", manifestBytes());
  const client = new RegistryClientV2({ name: `${registry.host}/foo` });
  await client.deleteManifest({ ref: digest });
  assertEquals(registry.getManifest("foo", digest), undefined);
});

Deno.test("the port's client option (a Deno.HttpClient) sends the requests", async () => {
  await using registry = await startFakeRegistry();
  registry.seedManifest("foo", "1", manifestBytes());
  using httpClient = Deno.createHttpClient({});
  const client = new RegistryClientV2({
    name: `${registry.host}/foo`,
    client: httpClient,
  });
  assertEquals((await client.listTags()).tags, ["1"]);
});

Deno.test("parseIndex() maps the port's DEFAULT_LOGIN_SERVERNAME to the default index", () => {
  assertEquals(parseIndex(DEFAULT_LOGIN_SERVERNAME), parseIndex());
});

Deno.test("the port's calls against the real registry: blobUpload, putManifest, listTags, getManifest", async () => {
  await using reg = await startRegistry({ mode: "token" });
  const client = new RegistryClientV2({
    name: `${reg.host}/seed/app`,
    username: reg.username,
    password: reg.password,
    scopes: ["push", "pull"],
  });
  for (const blob of [CONFIG, LAYER]) {
    await client.blobUpload({
      digest: sha256(blob),
      stream: new Blob([blob]).stream(),
      contentLength: blob.byteLength,
    });
  }
  const bytes = manifestBytes();
  const { digest, location } = await client.putManifest({
    manifestData: bytes,
    ref: "1.0",
    mediaType: MEDIATYPE_MANIFEST_V2,
  });
  assertEquals(digest, sha256(bytes));
  assert(location?.includes(`/v2/seed/app/manifests/${digest}`), location!);
  assertEquals(await client.listTags(), { name: "seed/app", tags: ["1.0"] });
  const { manifest, resp } = await client.getManifest({ ref: "1.0" });
  assertEquals(resp.headers.get("docker-content-digest"), digest);
  assertEquals(
    (manifest as { layers: { digest: string }[] }).layers[0].digest,
    sha256(LAYER),
  );
  const { ress, stream } = await client.createBlobReadStream({
    digest: sha256(LAYER),
  });
  assertEquals(ress[0].headers.get("docker-content-digest"), sha256(LAYER));
  assertEquals(new Uint8Array(await new Response(stream).arrayBuffer()), LAYER);
  await client.deleteManifest({ ref: digest }).catch((err) => {
    // The Debian registry keeps deletes off: a 405, as the port saw it.
    assertInstanceOf(err, RegistryHttpError);
    assertEquals(err.status, 405);
  });
});
