import { assertEquals } from "@std/assert";
import { runPool } from "./_pool.ts";

Deno.test("runPool() lets light items run more at a time: weight 1/4 gives four per unit", async () => {
  const measure = async (weight?: (n: number) => number) => {
    let active = 0;
    let most = 0;
    await runPool(Array.from({ length: 32 }, (_, i) => i), async () => {
      active++;
      most = Math.max(most, active);
      await new Promise((r) => queueMicrotask(() => r(undefined)));
      await Promise.resolve();
      active--;
    }, { concurrency: 4, ...(weight ? { weight } : {}) });
    return most;
  };
  assertEquals(await measure(), 4);
  assertEquals(await measure(() => 0.25), 16);
  // Mixed: 0.25 + 1 + 0.25 + 1 + 0.25 + 1 + 0.25 fills the 4 units.
  assertEquals(await measure((n) => (n % 2 ? 1 : 0.25)), 7);
});

Deno.test("runPool() keeps item order in its results with weights", async () => {
  const out = await runPool([3, 1, 2], (n) => Promise.resolve(n * 10), {
    concurrency: 2,
    weight: () => 0.5,
  });
  assertEquals(out, [30, 10, 20]);
});
