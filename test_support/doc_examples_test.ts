// `deno test --doc` over the package: every JSDoc example of the library, the
// CLI and the examples, and every code block of README.md, type-checked
// (`--no-run`: they import `jsr:@scope/docker-registry-client`, which Deno
// resolves to this workspace, and most name a registry such as
// 127.0.0.1:5000 that is not there); then README.md's blocks that run
// offline, run: those that make no request, and the client's tour
// ("The client"), against a fake registry seeded with what it reads.
//
// A README block that cannot even be type-checked offline is marked
// `ts ignore`. There is one: the AWS SDK provider (it imports
// `npm:@aws-sdk/client-ecr`, which an offline run cannot fetch).
//
// `deno task test:doc` runs this file alone.

import { assert, assertEquals, assertMatch } from "@std/assert";
import { createHash } from "node:crypto";
import { join } from "@std/path/posix/join";
import { startFakeRegistry } from "../lib/testing/fake_registry.ts";
import { MEDIA_TYPE } from "../lib/ref/media_types.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/** The TypeScript files whose JSDoc is published or shown: no tests, benches, test data. */
async function documentedFiles(): Promise<string[]> {
  const files: string[] = [];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(join(ROOT, dir))) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) {
        if (entry.name !== "testdata") await walk(path);
      } else if (
        entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts") &&
        !entry.name.endsWith("_bench.ts")
      ) {
        files.push(path);
      }
    }
  };
  for (const dir of ["lib", "cli", "examples"]) await walk(dir);
  return files.sort();
}

async function denoTest(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<{ code: number; output: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["test", ...args],
    cwd,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: out.code,
    output: decoder.decode(out.stdout) + decoder.decode(out.stderr),
  };
}

Deno.test("every JSDoc example and README code block type-checks (deno test --doc --no-run)", async () => {
  const files = await documentedFiles();
  assert(files.length > 100, `${files.length} files`);
  // A DENO_DIR of its own: with the type-check cache of an earlier run,
  // Deno checks nothing and lists nothing, and the blocks below go unseen.
  const denoDir = await Deno.makeTempDir({ prefix: "doc-check-" });
  const { code, output } = await denoTest(
    ["--doc", "--no-run", "mod.ts", "cli.ts", ...files, "README.md"],
    ROOT,
    { DENO_DIR: denoDir },
  ).finally(() => Deno.remove(denoDir, { recursive: true }));
  const errors = output.split("\n").filter((l) =>
    /ERROR|error:|SyntaxError/.test(l)
  );
  assertEquals(
    code,
    0,
    `deno test --doc --no-run failed:\n${output.slice(-6000)}`,
  );
  assertEquals(errors, []);
  // Blocks of the README and of the JSDoc were all checked.
  assertMatch(output, /README\.md#\d+-\d+\.ts/);
  assertMatch(output, /lib\/registry\/client\.ts#\d+-\d+\.ts/);
});

/** The README's `ts` code blocks (not `ts ignore`), in order. */
function readmeBlocks(text: string): string[] {
  const blocks: string[] = [];
  const fence = /^```ts\n([\s\S]*?)^```$/gm;
  for (const match of text.matchAll(fence)) blocks.push(match[1]);
  return blocks;
}

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

Deno.test("README.md's code blocks that run offline run: the client against a local registry", async () => {
  const readme = await Deno.readTextFile(join(ROOT, "README.md"));
  const blocks = readmeBlocks(readme);
  const CLIENT = "http://127.0.0.1:5000/org/app";
  // No request: nothing awaited. The client's tour: its own registry.
  const offline = blocks.filter((b) => !/\bawait\b/.test(b));
  const client = blocks.filter((b) => b.includes(CLIENT));
  assert(offline.length >= 4, `${offline.length} offline blocks`);
  assertEquals(client.length, 1, "the client block names " + CLIENT);

  await using registry = await startFakeRegistry({
    auth: "bearer",
    username: "me",
    password: "s3cret",
  });
  const encoder = new TextEncoder();
  const config = encoder.encode('{"architecture":"arm64","os":"linux"}');
  const layer = encoder.encode("a layer of org/app\n");
  registry.seedBlob("org/app", config);
  registry.seedBlob("org/app", layer);
  const image = (architecture: string) => ({
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.OCI_MANIFEST,
    config: {
      mediaType: MEDIA_TYPE.OCI_CONFIG,
      digest: sha256(config),
      size: config.byteLength,
    },
    layers: [{
      mediaType: MEDIA_TYPE.OCI_LAYER,
      digest: sha256(layer),
      size: layer.byteLength,
    }],
    annotations: { architecture },
  });
  const platforms = ["amd64", "arm64"].map((architecture) => {
    const m = image(architecture);
    const bytes = encoder.encode(JSON.stringify(m));
    registry.seedManifest("org/app", sha256(bytes), bytes);
    return {
      mediaType: MEDIA_TYPE.OCI_MANIFEST,
      digest: sha256(bytes),
      size: bytes.byteLength,
      platform: { os: "linux", architecture },
    };
  });
  registry.seedManifest("org/app", "1.0", {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.OCI_INDEX,
    manifests: platforms,
  });
  const sbom = encoder.encode("{}");
  registry.seedBlob("org/app", sbom);
  registry.seedManifest("org/app", "sbom", {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.OCI_MANIFEST,
    artifactType: "application/spdx+json",
    config: {
      mediaType: MEDIA_TYPE.OCI_EMPTY,
      digest: sha256(sbom),
      size: 2,
    },
    layers: [],
    subject: platforms[1],
  });

  const dir = await Deno.makeTempDir({ prefix: "readme-doc-" });
  try {
    const body = [...offline, ...client].map((b, i) =>
      `Block ${i + 1}.\n\n\`\`\`ts\n${
        b.replaceAll("127.0.0.1:5000", registry.host)
      }\`\`\`\n`
    ).join("\n");
    await Deno.writeTextFile(
      join(dir, "README.md"),
      `# README blocks\n\n${body}`,
    );
    const { code, output } = await denoTest(
      ["-A", "--doc", "--config", join(ROOT, "deno.json"), "README.md"],
      dir,
      { TOKEN: "s3cret", PATH: Deno.env.get("PATH") ?? "" },
    );
    assertEquals(code, 0, output.slice(-6000));
    assertMatch(output, new RegExp(`ok \\| ${offline.length + 1} passed`));
    // The tour downloaded the arm64 layer, and its log shows no secret.
    assertEquals(await Deno.readFile(join(dir, "layer.tar.gz")), layer);
    assertMatch(
      output,
      /< #\d+ 200 GET http:\/\/127\.0\.0\.1:\d+\/v2\/org\/app\/referrers\//,
    );
    assert(!output.includes("s3cret"), "the password is in the output");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
