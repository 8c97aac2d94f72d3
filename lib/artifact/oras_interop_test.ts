// Cross-check with ORAS Go (oras.land/oras-go, as Debian packages it), an
// independent implementation, on the real registry, both ways: oras-go
// pushes files and a directory, pullArtifact gives them back; pushArtifact
// pushes them, oras-go's file store pulls (and unpacks) them. Files must be
// identical. Ignored, with the reason in its name, where Go or the library
// is not installed.

import { assertEquals, assertMatch } from "@std/assert";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "@std/path/posix/join";
import { RegistryStore } from "../registry/store.ts";
import { startRegistry } from "../../test_support/real_registry.ts";
import {
  buildOrasPeer,
  orasPeerUnavailable,
  runOrasPeer,
} from "../../test_support/oras_peer.ts";
import { listTree } from "../../test_support/artifacts.ts";
import { pullArtifact } from "./pull.ts";
import { pushArtifact } from "./push.ts";
import { ARTIFACT_ANNOTATION } from "./types.ts";

const unavailable = orasPeerUnavailable();

/** Two files and a directory (nested file, symlink), with random content. */
async function sample(dir: string): Promise<void> {
  const random = (n: number) =>
    Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => b.toString(16))
      .join("");
  await mkdir(join(dir, "docs", "sub"), { recursive: true });
  await writeFile(join(dir, "a.txt"), `a ${random(16)}\n`);
  await writeFile(join(dir, "b.bin"), random(30_000));
  await writeFile(join(dir, "docs", "readme.md"), `# ${random(8)}\n`);
  await writeFile(join(dir, "docs", "sub", "deep.txt"), random(3000));
  await symlink("sub/deep.txt", join(dir, "docs", "link"));
}

Deno.test({
  name: `ORAS Go interop: artifacts both ways on the real registry${
    unavailable ? ` (ignored: ${unavailable})` : ""
  }`,
  ignore: unavailable !== undefined,
  async fn(t) {
    const peer = await buildOrasPeer();
    await using reg = await startRegistry({ mode: "anonymous" });
    const dir = await mkdtemp(join(tmpdir(), "dreg-oras-"));
    try {
      const src = join(dir, "src");
      await mkdir(src);
      await sample(src);
      const expected = await listTree(src);

      await t.step(
        "oras-go pushes, pullArtifact gets identical files",
        async () => {
          const digest = await runOrasPeer(
            peer,
            ["push", `${reg.host}/from-oras:1`, src, "a.txt", "b.bin", "docs"],
            dir,
          );
          assertMatch(digest, /^sha256:[0-9a-f]{64}$/);
          const out = join(dir, "ours");
          const pulled = await pullArtifact(
            new RegistryStore(`${reg.host}/from-oras:1`),
            out,
          );
          assertEquals(pulled.descriptor.digest, digest);
          const docs = pulled.files.find((f) => f.title === "docs")!;
          assertEquals(docs.kind, "directory");
          assertEquals(
            docs.layer.annotations?.[ARTIFACT_ANNOTATION.UNPACK],
            "true",
          );
          assertEquals(await listTree(out), expected);
        },
      );

      await t.step(
        "pushArtifact pushes, oras-go pulls identical files",
        async () => {
          const store = new RegistryStore(`${reg.host}/from-dreg:1`, {
            access: "push",
          });
          await pushArtifact(
            store,
            [join(src, "a.txt"), join(src, "b.bin"), join(src, "docs")],
            { artifactType: "application/vnd.example.interop" },
          );
          const out = join(dir, "theirs");
          await mkdir(out);
          await runOrasPeer(
            peer,
            ["pull", `${reg.host}/from-dreg:1`, out],
            dir,
          );
          assertEquals(await listTree(out), expected);
        },
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
});
