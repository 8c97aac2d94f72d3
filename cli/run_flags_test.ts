import { assert } from "@std/assert";
import { CLI_LAZY_FLAG, CLI_RUN_FLAGS, CLI_V8_FLAGS } from "./run_flags.ts";

const root = new URL("../", import.meta.url);
const read = (path: string) => Deno.readTextFile(new URL(path, root));

Deno.test("the CLI's shebang, deno task dreg and the README run it with the same flags", async () => {
  const flags = `-A ${CLI_LAZY_FLAG} --v8-flags=${CLI_V8_FLAGS}`;
  assert(CLI_RUN_FLAGS.join(" ") === flags);
  assert((await read("cli.ts")).split("\n")[0].endsWith(`deno run ${flags}`));
  const tasks = JSON.parse(await read("deno.json")).tasks as Record<
    string,
    string
  >;
  assert(tasks.dreg.includes(`deno run ${flags} cli.ts`));
  const readme = await read("README.md");
  assert(readme.includes(`deno install -g ${flags} -n dreg`));
});
