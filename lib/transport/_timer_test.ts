import { assertEquals } from "@std/assert";
import { startTimer } from "./_timer.ts";

const TIMER = new URL("./_timer.ts", import.meta.url).href;

/**
 * Runs a script in a fresh Deno and returns what it printed. A process still
 * alive after a minute is killed: the script's own timer waits ten, so only
 * a timer that holds the process gets there.
 */
async function run(script: string): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-check", script],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout);
}

Deno.test("startTimer() calls back once, and not at all once cancelled", async () => {
  // The timers do not hold the event loop: this one does, meanwhile.
  const hold = setTimeout(() => {}, 60_000);
  let fired = 0;
  await new Promise<void>((resolve) => {
    startTimer(5, () => {
      fired++;
      resolve();
    });
  });
  const cancel = startTimer(1, () => fired++);
  cancel();
  cancel();
  await new Promise((resolve) => startTimer(20, () => resolve(undefined)));
  clearTimeout(hold);
  assertEquals(fired, 1);
});

Deno.test("startTimer(): a pending timer does not keep a library user's process alive", async (t) => {
  const cases = {
    "before setTimeout was ever used": "",
    "after setTimeout was loaded": "clearTimeout(setTimeout(() => {}, 0));",
  };
  for (const [name, prelude] of Object.entries(cases)) {
    await t.step(name, async () => {
      const printed = await run(`
        import { startTimer } from "${TIMER}";
        ${prelude}
        startTimer(600_000, () => console.log("fired"));
        console.log("done");
      `);
      assertEquals(printed, "done\n");
    });
  }
});

Deno.test("useSignalTimers(): a cancelled timer releases the process", async () => {
  const printed = await run(`
    import { startTimer, useSignalTimers } from "${TIMER}";
    useSignalTimers();
    const cancel = startTimer(600_000, () => console.log("fired"));
    startTimer(1, () => {
      cancel();
      console.log("cancelled");
    });
  `);
  assertEquals(printed, "cancelled\n");
});
