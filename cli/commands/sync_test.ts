// `dreg sync` and `dreg copy --all-tags`, run as subprocesses against real
// registries: the summary and exit codes, --json, --dry-run, filters,
// --delete, a sync file with two pairs, a failed repository, usage errors.

import { assert, assertEquals, assertMatch } from "@std/assert";
import { copy } from "../../lib/content/copy.ts";
import { createClient } from "../../lib/registry/client.ts";
import { RegistryStore } from "../../lib/registry/store.ts";
import { startRegistry } from "../../test_support/real_registry.ts";
import { type Fixtures, seedFixtures } from "../../test_support/fixtures.ts";

const CLI = new URL("../../cli.ts", import.meta.url).pathname;
const dec = new TextDecoder();

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function dreg(
  home: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<Run> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    env: {
      DOCKER_CONFIG: `${home}/docker`,
      REGISTRY_AUTH_FILE: `${home}/containers-auth.json`,
      XDG_RUNTIME_DIR: `${home}/run`,
      XDG_CONFIG_HOME: `${home}/config`,
      NO_COLOR: "1",
      ...env,
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}

function ok(r: Run): Run {
  assertEquals(r.code, 0, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}

async function tagsOf(url: string, repo: string, auth = {}): Promise<string[]> {
  try {
    return (await createClient({ repo: `${url}/${repo}`, ...auth }).listTags())
      .tags.sort();
  } catch {
    return [];
  }
}

Deno.test("dreg sync and dreg copy --all-tags", async (t) => {
  await using src = await startRegistry({ mode: "anonymous" });
  await using dst = await startRegistry({ mode: "basic" });
  const fx: Fixtures = await seedFixtures(src, { tagCount: 6 });
  const home = await Deno.makeTempDir({ prefix: "dreg-sync-test-" });
  const run = (args: string[], env?: Record<string, string>) =>
    dreg(home, args, env);
  const creds = ["--dest-creds", `${dst.username}:${dst.password}`];
  const auth = { username: dst.username, password: dst.password };
  const many = `${src.url}/${fx.manyTags.repo}`;
  try {
    await t.step("a repository, then again: nothing to do", async () => {
      const first = ok(
        await run(["sync", ...creds, many, `${dst.url}/m/many`]),
      );
      assertEquals(
        first.stdout.split("\n").filter((l) => l.startsWith("copied ")).length,
        6,
      );
      assertMatch(
        first.stdout,
        new RegExp(
          `${src.host}/fixtures/many-tags -> ${dst.host}/m/many: 6 tags: 6 copied, 0 up to date`,
        ),
      );
      assertMatch(
        first.stdout,
        /Synced: 1 repository, 6 tags: 6 copied, 0 up to date, 0 deleted, 0 failed;/,
      );
      assertEquals(await tagsOf(dst.url, "m/many", auth), fx.manyTags.tags);
      const again = ok(
        await run(["sync", "--json", ...creds, many, `${dst.url}/m/many`]),
      );
      const summary = JSON.parse(again.stdout);
      assertEquals(
        [summary.ok, summary.copied, summary.skipped, summary.bytes],
        [true, 0, 6, 0],
      );
      assertEquals(again.stderr, "");
    });

    await t.step("--dry-run writes nothing; filters; --delete", async () => {
      const dry = ok(
        await run([
          "sync",
          "--dry-run",
          "--tags",
          "t000[0-2]",
          ...creds,
          many,
          `${dst.url}/m/dry`,
        ]),
      );
      assertEquals(
        dry.stdout.split("\n").filter((l) => l.startsWith("would-copy "))
          .length,
        3,
      );
      assertMatch(
        dry.stdout,
        /Dry run: .*3 to copy or delete.*nothing was written/,
      );
      assertEquals(await tagsOf(dst.url, "m/dry", auth), []);

      ok(
        await run([
          "sync",
          "--exclude",
          "t000[0-2]",
          ...creds,
          many,
          `${dst.url}/m/dry`,
        ]),
      );
      assertEquals(await tagsOf(dst.url, "m/dry", auth), [
        "t0003",
        "t0004",
        "t0005",
      ]);
      // Tags only the mirror has: one of its own image, one naming the
      // manifest the source's tags name.
      const at = (tag: string) =>
        new RegistryStore(`${dst.url}/m/dry:${tag}`, {
          ...auth,
          access: "push",
        });
      await copy(
        new RegistryStore(`${src.url}/${fx.docker.repo}:v1`),
        at("gone"),
      );
      await copy(new RegistryStore(`${many}:t0000`), at("twin"));
      const planned = ok(
        await run([
          "sync",
          "--delete",
          "--dry-run",
          ...creds,
          many,
          `${dst.url}/m/dry`,
        ]),
      );
      const lines = planned.stdout.split("\n");
      assertEquals(lines.filter((l) => l.startsWith("would-copy ")).length, 3);
      assertEquals(
        lines.filter((l) => l.startsWith("would-delete ")).length,
        1,
      );
      assertMatch(planned.stdout, /^would-delete +.*m\/dry:gone /m);
      // The registry deletes manifests, not tags: "twin" cannot go alone.
      assertMatch(planned.stdout, /^kept +.*m\/dry:twin .*names the same one/m);
      const deleted = ok(
        await run(["sync", "--delete", ...creds, many, `${dst.url}/m/dry`]),
      );
      assertMatch(deleted.stdout, /^deleted +.*m\/dry:gone /m);
      assertMatch(deleted.stdout, /6 tags: 3 copied, 3 up to date, 1 deleted/);
      assertEquals(await tagsOf(dst.url, "m/dry", auth), [
        ...fx.manyTags.tags,
        "twin",
      ]);
    });

    await t.step(
      "a sync file with two pairs; credentials from the environment",
      async () => {
        const file = `${home}/mirror.yaml`;
        await Deno.writeTextFile(
          file,
          `concurrency: 2
credentials:
  ${dst.host}:
    username: ${dst.username}
    passwordEnv: MIRROR_PASSWORD
sync:
  - source: ${src.url}/${fx.multiLayer.repo}
    destination: ${dst.url}/cfg/multi-layer
    tags: { regex: "v1|latest" }
  - source: ${src.url}
    repositories: [${fx.index.repo}, ${fx.docker.repo}]
    destination: ${dst.url}/cfg
`,
        );
        const r = ok(
          await run(["sync", "--config", file], {
            MIRROR_PASSWORD: dst.password!,
          }),
        );
        assertMatch(r.stdout, /Synced: 3 repositories, 4 tags: 4 copied/);
        assertEquals(await tagsOf(dst.url, "cfg/multi-layer", auth), [
          "latest",
          "v1",
        ]);
        assertEquals(await tagsOf(dst.url, `cfg/${fx.index.repo}`, auth), [
          "v1",
        ]);
        assertEquals(await tagsOf(dst.url, `cfg/${fx.docker.repo}`, auth), [
          "v1",
        ]);
        const missing = await run(["sync", "--config", file]);
        assertEquals(missing.code, 1);
        assertMatch(
          missing.stderr,
          /^error: Invalid sync file ".*mirror\.yaml": credentials\[".*"\]\.passwordEnv: the environment variable MIRROR_PASSWORD is not set\n$/,
        );
      },
    );

    await t.step(
      "a failed repository: reported, the others synced, exit 1",
      async () => {
        const r = await run([
          "sync",
          "--repos",
          `fixtures/nope,${fx.index.repo}`,
          ...creds,
          src.url,
          `${dst.url}/partial`,
        ]);
        assertEquals(r.code, 1, r.stdout + r.stderr);
        assertMatch(r.stdout, /^failed +.*fixtures\/nope: /m);
        assertMatch(
          r.stdout,
          /fixtures\/multi-platform -> .*: 1 tag: 1 copied/,
        );
        assertEquals(r.stderr, "error: 1 repository failed\n");
        assertEquals(await tagsOf(dst.url, `partial/${fx.index.repo}`, auth), [
          "v1",
        ]);
      },
    );

    await t.step("dreg copy --all-tags", async () => {
      const r = ok(
        await run([
          "copy",
          "--all-tags",
          ...creds,
          `${src.url}/${fx.multiLayer.repo}`,
          `${dst.url}/all/ml`,
        ]),
      );
      assertMatch(r.stdout, /3 tags: 3 copied/);
      // Pushing the SBOM (its subject is v1) to a registry without the
      // referrers API adds the referrers tag of v1.
      const referrersTag = fx.multiLayer.digest.replace(":", "-");
      assertEquals(await tagsOf(dst.url, "all/ml", auth), [
        "latest",
        "sbom",
        referrersTag,
        "v1",
      ]);
      // A second run, deleting what the source lacks, keeps it.
      const again = ok(
        await run([
          "sync",
          "--delete",
          ...creds,
          `${src.url}/${fx.multiLayer.repo}`,
          `${dst.url}/all/ml`,
        ]),
      );
      assertMatch(again.stdout, /3 tags: 0 copied, 3 up to date\n/);
      assertEquals((await tagsOf(dst.url, "all/ml", auth)).length, 4);
      const layout = `${home}/ml-oci`;
      ok(
        await run([
          "copy",
          "--all-tags",
          `${src.url}/${fx.multiLayer.repo}`,
          `oci:${layout}`,
        ]),
      );
      const index = JSON.parse(await Deno.readTextFile(`${layout}/index.json`));
      assertEquals(
        index.manifests
          .map((m: { annotations?: Record<string, string> }) =>
            m.annotations?.["org.opencontainers.image.ref.name"]
          )
          .filter(Boolean)
          .sort(),
        ["latest", "sbom", "v1"],
      );
    });

    await t.step("usage errors exit 2", async () => {
      const cases: [string[], RegExp][] = [
        [["sync", many], /takes SRC DST, or --config FILE/],
        [
          ["sync", "--all-tags", "--tags", "x", many, `${dst.url}/x`],
          /--all-tags takes no --tags/,
        ],
        [
          ["sync", "--tags", "(", many, `${dst.url}/x`],
          /Invalid tag expression/,
        ],
        [
          ["sync", "--semver", "nope", many, `${dst.url}/x`],
          /Invalid semver range/,
        ],
        [
          ["sync", "--rate-limit", "wait", many, `${dst.url}/x`],
          /--rate-limit must be pause or stop/,
        ],
        [
          ["sync", src.url, "oci-archive:x.tar"],
          /registry is synced to a registry/,
        ],
        [
          ["sync", `${many}:t0001`, `${dst.url}/x:v1`],
          /name the repository only/,
        ],
        [
          ["sync", "--config", "x.yaml", many, `${dst.url}/x`],
          /--config takes no SRC DST/,
        ],
        [
          ["copy", "--all-tags", `${many}:t0001`, `${dst.url}/x`],
          /give SRC without ":t0001"/,
        ],
        [["copy", "--all-tags", src.url, `${dst.url}/x`], /use dreg sync/],
      ];
      const results = await Promise.all(cases.map(([a]) => run(a)));
      for (const [i, r] of results.entries()) {
        assertEquals(r.code, 2, `${cases[i][0].join(" ")}: ${r.stderr}`);
        assertMatch(r.stderr, cases[i][1]);
        assert(r.stderr.startsWith("error: "), r.stderr);
      }
    });
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
