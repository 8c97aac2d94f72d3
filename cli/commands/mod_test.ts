import { assertEquals } from "@std/assert";
import { COMMANDS } from "./mod.ts";

Deno.test("the command table's names and summaries are the loaded commands' own", async () => {
  for (const entry of COMMANDS) {
    const cmd = await entry.load();
    assertEquals(
      { name: cmd.name, summary: cmd.summary },
      { name: entry.name, summary: entry.summary },
    );
  }
  assertEquals(new Set(COMMANDS.map((c) => c.name)).size, COMMANDS.length);
});
