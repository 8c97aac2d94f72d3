// Where a failure happened, in every command that reads or writes stores:
// `error: 127.0.0.1:PORT: …` for a command on one store, `error: source:
// 127.0.0.1:PORT: …` / `error: destination: 127.0.0.1:PORT: …` for one
// between two (append, mutate, flatten, index, copy), and the same in the
// lines of sync and `copy --all-tags`; both sides on one registry share
// one auth state (one ping, one token); `copy --all-tags --signatures`
// carries each image's signatures along. Real `dreg` processes against
// the fake registry.

import { assert, assertEquals, assertMatch } from "@std/assert";
import { startFakeRegistry } from "../../lib/testing/fake_registry.ts";
import { RegistryStore } from "../../lib/registry/store.ts";
import { pushArtifact } from "../../lib/artifact/push.ts";
import {
  CLI,
  dreg,
  type DregResult,
  seedImage,
} from "../../test_support/dreg_process.ts";

// DREG_CLI=/path/to/other/cli.ts runs another checkout's CLI (to see these
// tests fail on the code before a fix).
const cli = Deno.env.get("DREG_CLI") ?? CLI;

async function withHome(fn: (home: string) => Promise<void>) {
  const home = await Deno.makeTempDir({ prefix: "dreg-sides-test-" });
  try {
    await fn(home);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

/** Asserts a failure whose `error: …` line matches. */
function failed(r: DregResult, pattern: RegExp): void {
  assertEquals(r.code, 1, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assertMatch(r.stderr.split("\n")[0], pattern);
}

function re(host: string): string {
  return host.replaceAll(".", "\\.");
}

Deno.test("dreg: failures name the registry's host, and between two stores the side", async (t) => {
  await using open = await startFakeRegistry();
  await using locked = await startFakeRegistry({ auth: "basic" });
  await withHome(async (home) => {
    const img = seedImage(open, "app", "1", [1000]);
    const A = re(open.host);
    const B = re(locked.host);
    const layer = `${home}/layer.txt`;
    await Deno.writeTextFile(layer, "hello");
    const run = (args: string[]) => dreg(args, { home, cli });

    await t.step("one store: the host", async () => {
      const missing = `${open.host}/app:nope`;
      for (
        const args of [
          ["tag", missing, "v2"],
          ["export", missing, `${home}/out.tar`],
          ["artifact", "pull", missing, `${home}/art`],
          ["blob", "get", `${open.host}/app@sha256:${"0".repeat(64)}`],
          ["blob", "put", `${locked.host}/app`, layer],
          ["index", "remove", missing, "linux/amd64"],
        ]
      ) {
        failed(
          await run(args),
          new RegExp(
            `^error: ${args[0] === "blob" && args[1] === "put" ? B : A}: `,
          ),
        );
      }
    });

    await t.step("two stores: the side and the host", async () => {
      for (
        const args of [
          [
            "mutate",
            `${open.host}/app:nope`,
            `${open.host}/x:1`,
            "--label",
            "a=b",
          ],
          [
            "append",
            `${open.host}/app:nope`,
            `${open.host}/x:1`,
            "--layer",
            layer,
          ],
          ["flatten", `${open.host}/app:nope`, `${open.host}/x:1`],
          ["index", "create", `${open.host}/x:1`, `${open.host}/app:nope`],
        ]
      ) {
        failed(await run(args), new RegExp(`^error: source: ${A}: .*404`));
      }
      for (
        const args of [
          ["mutate", img.ref, `${locked.host}/x:1`, "--label", "a=b"],
          ["append", img.ref, `${locked.host}/x:1`, "--layer", layer],
          ["flatten", img.ref, `${locked.host}/x:1`],
          ["index", "create", `${locked.host}/x:1`, img.ref],
          ["copy", img.ref, `${locked.host}/x:1`],
        ]
      ) {
        failed(await run(args), new RegExp(`^error: destination: ${B}: .*401`));
      }
    });

    await t.step(
      "sync and copy --all-tags: each failed line says the side",
      async () => {
        for (
          const args of [
            ["sync", `${open.host}/app`, `${locked.host}/mirror/app`],
            [
              "copy",
              "--all-tags",
              `${open.host}/app`,
              `${locked.host}/mirror/app`,
            ],
          ]
        ) {
          const r = await run(args);
          assertEquals(r.code, 1, r.stdout + r.stderr);
          assertMatch(
            r.stdout,
            new RegExp(`^failed +${A}/app:1: destination: ${B}: .*401`, "m"),
          );
        }
        const r = await run(["sync", `${locked.host}/app`, `oci:${home}/m`]);
        assertEquals(r.code, 1, r.stdout + r.stderr);
        assertMatch(
          r.stdout,
          new RegExp(`^failed +.*: source: ${B}: .*401`, "m"),
        );
      },
    );
  });
});

Deno.test("dreg mutate, append, index: both sides on one registry share one ping and one token", async () => {
  await using reg = await startFakeRegistry({ auth: "bearer" });
  await withHome(async (home) => {
    seedImage(reg, "app", "1", [1000]);
    seedImage(reg, "app", "2", [1000]);
    const layer = `${home}/layer.txt`;
    await Deno.writeTextFile(layer, "hello");
    const creds = ["-u", "user", "-p", "pass"];
    for (
      const args of [
        [
          "mutate",
          ...creds,
          `${reg.host}/app:1`,
          `${reg.host}/app:m`,
          "--label",
          "a=b",
        ],
        [
          "append",
          ...creds,
          `${reg.host}/app:1`,
          `${reg.host}/other:1`,
          "--layer",
          layer,
        ],
        [
          "index",
          "create",
          ...creds,
          `${reg.host}/idx:1`,
          `${reg.host}/app:1`,
          `${reg.host}/app:2`,
        ],
      ]
    ) {
      reg.requests.length = 0;
      const tokens = reg.tokensIssued;
      const r = await dreg(args, { home, cli });
      assertEquals(r.code, 0, r.stderr);
      const pings = reg.requests.filter((q) => q.path === "/v2/").length;
      assertEquals(
        [pings, reg.tokensIssued - tokens],
        [1, 1],
        `${args[0]}: ${
          reg.requests.map((q) => `${q.method} ${q.path}`).join("\n")
        }`,
      );
    }
    // With credentials of its own, a side keeps its own auth state.
    reg.requests.length = 0;
    const r = await dreg([
      "mutate",
      "--src-creds",
      "user:pass",
      "--dest-creds",
      "user:pass",
      `${reg.host}/app:1`,
      `${reg.host}/app:m2`,
      "--label",
      "a=b",
    ], { home, cli });
    assertEquals(r.code, 0, r.stderr);
    assertEquals(reg.requests.filter((q) => q.path === "/v2/").length, 2);
  });
});

Deno.test("dreg copy --all-tags --signatures copies each image's signatures (referrers) too", async () => {
  await using src = await startFakeRegistry();
  await using dst = await startFakeRegistry();
  await withHome(async (home) => {
    const one = seedImage(src, "app", "1", [1000]);
    const two = seedImage(src, "app", "2", [1000]);
    const signatures = [];
    for (const img of [one, two]) {
      // A store named by digest: the signature is pushed untagged.
      const store = new RegistryStore(`${src.url}/app@${img.digest}`, {
        access: "push",
      });
      signatures.push(
        (await pushArtifact(
          store,
          [{ content: new TextEncoder().encode(img.digest), title: "sig" }],
          {
            artifactType: "application/vnd.cncf.notary.signature",
            subject: img.digest,
          },
        )).descriptor.digest,
      );
      await store.close();
    }
    assertEquals([...src.repositories.get("app")!.tags.keys()].sort(), [
      "1",
      "2",
    ]);
    // Without --signatures: the tags, not the signatures (referrers are
    // not tags).
    const plain = await dreg(
      ["copy", "--all-tags", `${src.host}/app`, `${dst.host}/plain`],
      { home, cli },
    );
    assertEquals(plain.code, 0, plain.stderr);
    for (const d of signatures) {
      assertEquals(dst.getManifest("plain", d), undefined);
    }

    const r = await dreg(
      [
        "copy",
        "--all-tags",
        "--signatures",
        `${src.host}/app`,
        `${dst.host}/app`,
      ],
      { home, cli },
    );
    assertEquals(r.code, 0, r.stderr);
    assertMatch(
      r.stdout,
      /^Copied 2 signatures, attestations and SBOMs of 2 images$/m,
    );
    for (const d of signatures) assert(dst.getManifest("app", d), d);
    const referrers = await new RegistryStore(`${dst.url}/app`).referrers(
      one.digest,
    );
    assertEquals(referrers.map((x) => x.digest), [signatures[0]]);

    const json = await dreg(
      [
        "copy",
        "--all-tags",
        "--signatures",
        "--json",
        `${src.host}/app`,
        `${dst.host}/app`,
      ],
      { home, cli },
    );
    assertEquals(json.code, 0, json.stderr);
    const summary = JSON.parse(json.stdout);
    assertEquals(summary.skipped, 2);
    assertEquals(
      summary.signatures.map((s: { descriptor: { digest: string } }) =>
        s.descriptor.digest
      ).sort(),
      [...signatures].sort(),
    );
  });
});
