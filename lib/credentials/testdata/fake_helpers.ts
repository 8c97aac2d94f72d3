// Test support: fake `docker-credential-*` programs in a temporary directory,
// config files, and checks that an error is the expected CredentialsError and
// carries no secret.

import { assert, assertEquals, assertRejects } from "@std/assert";
import { CredentialsError } from "../../errors.ts";

/** Secrets the fake helpers hold; no error may contain any of them. */
export const HELPER_SECRETS = {
  hub: "hub-helper-s3cr3t",
  quayToken: "quay-identity-s3cr3t",
  garbage: "garbage-s3cr3t",
  failStdout: "fail-stdout-s3cr3t",
} as const;

/** A temporary directory with fake helpers, first on `PATH`. */
export interface FakeHelpers {
  /**
   * The process id `file` (`hang`, `hangchild`, `hangchild-orphan`,
   * `daemon-orphan`) holds, once the helper has written it (waits for it on
   * the real clock, a `FakeTime` installed or not). The file is removed, so
   * that a later run of the same helper writes a fresh one.
   */
  pid(file: string): Promise<number>;
  /** The directory holding the scripts (and what `store` received). */
  dir: string;
  /** `PATH` with `dir` first. */
  path: string;
  /** What `docker-credential-test` last read on stdin for `get`. */
  lastGet(): Promise<string>;
  /** What `docker-credential-test` last read on stdin for `store`. */
  lastStore(): Promise<string | undefined>;
  /** What `docker-credential-test` last read on stdin for `erase`. */
  lastErase(): Promise<string | undefined>;
  /** Removes the directory. */
  [Symbol.asyncDispose](): Promise<void>;
}

function script(body: string): string {
  return `#!/bin/sh\n${body}\n`;
}

/** The real `setTimeout`, taken before any test can install a `FakeTime`. */
const realSetTimeout = globalThis.setTimeout;

/** Effectively for ever: a helper that ends by itself has not been killed. */
const FOREVER_S = 3600;

/**
 * Shell that writes a process id (`$$` or `$!`) to `<dir>/<file>.pid`
 * whole: written aside, then renamed, so a reader never sees it half done.
 */
function writePid(dir: string, file: string, pid: string): string {
  return `echo ${pid} > '${dir}/${file}.pid.tmp' && mv '${dir}/${file}.pid.tmp' '${dir}/${file}.pid'`;
}

/** Writes the fake helpers into a new temporary directory. */
export async function fakeHelpers(): Promise<FakeHelpers> {
  const dir = await Deno.makeTempDir({ prefix: "fake-helpers-" });
  const scripts: Record<string, string> = {
    // Answers from a canned table; records its input.
    test: script(`
action="$1"
input=$(cat)
case "$action" in
  get)
    printf '%s' "$input" > '${dir}/last-get'
    case "$input" in
      https://index.docker.io/v1/)
        printf '{"ServerURL":"%s","Username":"hubuser","Secret":"${HELPER_SECRETS.hub}"}\\n' "$input" ;;
      quay.io)
        printf '{"ServerURL":"quay.io","Username":"<token>","Secret":"${HELPER_SECRETS.quayToken}"}\\n' ;;
      *)
        echo "credentials not found in native keychain"; exit 1 ;;
    esac ;;
  store)
    printf '%s' "$input" > '${dir}/last-store' ;;
  erase)
    printf '%s' "$input" > '${dir}/last-erase' ;;
  *)
    echo "unknown action" >&2; exit 2 ;;
esac`),
    // Never answers (exec, so that the kill reaches the sleep itself).
    hang: script(`${writePid(dir, "hang", "$$")}; exec sleep ${FOREVER_S}`),
    // Never answers; its child keeps the pipes open after it is killed.
    hangchild: script(
      `sleep ${FOREVER_S} & ${writePid(dir, "hangchild-orphan", "$!")}
${writePid(dir, "hangchild", "$$")}
cat >/dev/null; wait; echo late`,
    ),
    // Answers, exits, and leaves a child holding stdout (for ever: the test
    // kills it).
    daemon: script(
      `cat >/dev/null; sleep ${FOREVER_S} & ${
        writePid(dir, "daemon-orphan", "$!")
      }
printf '{"Username":"daemon","Secret":"daemon-s3cr3t"}'; exit 0`,
    ),
    // Prints broken JSON holding a secret.
    garbage: script(
      `cat >/dev/null; printf '{"Username":"x","Secret":"${HELPER_SECRETS.garbage}"'`,
    ),
    // Holds nothing, and says so on stdout.
    notfound: script(
      "cat >/dev/null; echo 'credentials not found in native keychain'; exit 1",
    ),
    // Fails, with a secret on stdout and a diagnostic on stderr.
    fail: script(
      `cat >/dev/null; echo '${HELPER_SECRETS.failStdout}'; echo 'gpg: decryption failed' >&2; exit 3`,
    ),
    // Answers with an empty secret.
    empty: script(
      `cat >/dev/null; printf '{"ServerURL":"","Username":"","Secret":""}'`,
    ),
    // Echoes what it was asked to store to stderr, then fails.
    leakystore: script('input=$(cat); echo "bad input: $input" >&2; exit 1'),
  };
  for (const [name, text] of Object.entries(scripts)) {
    const file = `${dir}/docker-credential-${name}`;
    await Deno.writeTextFile(file, text);
    await Deno.chmod(file, 0o755);
  }
  return {
    dir,
    path: `${dir}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
    async pid(file) {
      const path = `${dir}/${file}.pid`;
      for (;;) {
        const text = await readIfThere(path);
        if (text !== undefined) {
          await Deno.remove(path);
          const pid = Number(text.trim());
          assert(Number.isInteger(pid) && pid > 1, `${path} holds "${text}"`);
          return pid;
        }
        await new Promise((resolve) => realSetTimeout(resolve, 5));
      }
    },
    lastGet: () => Deno.readTextFile(`${dir}/last-get`),
    lastStore: () => readIfThere(`${dir}/last-store`),
    lastErase: () => readIfThere(`${dir}/last-erase`),
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}

async function readIfThere(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

/** A temporary directory, removed on dispose. */
export async function tempDir(): Promise<
  { path: string; [Symbol.asyncDispose](): Promise<void> }
> {
  const path = await Deno.makeTempDir({ prefix: "credentials-test-" });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true });
    },
  };
}

/**
 * Writes a credentials file (an object as JSON, a string as is), creating its
 * directory. Returns the path.
 */
export async function writeConfigFile(
  path: string,
  config: unknown,
): Promise<string> {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  await Deno.writeTextFile(
    path,
    typeof config === "string" ? config : JSON.stringify(config),
  );
  return path;
}

/**
 * Asserts that `run` rejects with a `CredentialsError` with this message that
 * holds none of `secrets`.
 */
export async function assertRejectsCredentialsError(
  run: () => Promise<unknown>,
  message: string,
  secrets: readonly string[] = [],
): Promise<void> {
  const err = await assertRejects(run, CredentialsError);
  assertEquals(err.message, message);
  assertNoSecret(err, secrets);
}

/** Asserts that nothing in the error (message, stack, cause, fields) holds a secret. */
export function assertNoSecret(err: unknown, secrets: readonly string[]): void {
  const seen = Deno.inspect(err, { depth: 10, showHidden: true });
  const fields = JSON.stringify(
    err,
    Object.getOwnPropertyNames(err ?? {}),
  );
  for (const secret of secrets) {
    assert(!seen.includes(secret), `the error shows the secret ${secret}`);
    assert(
      !(fields ?? "").includes(secret),
      `a field of the error holds the secret ${secret}`,
    );
  }
}

/** Whether a process with this id exists (a zombie counts). */
export function isRunning(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** Kills a process the test let run (an orphan of a fake helper), if it is still there. */
export function killQuietly(pid: number): void {
  try {
    Deno.kill(pid, "SIGKILL");
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}

/** Whether the fake helpers (POSIX shell scripts) can run here. */
export const CAN_RUN_SCRIPTS = Deno.build.os !== "windows";
