// sync() against Debian's real docker-registry: a repository of 1,000 tags
// and a two-platform index mirrored into an empty registry (token auth),
// checked with skopeo; a second run counted from the registries' access
// logs; filters, dry runs, moved and deleted tags, a failed repository,
// the catalog, and a directory of OCI layouts.

import { assert, assertEquals, assertMatch } from "@std/assert";
import { createHash } from "node:crypto";
import { copy } from "../content/copy.ts";
import { createClient } from "../registry/client.ts";
import { RegistryStore } from "../registry/store.ts";
import { OciLayout } from "../layout/oci_layout.ts";
import {
  type RealRegistry,
  startRegistry,
} from "../../test_support/real_registry.ts";
import { type Fixtures, seedFixtures } from "../../test_support/fixtures.ts";
import { sync, syncAll } from "./sync.ts";
import type { SyncSummary } from "./summary.ts";

const dec = new TextDecoder();

async function skopeo(args: string[]): Promise<Uint8Array> {
  const out = await new Deno.Command("skopeo", {
    args: ["--insecure-policy", ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(
    out.code,
    0,
    `skopeo ${args.join(" ")}: ${dec.decode(out.stderr)}`,
  );
  return out.stdout;
}

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** Tags of a repository as skopeo lists them, sorted. */
async function skopeoTags(
  reg: RealRegistry,
  repo: string,
  creds?: string,
): Promise<string[]> {
  const out = await skopeo([
    "list-tags",
    "--tls-verify=false",
    ...(creds ? ["--creds", creds] : []),
    `docker://${reg.host}/${repo}`,
  ]);
  return (JSON.parse(dec.decode(out)).Tags as string[]).sort();
}

/** The digest of a tag, from the manifest bytes skopeo reads. */
async function skopeoDigest(
  reg: RealRegistry,
  ref: string,
  creds?: string,
): Promise<string> {
  return sha256(
    await skopeo([
      "inspect",
      "--raw",
      "--tls-verify=false",
      ...(creds ? ["--creds", creds] : []),
      `docker://${reg.host}/${ref}`,
    ]),
  );
}

/** Every tag's digest, through our client (HEAD). */
async function digests(
  url: string,
  repo: string,
  auth: { username?: string; password?: string } = {},
): Promise<Map<string, string>> {
  const client = createClient({ repo: `${url}/${repo}`, ...auth });
  const { tags } = await client.listTags();
  const out = new Map<string, string>();
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < tags.length) {
      const tag = tags[next++];
      out.set(tag, (await client.headManifest(tag)).digest);
    }
  }));
  return out;
}

/** The access-log lines logged since `from`, as "METHOD /path". */
async function logSince(reg: RealRegistry, from: number): Promise<string[]> {
  return (await reg.flushAccessLog()).slice(from);
}

function count(lines: string[], re: RegExp): number {
  return lines.filter((l) => re.test(l)).length;
}

function assertClean(summary: SyncSummary): void {
  const failures = summary.repositories.flatMap((r) =>
    [r.error, ...r.images.map((i) => i.error)].filter(Boolean)
  );
  assert(summary.ok, `failures: ${failures.join("; ")}`);
}

Deno.test("sync(): 1,000 tags and an index into an empty registry; the second run only HEADs", async (t) => {
  await using src = await startRegistry({ mode: "anonymous" });
  await using dst = await startRegistry({ mode: "token" });
  const fx: Fixtures = await seedFixtures(src);
  const repo = fx.manyTags.repo;
  // The two-platform index joins the 1,000 tags of the repository.
  await copy(
    new RegistryStore(`${src.url}/${fx.index.repo}:v1`),
    new RegistryStore(`${src.url}/${repo}:multi`),
  );
  const creds = { username: dst.username!, password: dst.password! };
  const credsArg = `${dst.username}:${dst.password}`;
  const from = `${src.url}/${repo}`;
  const to = `${dst.url}/mirror/many-tags`;

  await t.step(
    "the first run copies every tag, digests unchanged",
    async () => {
      dst.tokenServer!.requests.length = 0;
      const summary = await sync(from, to, { dst: creds });
      // One auth state for the registry: a pull token for the first HEAD,
      // a pull,push one for the first write, then those for every tag.
      const tokens = dst.tokenServer!.requests.map((r) => r.scopes.join(" "));
      assert(tokens.length <= 2, tokens.join("\n"));
      assertClean(summary);
      assertEquals(summary.tags, 1001);
      assertEquals(summary.copied, 1001);
      assertEquals(summary.skipped, 0);
      // Two images (the small one, the index of two): 3 manifests' blobs.
      assertEquals(summary.blobsCopied, 2 + 2 * 2);

      const want = await skopeoTags(src, repo);
      assertEquals(want.length, 1001);
      assertEquals(await skopeoTags(dst, "mirror/many-tags", credsArg), want);
      const [a, b] = await Promise.all([
        digests(src.url, repo),
        digests(dst.url, "mirror/many-tags", creds),
      ]);
      assertEquals(b, a);
      for (const tag of ["t0000", "t0500", "t0999", "multi"]) {
        assertEquals(
          await skopeoDigest(dst, `mirror/many-tags:${tag}`, credsArg),
          a.get(tag),
        );
      }
      assertEquals(a.get("multi"), fx.index.digest);
      for (const p of fx.index.platforms) {
        assertEquals(
          await skopeoDigest(dst, `mirror/many-tags@${p.digest}`, credsArg),
          p.digest,
        );
      }
    },
  );

  await t.step(
    "a second run uploads nothing: one HEAD per tag on each side",
    async () => {
      const srcFrom = (await src.flushAccessLog()).length;
      const dstFrom = (await dst.flushAccessLog()).length;
      const summary = await sync(from, to, { dst: creds });
      assertClean(summary);
      assertEquals(
        [summary.skipped, summary.copied, summary.bytes],
        [1001, 0, 0],
      );
      const s = await logSince(src, srcFrom);
      const d = await logSince(dst, dstFrom);
      for (const lines of [s, d]) {
        assertEquals(
          count(lines, /^(POST|PUT|PATCH|DELETE) /),
          0,
          lines.join("\n"),
        );
        assertEquals(count(lines, /^GET .*\/(manifests|blobs)\//), 0);
      }
      // Source: the ping, one page of tags, a HEAD per tag.
      assertEquals(
        count(s, /^HEAD \/v2\/fixtures\/many-tags\/manifests\//),
        1001,
      );
      assertEquals(count(s, /^GET \/v2\/fixtures\/many-tags\/tags\/list/), 1);
      assertEquals(count(s, /^GET \/v2\/$/), 1);
      assertEquals(
        s.length,
        1003,
        s.filter((l) => !l.startsWith("HEAD")).join("\n"),
      );
      // Destination: the ping, a HEAD per tag.
      assertEquals(
        count(d, /^HEAD \/v2\/mirror\/many-tags\/manifests\//),
        1001,
      );
      assertEquals(count(d, /^GET \/v2\/$/), 1);
      assertEquals(
        d.length,
        1002,
        d.filter((l) => !l.startsWith("HEAD")).join("\n"),
      );
    },
  );
});

Deno.test("sync(): filters, dry runs, moved and deleted tags, failures, catalog, layouts", async (t) => {
  await using src = await startRegistry({ mode: "anonymous" });
  await using dst = await startRegistry({ mode: "anonymous" });
  const fx: Fixtures = await seedFixtures(src, { tagCount: 12 });
  const ml = fx.multiLayer;
  const client = createClient({ repo: `${src.url}/fixtures/versions` });
  const versions = ["v1.0.0", "1.2", "1.10.1", "2.0.0-rc.1", "2.0.0", "latest"];
  await copy(
    new RegistryStore(`${src.url}/${ml.repo}:v1`),
    new RegistryStore(`${src.url}/fixtures/versions:latest`),
  );
  for (const v of versions) {
    await client.putManifest(v, new TextEncoder().encode(ml.manifest), {
      mediaType: ml.mediaType,
    });
  }

  await t.step("regex and semver filters", async () => {
    const byRegex = await sync(
      `${src.url}/${fx.manyTags.repo}`,
      `${dst.url}/filtered/regex`,
      { tags: { regex: "t000[0-4]" } },
    );
    assertClean(byRegex);
    assertEquals(
      (await createClient({ repo: `${dst.url}/filtered/regex` }).listTags())
        .tags.sort(),
      ["t0000", "t0001", "t0002", "t0003", "t0004"],
    );
    const bySemver = await sync(
      `${src.url}/fixtures/versions`,
      `${dst.url}/filtered/semver`,
      { tags: { semver: ">=1.2 <3", exclude: "1\\.10\\..*" } },
    );
    assertClean(bySemver);
    assertEquals(
      (await createClient({ repo: `${dst.url}/filtered/semver` }).listTags())
        .tags.sort(),
      ["1.2", "2.0.0"],
    );
  });

  await t.step("--dry-run writes nothing", async () => {
    const before = (await dst.flushAccessLog()).length;
    const dir = await Deno.makeTempDir();
    try {
      const summary = await syncAll([
        { source: `${src.url}/${ml.repo}`, destination: `${dst.url}/dry/ml` },
        {
          source: `${src.url}/${fx.index.repo}`,
          destination: `oci:${dir}/idx`,
        },
      ], { dryRun: true });
      assertClean(summary);
      assertEquals(summary.dryRun, true);
      assertEquals(summary.planned, 4); // latest, sbom, v1; v1
      assertEquals(summary.copied, 0);
      const lines = await logSince(dst, before);
      assertEquals(count(lines, /^(POST|PUT|PATCH|DELETE) /), 0);
      assertEquals([...Deno.readDirSync(dir)], []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  await t.step(
    "moved tags are copied, deleted ones deleted or kept",
    async () => {
      const repo = "fixtures/moving";
      const s = (tag: string) => new RegistryStore(`${src.url}/${repo}:${tag}`);
      await copy(new RegistryStore(`${src.url}/${ml.repo}:v1`), s("a"));
      await copy(new RegistryStore(`${src.url}/${ml.repo}:v1`), s("b"));
      await copy(new RegistryStore(`${src.url}/${fx.docker.repo}:v1`), s("c"));
      const target = `${dst.url}/mirror/moving`;
      assertClean(await sync(`${src.url}/${repo}`, target));

      // c disappears, b moves, d appears (an image the mirror has).
      await createClient({ repo: `${src.url}/${repo}` }).deleteManifest(
        fx.docker.digest,
      );
      await copy(new RegistryStore(`${src.url}/${fx.index.repo}:v1`), s("b"));
      await copy(new RegistryStore(`${src.url}/${ml.repo}:v1`), s("d"));
      // A tag only the mirror has, naming the manifest of "a".
      await copy(
        new RegistryStore(`${dst.url}/mirror/moving:a`),
        new RegistryStore(`${dst.url}/mirror/moving:extra`),
      );

      const kept = await sync(`${src.url}/${repo}`, target);
      assertClean(kept);
      const keptTags = await createClient({ repo: target }).listTags();
      assert(keptTags.tags.includes("c"), "without deleteMissing, c stays");

      const summary = await sync(`${src.url}/${repo}`, target, {
        deleteMissing: true,
      });
      assertClean(summary);
      const byTag = new Map(
        summary.repositories[0].images.map((i) => [i.tag, i]),
      );
      assertEquals(byTag.get("a")?.action, "skipped");
      assertEquals(byTag.get("b")?.action, "skipped"); // moved by the run before
      assertEquals(byTag.get("c")?.action, "deleted");
      assertEquals(byTag.get("extra")?.action, "kept");
      assertMatch(byTag.get("extra")!.error!, /tag "a" names the same one/);
      assertEquals(
        await digests(dst.url, "mirror/moving"),
        new Map([...await digests(src.url, repo), ["extra", ml.digest]]),
      );
    },
  );

  await t.step(
    "a failed repository is reported; the others are synced",
    async () => {
      const summary = await syncAll([
        {
          source: `${src.url}/fixtures/nope`,
          destination: `${dst.url}/f/nope`,
        },
        { source: `${src.url}/${ml.repo}`, destination: `${dst.url}/f/ml` },
      ]);
      assertEquals(summary.ok, false);
      assertEquals(summary.failed, 1);
      const [nope, ok] = summary.repositories;
      assertMatch(nope.error!, /404|NAME_UNKNOWN|not known/i);
      assertEquals(ok.copied, 3);
      assertEquals(ok.error, undefined);
    },
  );

  await t.step(
    "a whole registry through its catalog, into OCI layouts",
    async () => {
      const dir = await Deno.makeTempDir();
      try {
        const summary = await sync(src.url, `oci:${dir}`);
        assertClean(summary);
        const catalog = (await createClient({ repo: `${src.url}/x` })
          .listCatalog()).repositories;
        assertEquals(
          summary.repositories.map((r) => r.source).sort(),
          catalog.map((r) => `${src.host}/${r}`).sort(),
        );
        for (const r of catalog) {
          const layout = await OciLayout.open(`${dir}/${r}`);
          const have = new Map<string, string>();
          for (const tag of await layout.listTags()) {
            have.set(tag, (await layout.resolve(tag)).digest);
          }
          assertEquals(have, await digests(src.url, r), r);
        }
        // skopeo reads what sync wrote.
        assertEquals(
          sha256(
            await skopeo([
              "inspect",
              "--raw",
              `oci:${dir}/${fx.index.repo}:v1`,
            ]),
          ),
          fx.index.digest,
        );
        const again = await sync(src.url, `oci:${dir}`);
        assertClean(again);
        assertEquals(again.copied, 0);
        assertEquals(again.skipped, again.tags);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  );
});
