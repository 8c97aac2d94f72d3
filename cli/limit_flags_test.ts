// `--timeout` and friends, and the graph bounds of pull/push/copy: parsed,
// passed on, and what a hostile registry gets for them (the CLI run as a
// subprocess against the fake registry).

import { assertEquals, assertMatch, assertThrows } from "@std/assert";
import { parseArgs, UsageError } from "./args.ts";
import {
  durationArg,
  requestLimitsArg,
  sizeArg,
  TIME_FLAGS,
  transferLimitsArg,
  WALK_LIMIT_FLAGS,
} from "./limit_flags.ts";
import { startFakeRegistry } from "../lib/testing/fake_registry.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;
const args = (...argv: string[]) =>
  parseArgs(argv, [...TIME_FLAGS, ...WALK_LIMIT_FLAGS]);

Deno.test("durations and sizes parse with their units", () => {
  const cases: [string, number][] = [
    ["90", 90_000],
    ["500ms", 500],
    ["30s", 30_000],
    ["2m", 120_000],
    ["1.5h", 5_400_000],
    ["0", 0],
  ];
  for (const [text, ms] of cases) {
    assertEquals(durationArg(args("--timeout", text), "--timeout"), ms);
  }
  const sizes: [string, number][] = [
    ["1024", 1024],
    ["64k", 65_536],
    ["1KiB", 1024],
    ["1KiB/s", 1024],
    ["2MiB", 2 * 1024 * 1024],
    ["1G", 1024 ** 3],
    ["0", 0],
  ];
  for (const [text, bytes] of sizes) {
    assertEquals(sizeArg(args("--min-speed", text), "--min-speed"), bytes);
  }
  for (const bad of ["fast", "1 day", "-1s", "10x"]) {
    assertThrows(
      () => durationArg(args(`--timeout=${bad}`), "--timeout"),
      UsageError,
      "--timeout must be a duration",
    );
  }
  assertThrows(
    () => sizeArg(args("--min-speed", "1 TB"), "--min-speed"),
    UsageError,
  );
});

Deno.test("the flags become the client's bounds and the transfer's limits", () => {
  assertEquals(
    requestLimitsArg(
      args(
        "--request-timeout",
        "10s",
        "--idle-timeout",
        "1m",
        "--min-speed",
        "4KiB",
        "--speed-time",
        "5s",
      ),
    ),
    {
      requestDeadlineMs: 10_000,
      requestTimeoutMs: 60_000,
      minSpeed: 4096,
      minSpeedWindowMs: 5_000,
    },
  );
  assertEquals(requestLimitsArg(args()), {});
  assertEquals(
    transferLimitsArg(
      args(
        "--timeout",
        "10m",
        "--max-depth",
        "3",
        "--max-manifests",
        "50",
        "--max-descriptors",
        "500",
        "--max-manifest-bytes",
        "1MiB",
      ),
    ),
    {
      timeoutMs: 600_000,
      maxIndexDepth: 3,
      maxManifests: 50,
      maxDescriptors: 500,
      maxTotalManifestBytes: 1024 * 1024,
    },
  );
  assertThrows(
    () => transferLimitsArg(args("--max-depth", "0")),
    UsageError,
    "--max-depth must be a positive integer",
  );
  assertThrows(
    () => requestLimitsArg(args("--speed-time", "0")),
    UsageError,
  );
});

async function dreg(
  ...argv: string[]
): Promise<{ code: number; stderr: string }> {
  const home = await Deno.makeTempDir();
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", CLI, ...argv],
      env: { DOCKER_CONFIG: home, REGISTRY_AUTH_FILE: `${home}/a.json` },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

Deno.test("dreg pull of an index nested thousands deep fails on --max-depth, not on memory", async () => {
  await using registry = await startFakeRegistry();
  registry.faults.nestedIndex = { depth: 5_000 };
  const dir = await Deno.makeTempDir();
  try {
    const deep = await dreg("pull", `${registry.url}/deep:1`, `${dir}/oci`);
    assertEquals(deep.code, 1);
    assertMatch(
      deep.stderr,
      /index nesting depth 9 exceeds the limit of 8 \(maxIndexDepth\)/,
    );
    const lower = await dreg(
      "pull",
      "--max-depth",
      "2",
      `${registry.url}/deep:1`,
      `${dir}/oci`,
    );
    assertMatch(lower.stderr, /depth 3 exceeds the limit of 2/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dreg gives up at --timeout, and on a trickle below --min-speed", async (t) => {
  await using registry = await startFakeRegistry();
  registry.seedBlob("app", "{}");
  registry.seedManifest("app", "v1", {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [],
    annotations: { padding: "x".repeat(4_000) },
  });
  await t.step("--timeout on a registry that does not answer", async () => {
    registry.faults.delayMs = 30_000;
    const slow = await dreg(
      "manifest",
      "--timeout",
      "300ms",
      `${registry.url}/app:v1`,
    );
    registry.faults.delayMs = 0;
    assertEquals(slow.code, 1);
    assertMatch(slow.stderr, /exceeds the limit of 300 ms \(--timeout\)/);
  });
  await t.step(
    "--min-speed on a manifest trickled a byte at a time",
    async () => {
      registry.faults.trickle = { everyMs: 5, path: /\/manifests\// };
      const trickled = await dreg(
        "manifest",
        "--min-speed",
        "1KiB",
        "--speed-time",
        "500ms",
        `${registry.url}/app:v1`,
      );
      registry.faults.trickle = undefined;
      assertEquals(trickled.code, 1);
      assertMatch(trickled.stderr, /ran below 1024 bytes\/s/);
    },
  );
  await t.step("a bad value is bad usage", async () => {
    const bad = await dreg(
      "tags",
      "--min-speed",
      "fast",
      `${registry.url}/app`,
    );
    assertEquals(bad.code, 2);
    assertMatch(bad.stderr, /--min-speed must be a size/);
  });
});
