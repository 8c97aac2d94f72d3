// A file opened for reading: reads at positions, and a file that is not a
// regular one (a FIFO) read without stopping the event loop.

import { assertEquals } from "@std/assert";
import { openReadHandle } from "./_read_handle.ts";

const HANDLE = new URL("./_read_handle.ts", import.meta.url).href;

Deno.test("openReadHandle(): reads give the bytes at the positions asked for, and 0 at the end", async () => {
  const path = await Deno.makeTempFile({ prefix: "read-handle-test-" });
  try {
    await Deno.writeTextFile(path, "0123456789");
    const file = await openReadHandle(path);
    const buf = new Uint8Array(4);
    const at = async (position?: number) => {
      const { bytesRead } = await file.read(buf, 0, 4, position);
      return new TextDecoder().decode(buf.subarray(0, bytesRead));
    };
    assertEquals(await at(6), "6789");
    assertEquals(await at(2), "2345");
    assertEquals(await at(), "6789");
    assertEquals(await at(), "");
    assertEquals((await file.stat()).size, 10);
    assertEquals((await file.stat()).isFile(), true);
    await file.close();
    await file.close();
  } finally {
    await Deno.remove(path);
  }
});

Deno.test({
  name:
    "openReadHandle(): a read from a FIFO waits without stopping the event loop (timers still fire)",
  ignore: Deno.build.os === "windows",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "read-handle-fifo-" });
    try {
      const fifo = `${dir}/fifo`;
      const mk = await new Deno.Command("mkfifo", { args: [fifo] }).output();
      assertEquals(mk.code, 0);
      // In a child process, killed after a minute: a read that blocked the
      // event loop would never let the timer write the bytes it waits for.
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "eval",
          "--no-check",
          `
          import { openReadHandle } from "${HANDLE}";
          const fifo = ${JSON.stringify(fifo)};
          const [file, writer] = await Promise.all([
            openReadHandle(fifo),
            Deno.open(fifo, { write: true }),
          ]);
          setTimeout(async () => {
            await writer.write(new TextEncoder().encode("late"));
            writer.close();
          }, 50);
          const buf = new Uint8Array(16);
          const { bytesRead } = await file.read(buf, 0, 16);
          console.log(new TextDecoder().decode(buf.subarray(0, bytesRead)));
          await file.close();
          `,
        ],
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(60_000),
      }).output();
      assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
      assertEquals(new TextDecoder().decode(out.stdout), "late\n");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
