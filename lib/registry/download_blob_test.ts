// downloadBlob() killed midway (a real process, SIGKILL): the temporary
// file it leaves beside the target is named after its process, so the next
// download to the same place recognises it as stale and removes it.

import { assert, assertEquals } from "@std/assert";
import { createClient } from "./client.ts";
import { startFakeRegistry } from "../testing/fake_registry.ts";
import {
  patterned,
  slowFront,
  waitFor,
} from "../../test_support/dreg_process.ts";

const CLIENT = new URL("./client.ts", import.meta.url).href;

function names(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

Deno.test("downloadBlob() killed midway: the next download to the same file removes what it left", async () => {
  await using registry = await startFakeRegistry();
  const bytes = patterned(2 * 1024 * 1024, 1);
  const digest = registry.seedBlob("app", bytes);
  const front = slowFront(registry, (d) => d === digest);
  const dir = await Deno.makeTempDir({ prefix: "download-blob-test-" });
  const path = `${dir}/blob`;
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `import { createClient } from ${JSON.stringify(CLIENT)};
         await createClient({ repo: "http://${front.host}/app" })
           .downloadBlob(${JSON.stringify(digest)}, ${JSON.stringify(path)});`,
      ],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    await waitFor(async () => {
      for (const name of names(dir)) {
        if ((await Deno.stat(`${dir}/${name}`)).size > 0) return true;
      }
      return false;
    }, "a partial download");
    child.kill("SIGKILL");
    await child.output();
    const left = names(dir);
    assertEquals(left.length, 1);
    assert(left[0].startsWith(`.blob.tmp-${child.pid}-`), left[0]);

    const result = await createClient({ repo: `${registry.url}/app` })
      .downloadBlob(digest, path);
    assertEquals(result.size, bytes.byteLength);
    assertEquals(names(dir), ["blob"]);
    assertEquals(await Deno.readFile(path), bytes);
  } finally {
    await front.close();
    await Deno.remove(dir, { recursive: true });
  }
});
