import assert from "node:assert/strict";
import { InvalidResponseError, UnsafeRequestError } from "../errors.ts";
import { withRedirects } from "./redirects.ts";
import type { Transport } from "./transport.ts";
import { markReplayable } from "./_replay.ts";

interface Seen {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  redirect: RequestRedirect;
}

/**
 * A fetch that answers by URL: `routes[url]` is a status and an optional
 * Location; anything else is a 200 with "ok".
 */
function router(
  routes: Record<string, [number, string?]>,
): Transport & { seen: Seen[] } {
  const seen: Seen[] = [];
  const fn = async (request: Request) => {
    seen.push({
      method: request.method,
      url: request.url,
      headers: Object.fromEntries(request.headers),
      body: request.body ? await request.text() : "",
      redirect: request.redirect,
    });
    const route = routes[request.url];
    if (route === undefined) return new Response("ok");
    const [status, location] = route;
    return new Response("moved", {
      status,
      headers: location === undefined ? {} : { location },
    });
  };
  return Object.assign(fn, { seen });
}

const SECRET_HEADERS = {
  authorization: "Bearer tok-SECRET",
  cookie: "session=SECRET",
  "proxy-authorization": "Basic SECRET",
};

Deno.test("withRedirects() follows redirects itself, with redirect: manual", async () => {
  const fetch = router({
    "https://reg.example/v2/a/blobs/sha256:1": [307, "/v2/a/blobs/sha256:2"],
  });
  const res = await withRedirects(fetch)(
    new Request("https://reg.example/v2/a/blobs/sha256:1"),
  );
  assert.equal(await res.text(), "ok");
  assert.deepEqual(fetch.seen.map((s) => [s.url, s.redirect]), [
    ["https://reg.example/v2/a/blobs/sha256:1", "manual"],
    ["https://reg.example/v2/a/blobs/sha256:2", "manual"],
  ]);
});

Deno.test("withRedirects() keeps credentials on the same origin and drops them on another", async (t) => {
  await t.step("same origin", async () => {
    const fetch = router({ "https://reg.example/v2/x": [302, "/v2/y"] });
    const res = await withRedirects(fetch)(
      new Request("https://reg.example/v2/x", { headers: SECRET_HEADERS }),
    );
    await res.body?.cancel();
    assert.equal(fetch.seen[1].headers.authorization, "Bearer tok-SECRET");
    assert.equal(fetch.seen[1].headers.cookie, "session=SECRET");
  });
  for (
    const target of [
      "https://storage.example/blob?sig=abc",
      "https://reg.example:8443/v2/y",
      "https://sub.reg.example/v2/y",
    ]
  ) {
    await t.step(`to ${target}`, async () => {
      const fetch = router({ "https://reg.example/v2/x": [307, target] });
      const res = await withRedirects(fetch)(
        new Request("https://reg.example/v2/x", {
          headers: { ...SECRET_HEADERS, accept: "application/json" },
        }),
      );
      await res.body?.cancel();
      assert.equal(fetch.seen[1].url, target);
      assert.equal(fetch.seen[1].headers.authorization, undefined);
      assert.equal(fetch.seen[1].headers.cookie, undefined);
      assert.equal(fetch.seen[1].headers["proxy-authorization"], undefined);
      assert.equal(fetch.seen[1].headers.accept, "application/json");
    });
  }
  await t.step("and never get them back on a hop home", async () => {
    const fetch = router({
      "https://reg.example/v2/x": [307, "https://storage.example/b"],
      "https://storage.example/b": [307, "https://reg.example/v2/z"],
    });
    const res = await withRedirects(fetch)(
      new Request("https://reg.example/v2/x", { headers: SECRET_HEADERS }),
    );
    await res.body?.cancel();
    assert.equal(fetch.seen.length, 3);
    assert.equal(fetch.seen[2].headers.authorization, undefined);
  });
});

Deno.test("withRedirects() refuses an https → http downgrade before sending anything there", async () => {
  const fetch = router({
    "https://reg.example/v2/x": [302, "http://storage.example/b?sig=SECRET"],
  });
  await assert.rejects(
    withRedirects(fetch)(new Request("https://reg.example/v2/x")),
    (err: unknown) => {
      assert.ok(err instanceof UnsafeRequestError);
      assert.match(err.message, /https → http downgrade/);
      assert.match(err.message, /sig=REDACTED/);
      assert.doesNotMatch(err.message, /SECRET/);
      return true;
    },
  );
  assert.equal(fetch.seen.length, 1);
});

Deno.test("withRedirects() refuses redirects to other schemes", async (t) => {
  for (
    const location of ["file:///etc/passwd", "data:text/plain,hi", "ftp://x/y"]
  ) {
    await t.step(location, async () => {
      const fetch = router({ "http://127.0.0.1:5000/v2/x": [302, location] });
      await assert.rejects(
        withRedirects(fetch)(new Request("http://127.0.0.1:5000/v2/x")),
        UnsafeRequestError,
      );
      assert.equal(fetch.seen.length, 1);
    });
  }
});

Deno.test("withRedirects() follows at most maxRedirects", async () => {
  const loop = router({
    "https://reg.example/a": [302, "/b"],
    "https://reg.example/b": [302, "/a"],
  });
  await assert.rejects(
    withRedirects(loop, { maxRedirects: 3 })(
      new Request("https://reg.example/a"),
    ),
    (err: unknown) =>
      err instanceof UnsafeRequestError &&
      /more than 3 redirects/.test(err.message),
  );
  assert.equal(loop.seen.length, 4);

  const chain = router({
    "https://reg.example/1": [301, "/2"],
    "https://reg.example/2": [308, "/3"],
    "https://reg.example/3": [302, "/4"],
  });
  const res = await withRedirects(chain, { maxRedirects: 3 })(
    new Request("https://reg.example/1"),
  );
  assert.equal(await res.text(), "ok");

  const defaults = router({
    "https://reg.example/a": [302, "/b"],
    "https://reg.example/b": [302, "/a"],
  });
  await assert.rejects(
    withRedirects(defaults)(new Request("https://reg.example/a")),
    /more than 10 redirects/,
  );
  assert.equal(defaults.seen.length, 11);
});

Deno.test("withRedirects() refuses a redirect without a usable Location", async (t) => {
  for (
    const [name, location] of [["missing", undefined], [
      "garbage",
      "http://[::1",
    ]] as const
  ) {
    await t.step(name, async () => {
      const fetch = router({ "https://reg.example/a": [307, location] });
      await assert.rejects(
        withRedirects(fetch)(new Request("https://reg.example/a")),
        InvalidResponseError,
      );
    });
  }
});

Deno.test("withRedirects() sends an in-memory body again on 307/308, turns 303 into GET, refuses a stream", async (t) => {
  await t.step("307 with an in-memory body", async () => {
    const fetch = router({ "https://reg.example/up": [307, "/up2"] });
    const request = markReplayable(
      new Request("https://reg.example/up", { method: "PUT", body: "payload" }),
    );
    const res = await withRedirects(fetch)(request);
    await res.body?.cancel();
    assert.deepEqual(fetch.seen.map((s) => [s.method, s.body]), [
      ["PUT", "payload"],
      ["PUT", "payload"],
    ]);
  });
  await t.step("303 becomes a body-less GET", async () => {
    const fetch = router({ "https://reg.example/up": [303, "/done"] });
    const request = markReplayable(
      new Request("https://reg.example/up", {
        method: "POST",
        body: "payload",
        headers: { "content-type": "text/plain" },
      }),
    );
    const res = await withRedirects(fetch)(request);
    await res.body?.cancel();
    assert.equal(fetch.seen[1].method, "GET");
    assert.equal(fetch.seen[1].body, "");
    assert.equal(fetch.seen[1].headers["content-type"], undefined);
  });
  await t.step("a streaming body cannot be sent twice", async () => {
    const fetch = router({ "https://reg.example/up": [307, "/up2"] });
    const request = new Request("https://reg.example/up", {
      method: "PUT",
      body: new Blob(["payload"]).stream(),
      duplex: "half",
    } as RequestInit);
    await assert.rejects(
      withRedirects(fetch)(request),
      (err: unknown) =>
        err instanceof UnsafeRequestError &&
        /cannot be sent again/.test(err.message),
    );
    assert.equal(fetch.seen.length, 1);
  });
});
