// Private: the little the library asks of its runtime that Deno, Node and
// Bun spell differently — an environment variable, the OS, whether Deno has
// granted a permission — answered without Deno's Node compatibility layer,
// which costs Deno about 30 ms to load (`node:process`, or merely touching
// `globalThis.process`). Files and processes go through `node:fs` and
// `node:child_process`, which all three runtimes have, in the modules that
// need them.

/** The part of Node's `process` read here (Node and Bun). */
interface NodeProcess {
  env: Record<string, string | undefined>;
  platform: string;
}

/** Whether the code runs in Deno (Node and Bun have no `Deno` global). */
export function isDeno(): boolean {
  return typeof Deno !== "undefined";
}

function nodeProcess(): NodeProcess | undefined {
  return (globalThis as { process?: NodeProcess }).process;
}

/** Whether an error is Deno's refusal for lack of a permission. */
export function isNotCapable(err: unknown): boolean {
  return err instanceof Error && err.name === "NotCapable";
}

/**
 * An environment variable of the process; in Deno, one it may not read
 * (no `--allow-env`) counts as unset.
 */
export function readEnv(name: string): string | undefined {
  if (isDeno()) {
    try {
      return Deno.env.get(name);
    } catch (err) {
      if (isNotCapable(err)) return undefined;
      throw err;
    }
  }
  return nodeProcess()?.env[name];
}

/** The operating system as Deno names it: `linux`, `darwin`, `windows`, … */
export function osName(): string {
  if (isDeno()) return Deno.build.os;
  const platform = nodeProcess()?.platform;
  return platform === "win32" ? "windows" : platform ?? "unknown";
}

/**
 * Whether Deno already grants a permission, without prompting. Node and Bun
 * have no such gate: `true` there.
 */
export function permissionGranted(name: "env" | "read" | "run"): boolean {
  if (!isDeno()) return true;
  return Deno.permissions.querySync?.({ name }).state === "granted";
}
