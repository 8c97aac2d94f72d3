import {
  assertEquals,
  assertMatch,
  assertNotMatch,
  assertRejects,
} from "@std/assert";
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
  assertEquals(await res.text(), "ok");
  assertEquals(fetch.seen.map((s) => [s.url, s.redirect]), [
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
    assertEquals(fetch.seen[1].headers.authorization, "Bearer tok-SECRET");
    assertEquals(fetch.seen[1].headers.cookie, "session=SECRET");
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
      assertEquals(fetch.seen[1].url, target);
      assertEquals(fetch.seen[1].headers.authorization, undefined);
      assertEquals(fetch.seen[1].headers.cookie, undefined);
      assertEquals(fetch.seen[1].headers["proxy-authorization"], undefined);
      assertEquals(fetch.seen[1].headers.accept, "application/json");
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
    assertEquals(fetch.seen.length, 3);
    assertEquals(fetch.seen[2].headers.authorization, undefined);
  });
});

Deno.test("withRedirects() refuses an https → http downgrade before sending anything there", async () => {
  const fetch = router({
    "https://reg.example/v2/x": [302, "http://storage.example/b?sig=SECRET"],
  });
  const err = await assertRejects(
    () => withRedirects(fetch)(new Request("https://reg.example/v2/x")),
    UnsafeRequestError,
  );
  assertMatch(err.message, /https → http downgrade/);
  assertMatch(err.message, /sig=REDACTED/);
  assertNotMatch(err.message, /SECRET/);
  assertEquals(fetch.seen.length, 1);
});

Deno.test("withRedirects() refuses redirects to other schemes", async (t) => {
  for (
    const location of ["file:///etc/passwd", "data:text/plain,hi", "ftp://x/y"]
  ) {
    await t.step(location, async () => {
      const fetch = router({ "http://127.0.0.1:5000/v2/x": [302, location] });
      await assertRejects(
        () => withRedirects(fetch)(new Request("http://127.0.0.1:5000/v2/x")),
        UnsafeRequestError,
      );
      assertEquals(fetch.seen.length, 1);
    });
  }
});

Deno.test("withRedirects() follows at most maxRedirects", async () => {
  const loop = router({
    "https://reg.example/a": [302, "/b"],
    "https://reg.example/b": [302, "/a"],
  });
  const err = await assertRejects(
    () =>
      withRedirects(loop, { maxRedirects: 3 })(
        new Request("https://reg.example/a"),
      ),
    UnsafeRequestError,
  );
  assertMatch(err.message, /more than 3 redirects/);
  assertEquals(loop.seen.length, 4);

  const chain = router({
    "https://reg.example/1": [301, "/2"],
    "https://reg.example/2": [308, "/3"],
    "https://reg.example/3": [302, "/4"],
  });
  const res = await withRedirects(chain, { maxRedirects: 3 })(
    new Request("https://reg.example/1"),
  );
  assertEquals(await res.text(), "ok");

  const defaults = router({
    "https://reg.example/a": [302, "/b"],
    "https://reg.example/b": [302, "/a"],
  });
  const tooMany = await assertRejects(
    () => withRedirects(defaults)(new Request("https://reg.example/a")),
    Error,
  );
  assertMatch(tooMany.message, /more than 10 redirects/);
  assertEquals(defaults.seen.length, 11);
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
      await assertRejects(
        () => withRedirects(fetch)(new Request("https://reg.example/a")),
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
    assertEquals(fetch.seen.map((s) => [s.method, s.body]), [
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
    assertEquals(fetch.seen[1].method, "GET");
    assertEquals(fetch.seen[1].body, "");
    assertEquals(fetch.seen[1].headers["content-type"], undefined);
  });
  await t.step("a streaming body cannot be sent twice", async () => {
    const fetch = router({ "https://reg.example/up": [307, "/up2"] });
    const request = new Request("https://reg.example/up", {
      method: "PUT",
      body: new Blob(["payload"]).stream(),
      duplex: "half",
    } as RequestInit);
    const err = await assertRejects(
      () => withRedirects(fetch)(request),
      UnsafeRequestError,
    );
    assertMatch(err.message, /cannot be sent again/);
    assertEquals(fetch.seen.length, 1);
  });
});
