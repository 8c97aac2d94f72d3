// dreg artifact push/pull, dreg referrers --tree, dreg signatures and
// dreg copy --signatures, run as subprocesses against the real registry
// (no referrers API: the fallback tag) and checked with skopeo.

import { assert, assertEquals, assertMatch } from "@std/assert";
import { join } from "@std/path/posix/join";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { startRegistry } from "../../test_support/real_registry.ts";
import {
  listTree,
  putImage,
  putManifest,
  putRawArtifact,
} from "../../test_support/artifacts.ts";
import { RegistryStore } from "../../lib/registry/store.ts";
import { cosignTag } from "../../lib/artifact/signatures.ts";
import {
  ARTIFACT_ANNOTATION,
  EMPTY_JSON_DESCRIPTOR,
} from "../../lib/artifact/types.ts";
import { MEDIA_TYPE } from "../../lib/ref/media_types.ts";

const CLI = new URL("../../cli.ts", import.meta.url).pathname;
const dec = new TextDecoder();
const enc = new TextEncoder();
const NOTARY = "application/vnd.cncf.notary.signature";

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function dreg(home: string, args: string[]): Promise<CliResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    cwd: home,
    env: {
      DOCKER_CONFIG: `${home}/docker`,
      REGISTRY_AUTH_FILE: `${home}/containers-auth.json`,
      XDG_RUNTIME_DIR: `${home}/run`,
      XDG_CONFIG_HOME: `${home}/config`,
      NO_COLOR: "1",
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

function ok(r: CliResult): CliResult {
  assertEquals(r.code, 0, `exit ${r.code}: ${r.stderr}`);
  return r;
}

async function skopeoRaw(ref: string): Promise<Record<string, unknown>> {
  const out = await new Deno.Command("skopeo", {
    args: [
      "inspect",
      "--raw",
      "--no-creds",
      "--tls-verify=false",
      `docker://${ref}`,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, `skopeo inspect ${ref}: ${dec.decode(out.stderr)}`);
  return JSON.parse(dec.decode(out.stdout));
}

Deno.test("dreg artifact, referrers --tree, signatures, copy --signatures against the real registry", async (t) => {
  await using reg = await startRegistry({ mode: "anonymous" });
  const home = await Deno.makeTempDir({ prefix: "dreg-artifact-cli-" });
  const run = (args: string[]) => dreg(home, args);
  const host = reg.host;
  try {
    const image = await putImage(
      new RegistryStore(`${host}/app:1`, { access: "push" }),
      "1",
    );
    await writeFile(join(home, "a.txt"), "alpha\n");
    await writeFile(join(home, "b.json"), '{"b":2}');
    await mkdir(join(home, "site", "css"), { recursive: true });
    await writeFile(join(home, "site", "index.html"), "<h1>hi</h1>");
    await writeFile(join(home, "site", "css", "a.css"), "h1{}");
    await writeFile(join(home, "sig.txt"), "signature bytes");
    let artifactDigest = "";

    await t.step("--help", async () => {
      assertMatch(ok(await run(["--help"])).stdout, / {2}artifact /);
      assertMatch(ok(await run(["--help"])).stdout, / {2}signatures /);
      assertMatch(
        ok(await run(["artifact", "--help"])).stdout,
        /--artifact-type/,
      );
      assertMatch(ok(await run(["referrers", "--help"])).stdout, /--tree/);
      assertMatch(ok(await run(["copy", "--help"])).stdout, /--signatures/);
    });

    await t.step(
      "artifact push: two files and a directory, with a subject",
      async () => {
        const r = ok(
          await run([
            "artifact",
            "push",
            "--json",
            "--artifact-type",
            "application/vnd.example.site",
            "--annotation",
            "org.example.a=1",
            "--annotation",
            "org.example.b=x=y",
            "--subject",
            "1",
            `${host}/app:site`,
            "a.txt",
            "b.json:application/json",
            "site",
          ]),
        );
        const result = JSON.parse(r.stdout);
        artifactDigest = result.descriptor.digest;
        assertEquals(result.subject.digest, image.digest);
        const raw = await skopeoRaw(`${host}/app:site`);
        assertEquals(raw.artifactType, "application/vnd.example.site");
        assertEquals(raw.config, { ...EMPTY_JSON_DESCRIPTOR });
        const layers = raw.layers as {
          mediaType: string;
          annotations: Record<string, string>;
        }[];
        assertEquals(
          layers.map((
            l,
          ) => [l.mediaType, l.annotations[ARTIFACT_ANNOTATION.TITLE]]),
          [
            ["application/vnd.oci.image.layer.v1.tar", "a.txt"],
            ["application/json", "b.json"],
            ["application/vnd.oci.image.layer.v1.tar+gzip", "site"],
          ],
        );
        const annotations = raw.annotations as Record<string, string>;
        assertEquals(annotations["org.example.a"], "1");
        assertEquals(annotations["org.example.b"], "x=y");
        assert(annotations[ARTIFACT_ANNOTATION.CREATED]);
        const human = ok(
          await run([
            "artifact",
            "push",
            "--artifact-type",
            NOTARY,
            "--subject",
            artifactDigest,
            `${host}/app:site-sig`,
            "sig.txt",
          ]),
        );
        assertMatch(
          human.stdout,
          /^Pushed .*app:site-sig sha256:[0-9a-f]{64} \(application\/vnd\.cncf\.notary\.signature, 1 file, subject sha256:/,
        );
      },
    );

    await t.step(
      "artifact pull: identical files, the directory unpacked",
      async () => {
        const r = ok(
          await run(["artifact", "pull", `${host}/app:site`, "out"]),
        );
        assertMatch(r.stdout, /Pulled .* 3 files into out/);
        assertEquals(await listTree(join(home, "out")), {
          "a.txt": "alpha\n",
          "b.json": '{"b":2}',
          "site": "<dir>",
          "site/css": "<dir>",
          "site/css/a.css": "h1{}",
          "site/index.html": "<h1>hi</h1>",
        });
        assertEquals(
          await readFile(join(home, "out", "a.txt")),
          await readFile(join(home, "a.txt")),
        );
      },
    );

    await t.step(
      "artifact pull refuses a hostile artifact, nothing written",
      async () => {
        await putRawArtifact(
          new RegistryStore(`${host}/app:hostile`, { access: "push" }),
          [{
            bytes: enc.encode("x"),
            annotations: { [ARTIFACT_ANNOTATION.TITLE]: "/etc/dreg-pwned" },
          }],
          { tag: "hostile" },
        );
        const before = await listTree(home);
        const r = await run([
          "artifact",
          "pull",
          `${host}/app:hostile`,
          "evil",
        ]);
        assertEquals(r.code, 1);
        assertMatch(
          r.stderr,
          /"\/etc\/dreg-pwned" \(a file title\) is absolute; refusing the artifact/,
        );
        assertEquals(await listTree(home), before);
      },
    );

    await t.step(
      "referrers --tree, human and --json, with an artifact type",
      async () => {
        const human =
          ok(await run(["referrers", "--tree", `${host}/app:1`])).stdout;
        assertEquals(
          human,
          `${host}/app:1@${image.digest}\n` +
            `└── application/vnd.example.site ${artifactDigest}\n` +
            `    └── ${NOTARY} ${human.match(/sha256:[0-9a-f]{64}\n$/)![0]}`,
        );
        const tree = JSON.parse(
          ok(await run(["referrers", "--tree", "--json", `${host}/app:1`]))
            .stdout,
        );
        assertEquals(tree.count, 2);
        assertEquals(
          tree.root.referrers[0].referrers[0].descriptor.artifactType,
          NOTARY,
        );
        const sigs = JSON.parse(
          ok(
            await run([
              "referrers",
              "--tree",
              "--json",
              "--artifact-type",
              NOTARY,
              `${host}/app:1`,
            ]),
          ).stdout,
        );
        assertEquals(sigs.root.referrers[0].matched, false);
        const none = JSON.parse(
          ok(
            await run([
              "referrers",
              "--tree",
              "--json",
              "--artifact-type",
              "application/x",
              `${host}/app:1`,
            ]),
          ).stdout,
        );
        assertEquals(none.count, 0);
        const usage = await run(["referrers", "--depth", "2", `${host}/app:1`]);
        assertEquals(usage.code, 2);
      },
    );

    await t.step(
      "signatures: cosign tags made by hand and a Notary referrer",
      async () => {
        const store = new RegistryStore(`${host}/app:1`, { access: "push" });
        await store.push(EMPTY_JSON_DESCRIPTOR, enc.encode("{}"));
        const cosign = (note: string) => ({
          schemaVersion: 2,
          mediaType: MEDIA_TYPE.OCI_MANIFEST,
          config: {
            mediaType: MEDIA_TYPE.OCI_EMPTY,
            digest: EMPTY_JSON_DESCRIPTOR.digest,
            size: 2,
          },
          layers: [],
          annotations: { note },
        });
        await putManifest(store, cosign("sig"), cosignTag(image.digest, "sig"));
        await putManifest(store, cosign("att"), cosignTag(image.digest, "att"));
        ok(
          await run([
            "artifact",
            "push",
            "--artifact-type",
            NOTARY,
            "--subject",
            "1",
            `${host}/app:notary`,
            "sig.txt",
          ]),
        );
        const report = JSON.parse(
          ok(await run(["signatures", "--json", `${host}/app:1`])).stdout,
        );
        assertEquals(report.count, 3);
        assertEquals(
          report.images[0].signatures.map((
            s: { kind: string; scheme: string },
          ) => `${s.kind}/${s.scheme}`),
          ["signature/tag", "attestation/tag", "signature/referrer"],
        );
        const human = ok(await run(["signatures", `${host}/app:1`])).stdout;
        assertMatch(
          human,
          new RegExp(
            `signature +sha256:[0-9a-f]{64}  tag ${
              cosignTag(image.digest, "sig")
            }`,
          ),
        );
        assertMatch(
          human,
          new RegExp(
            `signature +sha256:[0-9a-f]{64}  referrer ${
              NOTARY.replaceAll(".", "\\.")
            }`,
          ),
        );
      },
    );

    await t.step(
      "copy --signatures carries them along (registry and layout); plain copy does not",
      async () => {
        const r = ok(
          await run([
            "copy",
            "--signatures",
            `${host}/app:1`,
            `${host}/mirror:1`,
          ]),
        );
        assertMatch(r.stdout, /Copied 3 signatures, attestations and SBOMs/);
        const tags = (await new RegistryStore(`${host}/mirror:1`).listTags())
          .sort();
        assertEquals(
          tags,
          [
            "1",
            cosignTag(image.digest, "att"),
            cosignTag(image.digest, "sig"),
            `sha256-${image.digest.slice(7)}`, // the referrers fallback index
          ].sort(),
        );
        const there = JSON.parse(
          ok(await run(["signatures", "--json", `${host}/mirror:1`])).stdout,
        );
        assertEquals(there.count, 3);
        const raw = await skopeoRaw(
          `${host}/mirror:${cosignTag(image.digest, "att")}`,
        );
        assertEquals((raw.annotations as Record<string, string>).note, "att");

        ok(
          await run([
            "copy",
            "--signatures",
            "--json",
            `${host}/app:1`,
            "oci:layout:1",
          ]),
        );
        const inLayout = JSON.parse(
          ok(await run(["signatures", "--json", "oci:layout:1"])).stdout,
        );
        assertEquals(inLayout.count, 3);

        ok(await run(["copy", `${host}/app:1`, `${host}/plain:1`]));
        assertEquals(await new RegistryStore(`${host}/plain:1`).listTags(), [
          "1",
        ]);
      },
    );

    await t.step("bad usage exits 2", async () => {
      assertEquals(
        (await run(["artifact", "push", `${host}/app:x`, "a.txt"])).code,
        2,
      );
      assertEquals((await run(["artifact", "frob", "x", "y"])).code, 2);
      assertEquals((await run(["artifact", "pull", `${host}/app:x`])).code, 2);
      assertEquals(
        (await run([
          "artifact",
          "push",
          "--artifact-type",
          "application/x",
          "--subject",
          "127.0.0.1:1/other:1",
          `${host}/app:x`,
          "a.txt",
        ])).code,
        2,
      );
    });
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
