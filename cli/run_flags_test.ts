import { assert } from "@std/assert";
import { CLI_RUN_FLAGS, CLI_V8_FLAGS } from "./run_flags.ts";

const root = new URL("../", import.meta.url);
const read = (path: string) => Deno.readTextFile(new URL(path, root));

Deno.test("the CLI's shebang, deno task dreg and the README run it with the same V8 flags", async () => {
  const flag = `--v8-flags=${CLI_V8_FLAGS}`;
  assert(CLI_RUN_FLAGS.includes(flag));
  assert((await read("cli.ts")).split("\n")[0].includes(flag));
  const tasks = JSON.parse(await read("deno.json")).tasks as Record<
    string,
    string
  >;
  assert(tasks.dreg.includes(flag));
  const readme = await read("README.md");
  assert(readme.includes(`deno install -g -A ${flag} -n dreg`));
});
