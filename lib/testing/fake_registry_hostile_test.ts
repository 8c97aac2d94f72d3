// The fake registry's hostile faults: nested indexes, trickled bodies, Link
// cycles, a 401 at a chosen upload step, tokens that expire mid-upload.

import { assert, assertEquals, assertMatch } from "@std/assert";
import { startFakeRegistry } from "./fake_registry.ts";
import {
  bytesOf,
  getToken,
  OCI_INDEX,
  OCI_MANIFEST,
  seedImage,
  sha256,
  withDigest,
} from "../../test_support/fake_registry_http.ts";

Deno.test("fault nestedIndex: a tag answers an index nested N deep, every level by digest", async () => {
  await using registry = await startFakeRegistry();
  registry.faults.nestedIndex = { depth: 50 };
  let url = `${registry.url}/v2/deep/manifests/latest`;
  let indexes = 0;
  for (;;) {
    const res = await fetch(url);
    assertEquals(res.status, 200);
    const bytes = new Uint8Array(await res.arrayBuffer());
    const digest = res.headers.get("docker-content-digest")!;
    assertEquals(sha256(bytes), digest);
    const manifest = JSON.parse(new TextDecoder().decode(bytes));
    if (manifest.mediaType === OCI_MANIFEST) {
      const config = await fetch(
        `${registry.url}/v2/deep/blobs/${manifest.config.digest}`,
      );
      assertEquals(await config.text(), "{}");
      break;
    }
    assertEquals(manifest.mediaType, OCI_INDEX);
    assertEquals(manifest.manifests.length, 1);
    indexes++;
    url = `${registry.url}/v2/deep/manifests/${manifest.manifests[0].digest}`;
  }
  assertEquals(indexes, 50);
  // Built once: the same top every time, nothing stored.
  const again = await fetch(`${registry.url}/v2/deep/manifests/other`);
  await again.body?.cancel();
  assertEquals(registry.repositories.get("deep")?.manifests.size, 0);
  registry.faults.nestedIndex = undefined;
  const off = await fetch(`${registry.url}/v2/deep/manifests/latest`);
  await off.body?.cancel();
  assertEquals(off.status, 404);
});

Deno.test("fault trickle: bodies come a few bytes at a time, headers at once", async () => {
  await using registry = await startFakeRegistry();
  const digest = registry.seedBlob("app", "0123456789");
  registry.faults.trickle = { everyMs: 1, bytes: 3, path: /\/blobs\// };
  const res = await fetch(`${registry.url}/v2/app/blobs/${digest}`);
  assertEquals(res.status, 200);
  assertEquals(res.headers.get("content-length"), "10");
  const sizes: number[] = [];
  let text = "";
  for await (const chunk of res.body!) {
    sizes.push(chunk.byteLength);
    text += new TextDecoder().decode(chunk);
  }
  assertEquals(text, "0123456789");
  assertEquals(sizes, [3, 3, 3, 1]);
  // Other paths are not trickled; the fault stays (times: Infinity).
  const ping = await fetch(`${registry.url}/v2/`);
  assertEquals(await ping.json(), {});
  assert(registry.faults.trickle !== undefined);
});

Deno.test("fault linkCycle: the last page links back to the first", async (t) => {
  await using registry = await startFakeRegistry({ tagPageLimit: 2 });
  for (const tag of ["a", "b", "c"]) {
    registry.seedManifest("app", tag, seedImage(registry, "app"));
  }
  registry.faults.linkCycle = true;
  await t.step("tags, three pages", async () => {
    const first = await fetch(`${registry.url}/v2/app/tags/list?n=2`);
    assertEquals((await first.json()).tags, ["a", "b"]);
    assertEquals(
      first.headers.get("link"),
      '</v2/app/tags/list?n=2&last=b>; rel="next"',
    );
    const last = await fetch(`${registry.url}/v2/app/tags/list?n=2&last=b`);
    assertEquals((await last.json()).tags, ["c"]);
    assertEquals(
      last.headers.get("link"),
      '</v2/app/tags/list?n=2>; rel="next"',
    );
  });
  await t.step("a listing of one page links to itself", async () => {
    const only = await fetch(`${registry.url}/v2/_catalog`);
    assertEquals((await only.json()).repositories, ["app"]);
    assertEquals(only.headers.get("link"), '</v2/_catalog>; rel="next"');
  });
});

Deno.test("fault uploadUnauthorized: a 401 at the chosen upload step, once or always", async (t) => {
  await using registry = await startFakeRegistry({ auth: "bearer" });
  const { token } = await getToken(
    registry,
    ["repository:app:pull,push"],
    "user:pass",
  );
  const auth = { authorization: `Bearer ${token}` };
  const post = () =>
    fetch(`${registry.url}/v2/app/blobs/uploads/`, {
      method: "POST",
      headers: auth,
    });
  await t.step("POST, once", async () => {
    registry.faults.uploadUnauthorized = { step: "POST" };
    const refused = await post();
    await refused.body?.cancel();
    assertEquals(refused.status, 401);
    assertMatch(
      refused.headers.get("www-authenticate")!,
      /^Bearer realm=".*",service="fake",scope="repository:app:pull,push",error="invalid_token"$/,
    );
    assertEquals(registry.faults.uploadUnauthorized, undefined);
    const ok = await post();
    await ok.body?.cancel();
    assertEquals(ok.status, 202);
  });
  await t.step("PATCH and PUT, always; the session survives", async () => {
    const opened = await post();
    await opened.body?.cancel();
    const location = new URL(opened.headers.get("location")!, registry.url);
    registry.faults.uploadUnauthorized = { step: "PUT", times: Infinity };
    for (let i = 0; i < 3; i++) {
      const put = await fetch(withDigest(location.href, sha256("x")), {
        method: "PUT",
        headers: auth,
        body: "x",
      });
      await put.body?.cancel();
      assertEquals(put.status, 401);
    }
    registry.faults.uploadUnauthorized = { step: "PATCH" };
    const patch = await fetch(location, {
      method: "PATCH",
      headers: auth,
      body: "x",
    });
    await patch.body?.cancel();
    assertEquals(patch.status, 401);
    registry.faults = {};
    const put = await fetch(withDigest(location.href, sha256("x")), {
      method: "PUT",
      headers: auth,
      body: bytesOf("x") as Uint8Array<ArrayBuffer>,
    });
    await put.body?.cancel();
    assertEquals(put.status, 201);
  });
});

Deno.test("fault expireTokensAt: every token expires when an upload reaches the step", async () => {
  await using registry = await startFakeRegistry({ auth: "bearer" });
  const scope = ["repository:app:pull,push"];
  const { token } = await getToken(registry, scope, "user:pass");
  const auth = { authorization: `Bearer ${token}` };
  const opened = await fetch(`${registry.url}/v2/app/blobs/uploads/`, {
    method: "POST",
    headers: auth,
  });
  await opened.body?.cancel();
  assertEquals(opened.status, 202);
  registry.faults.expireTokensAt = { step: "PUT" };
  const location = new URL(opened.headers.get("location")!, registry.url);
  const put = () =>
    fetch(withDigest(location.href, sha256("")), {
      method: "PUT",
      headers: { authorization: `Bearer ${token}` },
    });
  const refused = await put();
  await refused.body?.cancel();
  assertEquals(refused.status, 401);
  assertMatch(refused.headers.get("www-authenticate")!, /invalid_token/);
  // The old token stays expired; a new one works (the fault is spent).
  const again = await put();
  await again.body?.cancel();
  assertEquals(again.status, 401);
  const fresh = await getToken(registry, scope, "user:pass");
  const done = await fetch(withDigest(location.href, sha256("")), {
    method: "PUT",
    headers: { authorization: `Bearer ${fresh.token}` },
  });
  await done.body?.cancel();
  assertEquals(done.status, 201);
});
