import { assertEquals, assertRejects } from "@std/assert";
import {
  InterruptedError,
  interruptible,
  type InterruptSignal,
  type SignalSource,
} from "./_signals.ts";

/** Signals sent by hand; records exits. */
function fakeSignals() {
  const handlers = new Map<InterruptSignal, Set<() => void>>();
  const exits: number[] = [];
  const source: SignalSource = {
    add: (s, h) => {
      if (!handlers.has(s)) handlers.set(s, new Set());
      handlers.get(s)!.add(h);
    },
    remove: (s, h) => handlers.get(s)?.delete(h),
    exit: (code) => {
      exits.push(code);
      return undefined as never;
    },
  };
  const send = (s: InterruptSignal) => {
    for (const h of handlers.get(s) ?? []) h();
  };
  const listening = () =>
    [...handlers.values()].reduce((n, set) => n + set.size, 0);
  return { source, send, exits, listening };
}

Deno.test("interruptible() returns the work's result and stops listening", async () => {
  const f = fakeSignals();
  assertEquals(await interruptible(() => Promise.resolve(7), f.source), 7);
  assertEquals(f.listening(), 0);
});

for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
  Deno.test(`interruptible() aborts the work on ${signal} and throws InterruptedError (exit ${code})`, async () => {
    const f = fakeSignals();
    const err = await assertRejects(
      () =>
        interruptible((s) =>
          new Promise((_, reject) => {
            s.addEventListener("abort", () => reject(new Error("stopped")));
            queueMicrotask(() => f.send(signal));
          }), f.source),
      InterruptedError,
    );
    assertEquals([err.signal, err.exitCode], [signal, code]);
    assertEquals(err.message, `interrupted by ${signal}`);
    assertEquals(f.listening(), 0);
    assertEquals(f.exits, []);
  });
}

Deno.test("interruptible(): a second signal exits at once; work that completes anyway returns", async () => {
  const f = fakeSignals();
  const value = await interruptible(async (s) => {
    f.send("SIGINT");
    f.send("SIGTERM");
    await Promise.resolve();
    return s.aborted;
  }, f.source);
  assertEquals(value, true);
  assertEquals(f.exits, [143]);
});

Deno.test("interruptible(): an error without a signal is the error", async () => {
  const f = fakeSignals();
  await assertRejects(
    () => interruptible(() => Promise.reject(new RangeError("x")), f.source),
    RangeError,
  );
});
