// Files written whole or not at all, through a temporary file beside them
// named after its writer, and the temporary files of writers that are gone
// removed by the next write to the same place.

import { assert, assertEquals, assertRejects } from "@std/assert";
import { PROCESS_START_MS } from "./_stale.ts";
import { removeStaleBeside, writeFileAtomically } from "./_atomic_file.ts";

async function deadPid(): Promise<number> {
  const child = new Deno.Command("true").spawn();
  await child.status;
  return child.pid;
}

function names(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

async function withTempDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "atomic-file-test-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("writeFileAtomically() removes the temporary files beside the target that writers which are gone left, and no others", async () => {
  await withTempDir(async (dir) => {
    const dead = await deadPid();
    const start = (Date.now() - 60_000).toString(36);
    const mine = PROCESS_START_MS.toString(36);
    const files = {
      dead: `.out.bin.tmp-${dead}-${start}-0123abcd`,
      deadStaging: `.out.bin.staging-${dead}-${start}-0123abcd`,
      // A writer still running (this process): kept.
      live: `.out.bin.tmp-${Deno.pid}-${mine}-0123abcd`,
      // Another file's: not this write's business.
      other: `.other.bin.tmp-${dead}-${start}-0123abcd`,
    };
    for (const [what, name] of Object.entries(files)) {
      if (what === "deadStaging") {
        await Deno.mkdir(`${dir}/${name}`);
        await Deno.writeFile(`${dir}/${name}/blob`, new Uint8Array(100));
      } else await Deno.writeFile(`${dir}/${name}`, new Uint8Array(100));
    }
    const written = await writeFileAtomically(
      `${dir}/out.bin`,
      new TextEncoder().encode("hello"),
    );
    assertEquals(written, 5);
    assertEquals(await Deno.readTextFile(`${dir}/out.bin`), "hello");
    assertEquals(
      names(dir),
      [files.live, files.other, "out.bin"].sort(),
    );
    assertEquals(await removeStaleBeside(`${dir}/other.bin`), {
      paths: [`${dir}/${files.other}`],
      bytes: 100,
    });
  });
});

Deno.test("writeFileAtomically() writes through a temporary file named after its writer, renamed once whole", async () => {
  await withTempDir(async (dir) => {
    let seen: string[] = [];
    const chunks = async function* () {
      yield new TextEncoder().encode("one ");
      // Midway: the target is not there yet, the temporary file is.
      seen = names(dir);
      yield new TextEncoder().encode("two");
    };
    await writeFileAtomically(`${dir}/file.txt`, chunks());
    assertEquals(seen.length, 1);
    const prefix = `.file.txt.tmp-${Deno.pid}-${
      PROCESS_START_MS.toString(36)
    }-`;
    assert(seen[0].startsWith(prefix), seen[0]);
    assertEquals(names(dir), ["file.txt"]);
    assertEquals(await Deno.readTextFile(`${dir}/file.txt`), "one two");
  });
});

Deno.test("writeFileAtomically() leaves the target as it was on a failure or an abort", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/file.txt`;
    await Deno.writeTextFile(path, "before");
    let cancelled: unknown;
    const failing = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("partial"));
      },
      pull(controller) {
        controller.error(new Error("the source broke"));
      },
    });
    await assertRejects(
      () => writeFileAtomically(path, failing),
      Error,
      "the source broke",
    );
    assertEquals(await Deno.readTextFile(path), "before");
    assertEquals(names(dir), ["file.txt"]);

    const controller = new AbortController();
    const endless = new ReadableStream<Uint8Array>({
      pull(c) {
        c.enqueue(new Uint8Array(1024));
        controller.abort(new Error("stop"));
      },
      cancel(reason) {
        cancelled = reason;
      },
    });
    await assertRejects(
      () => writeFileAtomically(path, endless, { signal: controller.signal }),
      Error,
      "stop",
    );
    assertEquals((cancelled as Error)?.message, "stop");
    assertEquals(await Deno.readTextFile(path), "before");
    assertEquals(names(dir), ["file.txt"]);
  });
});

Deno.test("writeFileAtomically() sets the mode given exactly", async () => {
  await withTempDir(async (dir) => {
    await writeFileAtomically(`${dir}/secret.json`, new Uint8Array(2), {
      mode: 0o600,
    });
    assertEquals((await Deno.stat(`${dir}/secret.json`)).mode! & 0o777, 0o600);
    await writeFileAtomically(`${dir}/open.json`, new Uint8Array(2), {
      mode: 0o664,
    });
    assertEquals((await Deno.stat(`${dir}/open.json`)).mode! & 0o777, 0o664);
  });
});
