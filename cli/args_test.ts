import assert from "node:assert/strict";
import { parseArgs, UsageError } from "./args.ts";

const SPECS = [
  { name: "--platform", value: "OS/ARCH", help: "" },
  { name: "--username", short: "-u", value: "USER", help: "" },
  { name: "--json", help: "" },
];

Deno.test("parseArgs() reads long, short, = and boolean flags", () => {
  const args = parseArgs(
    ["a", "--platform=linux/amd64", "-u", "me", "--json", "b", "--", "-c"],
    SPECS,
  );
  assert.deepEqual(args.positional, ["a", "b", "-c"]);
  assert.equal(args.flags.get("--platform"), "linux/amd64");
  assert.equal(args.flags.get("--username"), "me");
  assert.equal(args.flags.get("--json"), true);
  assert.equal(parseArgs(["-h"], SPECS).flags.get("--help"), true);
});

Deno.test("parseArgs() refuses unknown flags and missing values", async (t) => {
  for (
    const [argv, message] of [
      [["--nope"], "unknown flag --nope"],
      [["-u"], "-u needs a value (USER)"],
      [["--json=1"], "--json takes no value"],
    ] as const
  ) {
    await t.step(argv.join(" "), () => {
      assert.throws(
        () => parseArgs([...argv], SPECS),
        (err: unknown) => err instanceof UsageError && err.message === message,
      );
    });
  }
});
