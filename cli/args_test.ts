import { assertEquals, assertThrows } from "@std/assert";
import { parseArgs, UsageError } from "./args.ts";

const SPECS = [
  { name: "--platform", value: "OS/ARCH", help: "" },
  { name: "--username", short: "-u", value: "USER", help: "" },
  { name: "--password", short: "-p", value: "PASS", help: "" },
  { name: "--json", help: "" },
  { name: "--no-save", help: "" },
];

Deno.test("parseArgs() reads long, short, = and boolean flags", () => {
  const args = parseArgs(
    ["a", "--platform=linux/amd64", "-u", "me", "--json", "b", "--", "-c"],
    SPECS,
  );
  assertEquals(args.positional, ["a", "b", "-c"]);
  assertEquals(args.flags.get("--platform"), "linux/amd64");
  assertEquals(args.flags.get("--username"), "me");
  assertEquals(args.flags.get("--json"), true);
  assertEquals(parseArgs(["-h"], SPECS).flags.get("--help"), true);
  assertEquals(parseArgs(["--no-save"], SPECS).flags.get("--no-save"), true);
  assertEquals(parseArgs(["--json=false"], SPECS).flags.has("--json"), false);
});

Deno.test("parseArgs() keeps positionals and values as typed", () => {
  const args = parseArgs(
    ["10", "1.0", "-", "--platform", "0x10", "-p=-secret", "--", "--json"],
    SPECS,
  );
  assertEquals(args.positional, ["10", "1.0", "-", "--json"]);
  assertEquals(args.flags.get("--platform"), "0x10");
  assertEquals(args.flags.get("--password"), "-secret");
  assertEquals(args.flags.has("--json"), false);
});

Deno.test("parseArgs() refuses unknown flags and missing values", async (t) => {
  for (
    const [argv, message] of [
      [["--nope"], "unknown flag --nope"],
      [["--nope=1"], "unknown flag --nope"],
      [["-x"], "unknown flag -x"],
      [["--no-json"], "unknown flag --no-json"],
      [["--_=x"], "unknown flag --_"],
      [["-u"], "--username needs a value (USER)"],
      [["--platform="], "--platform needs a value (OS/ARCH)"],
      // A value that starts with "-" is not taken (nor echoed): -p=-secret.
      [["-p", "-secret"], "--password needs a value (PASS)"],
    ] as const
  ) {
    await t.step(argv.join(" "), () => {
      const err = assertThrows(() => parseArgs([...argv], SPECS), UsageError);
      assertEquals(err.message, message);
    });
  }
});
