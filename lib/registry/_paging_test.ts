// The one paging loop: tags, the catalog and the referrers all page through
// `pages()`, so `Link` following, the page bound and the host check behave
// the same for the three. Against an injected fetch that pages by `Link`.

import { assert, assertEquals, assertRejects } from "@std/assert";
import {
  InvalidResponseError,
  LimitExceededError,
  NotFoundError,
} from "../errors.ts";
import { MEDIA_TYPE } from "../ref/media_types.ts";
import { RepoHttp } from "./_repo_http.ts";
import { pages } from "./_paging.ts";
import { createClient } from "./client.ts";
import { startFakeRegistry } from "../testing/fake_registry.ts";

const SUBJECT = "sha256:" + "a".repeat(64);
const BASE = "http://127.0.0.1:5000";

function descriptor(n: number) {
  return {
    mediaType: MEDIA_TYPE.OCI_MANIFEST,
    digest: "sha256:" + String(n).repeat(64).slice(0, 64),
    size: n,
    artifactType: n % 2 ? "application/odd" : "application/even",
  };
}

/** The page `n` (0-based) of each listing, as a registry would send it. */
const LISTINGS = {
  tags: {
    path: "/v2/app/tags/list",
    page: (n: number) => ({ name: "app", tags: [`t${n}a`, `t${n}b`] }),
  },
  catalog: {
    path: "/v2/_catalog",
    page: (n: number) => ({ repositories: [`r${n}a`, `r${n}b`] }),
  },
  referrers: {
    path: `/v2/app/referrers/${SUBJECT}`,
    page: (n: number) => ({
      schemaVersion: 2,
      mediaType: MEDIA_TYPE.OCI_INDEX,
      manifests: [descriptor(2 * n + 1), descriptor(2 * n + 2)],
    }),
  },
};

/**
 * A fetch serving `count` pages of each listing, chained by `Link`
 * (`link(n)` gives the header of page `n`); records the URLs asked for.
 */
function pagingFetch(
  count: number,
  link: (path: string, n: number) => string | undefined = (path, n) =>
    n + 1 < count ? `<${path}?page=${n + 1}>; rel="next"` : undefined,
) {
  const urls: string[] = [];
  const fetch = (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    if (url.pathname === "/v2/") return Promise.resolve(Response.json({}));
    urls.push(url.pathname + url.search);
    for (const { path, page } of Object.values(LISTINGS)) {
      if (url.pathname !== path) continue;
      const n = Number(url.searchParams.get("page") ?? 0);
      const headers = new Headers({ "content-type": "application/json" });
      const next = link(path, n);
      if (next !== undefined) headers.set("link", next);
      return Promise.resolve(Response.json(page(n), { headers }));
    }
    return Promise.resolve(new Response(null, { status: 404 }));
  };
  return { fetch, urls };
}

function clientOf(fetch: (r: Request) => Promise<Response>, maxPages?: number) {
  return createClient({
    repo: `${BASE}/app`,
    useDefaultCredentials: false,
    retry: { maxAttempts: 1 },
    fetch,
    ...(maxPages !== undefined ? { maxPages } : {}),
  });
}

Deno.test("tags, catalog and referrers follow Link across pages alike", async (t) => {
  await t.step("tags", async () => {
    const { fetch, urls } = pagingFetch(3);
    assertEquals(await clientOf(fetch).listTags(), {
      name: "app",
      tags: ["t0a", "t0b", "t1a", "t1b", "t2a", "t2b"],
    });
    assertEquals(urls, [
      "/v2/app/tags/list",
      "/v2/app/tags/list?page=1",
      "/v2/app/tags/list?page=2",
    ]);
  });
  await t.step("catalog", async () => {
    const { fetch, urls } = pagingFetch(3);
    assertEquals(await clientOf(fetch).listCatalog(), {
      repositories: ["r0a", "r0b", "r1a", "r1b", "r2a", "r2b"],
    });
    assertEquals(urls.length, 3);
  });
  await t.step("referrers", async () => {
    const { fetch, urls } = pagingFetch(3);
    const index = await clientOf(fetch).getReferrers(SUBJECT);
    assertEquals(
      index.manifests.map((d) => d.size),
      [1, 2, 3, 4, 5, 6],
    );
    assertEquals(urls, [
      `/v2/app/referrers/${SUBJECT}`,
      `/v2/app/referrers/${SUBJECT}?page=1`,
      `/v2/app/referrers/${SUBJECT}?page=2`,
    ]);
  });
  await t.step("referrers filtered by the client across pages", async () => {
    const { fetch } = pagingFetch(3);
    const index = await clientOf(fetch).getReferrers(SUBJECT, {
      artifactType: "application/odd",
    });
    assertEquals(index.manifests.map((d) => d.size), [1, 3, 5]);
  });
});

Deno.test("every listing stops at maxPages with the same error", async (t) => {
  // Each page links to itself again: a listing without end.
  const { fetch } = pagingFetch(
    1,
    (path, n) => `<${path}?page=${n + 1}>; rel="next"`,
  );
  const client = clientOf(fetch, 4);
  const cases = [
    ["tags", () => client.listTags(), 'list tags of "app"'],
    ["catalog", () => client.listCatalog(), `list the catalog of ${BASE}`],
    [
      "referrers",
      () => client.getReferrers(SUBJECT),
      `get referrers of "app@${SUBJECT}"`,
    ],
  ] as const;
  for (const [name, call, attempted] of cases) {
    await t.step(name, async () => {
      const err = await assertRejects(call, InvalidResponseError);
      assertEquals(
        err.message,
        `Cannot ${attempted}: more than 4 pages (raise maxPages to read further)`,
      );
    });
  }
});

Deno.test("every listing refuses a next page on another host, or a garbage Link", async (t) => {
  for (
    const [what, link, problem] of [
      [
        "another host",
        '<http://evil.example/next>; rel="next"',
        "the next page points to another host (evil.example)",
      ],
      ["garbage", "<nope; rel=next", "the Link header is not valid"],
    ] as const
  ) {
    const { fetch, urls } = pagingFetch(2, () => link);
    const client = clientOf(fetch);
    for (
      const [name, call] of [
        ["tags", () => client.listTags()],
        ["catalog", () => client.listCatalog()],
        ["referrers", () => client.getReferrers(SUBJECT)],
      ] as const
    ) {
      await t.step(`${what}: ${name}`, async () => {
        urls.length = 0;
        const err = await assertRejects(call, InvalidResponseError);
        assertEquals(err.message.endsWith(`: ${problem}`), true, err.message);
        assertEquals(urls.length, 1);
      });
    }
  }
});

Deno.test("pages() takes the first page's 404 fallback only on the first page", async (t) => {
  const transport = (answers: number[]) => {
    let n = 0;
    return (request: Request): Promise<Response> => {
      const status = answers[n++];
      const url = new URL(request.url);
      const page = Number(url.searchParams.get("page") ?? 0);
      return Promise.resolve(
        status === 404 ? new Response("{}", { status }) : Response.json(
          { items: [page] },
          { headers: { link: `</v2/app/x?page=${page + 1}>; rel="next"` } },
        ),
      );
    };
  };
  const paging = (answers: number[]) =>
    pages(new RepoHttp(BASE, "app", transport(answers)), {
      attempted: "list x",
      url: new URL(`${BASE}/v2/app/x`),
      call: undefined,
      maxPages: 3,
      maxBytes: 1024,
      read: (json) => (json as { items: number[] }).items,
      onFirstPage404: () => Promise.resolve([-1]),
    });
  await t.step("a 404 first page gives the fallback, and ends", async () => {
    assertEquals(await Array.fromAsync(paging([404])), [[-1]]);
  });
  await t.step("a 404 on a later page is a NotFoundError", async () => {
    const seen: number[][] = [];
    await assertRejects(async () => {
      for await (const page of paging([200, 404])) seen.push(page);
    }, NotFoundError);
    assertEquals(seen, [[0]]);
  });
});

Deno.test("every listing refuses a Link back to a page already read, at once", async (t) => {
  const cycles = [
    // The last page links to the first: 3 pages read, then the cycle.
    [
      "to the first page",
      (path: string, n: number) =>
        `<${path}${n === 2 ? "" : `?page=${n + 1}`}>; rel="next"`,
      3,
      1,
    ],
    // A page that links to itself, its query shuffled.
    [
      "to itself, its query in another order",
      (path: string, n: number) =>
        n === 0
          ? `<${path}?page=1&n=2>; rel="next"`
          : `<${path}?n=2&page=1>; rel="next"`,
      2,
      2,
    ],
  ] as const;
  for (const [what, link, read, back] of cycles) {
    const { fetch, urls } = pagingFetch(1, link);
    const client = clientOf(fetch);
    for (
      const [name, call, path] of [
        ["tags", () => client.listTags(), "/v2/app/tags/list"],
        ["catalog", () => client.listCatalog(), "/v2/_catalog"],
        [
          "referrers",
          () => client.getReferrers(SUBJECT),
          `/v2/app/referrers/${SUBJECT}`,
        ],
      ] as const
    ) {
      await t.step(`${what}: ${name}`, async () => {
        urls.length = 0;
        const err = await assertRejects(call, InvalidResponseError);
        assertEquals(urls.length, read);
        assertEquals(
          err.message.endsWith(
            `: page ${read + 1} is ${BASE}${path}${
              back === 1 ? "" : "?n=2&page=REDACTED"
            }, a page already read: the Link headers go round in a cycle`,
          ),
          true,
          err.message,
        );
      });
    }
  }
});

Deno.test("a Link cycle of the fake registry ends the listing after one round", async () => {
  await using registry = await startFakeRegistry({ tagPageLimit: 2 });
  for (const tag of ["a", "b", "c", "d", "e"]) {
    registry.seedManifest("app", tag, {
      schemaVersion: 2,
      mediaType: MEDIA_TYPE.OCI_INDEX,
      manifests: [],
    });
  }
  registry.faults.linkCycle = true;
  const client = createClient({
    repo: `${registry.url}/app`,
    useDefaultCredentials: false,
  });
  await assertRejects(
    () => client.listTags({ pageSize: 2 }),
    InvalidResponseError,
    "go round in a cycle",
  );
  assertEquals(
    registry.requests.filter((r) => r.path.includes("/tags/list")).length,
    3,
  );
});

Deno.test("every listing stops at maxListingBytes, all pages together", async (t) => {
  // Pages without end, each a new one: only the byte bound stops them.
  const { fetch, urls } = pagingFetch(
    1,
    (path, n) => `<${path}?page=${n + 1}>; rel="next"`,
  );
  const client = createClient({
    repo: `${BASE}/app`,
    useDefaultCredentials: false,
    retry: { maxAttempts: 1 },
    fetch,
    maxListingBytes: 1_000,
  });
  for (
    const [name, call] of [
      ["tags", () => client.listTags()],
      ["catalog", () => client.listCatalog()],
      ["referrers", () => client.getReferrers(SUBJECT)],
    ] as const
  ) {
    await t.step(name, async () => {
      urls.length = 0;
      const err = await assertRejects(call, LimitExceededError);
      assertEquals([err.option, err.limit], ["maxListingBytes", 1_000]);
      assert(err.value > 1_000);
      assert(urls.length < 100, `${urls.length} pages`);
    });
  }
});
