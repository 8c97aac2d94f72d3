// Private: running `docker-credential-<name>` the way docker does (the
// docker-credential-helpers protocol). The helper's stdout can hold a secret,
// so it never reaches an error; stderr is quoted (one short line) only when
// it does not contain the secret that was sent.

import { type ChildProcess, spawn } from "node:child_process";
import { constants } from "node:os";
import process from "node:process";
import type { Readable } from "node:stream";
import { isNotCapable } from "../_runtime.ts";
import { CredentialsError } from "../errors.ts";
import type { Credentials } from "./provider.ts";

/** docker's default: none. Ours: a helper that has not answered in 10 s is killed. */
export const DEFAULT_HELPER_TIMEOUT_MS = 10_000;

/**
 * A helper timeout option, checked: `DEFAULT_HELPER_TIMEOUT_MS` when unset.
 * Throws a `TypeError` naming the option when it is not a positive number.
 */
export function helperTimeout(
  value: number | undefined,
  option: string,
): number {
  const timeoutMs = value ?? DEFAULT_HELPER_TIMEOUT_MS;
  if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
    throw new TypeError(`Invalid ${option} ${timeoutMs}: must be positive`);
  }
  return timeoutMs;
}

/** The message helpers print when they hold nothing for a server. */
const NOT_FOUND_MESSAGE = "credentials not found in native keychain";

/** The user name a helper answers with when the secret is an identity token. */
const TOKEN_USERNAME = "<token>";

/** The most a helper may print on one stream. */
const MAX_OUTPUT_BYTES = 1024 * 1024;

/** How long to wait for the pipes to close once the helper has exited. */
const DRAIN_GRACE_MS = 500;

const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;

/** Whether a helper name (the suffix after `docker-credential-`) is safe to run. */
export function isValidHelperName(name: string): boolean {
  return HELPER_NAME.test(name) && name.length <= 200;
}

/** How to run a helper. */
export interface HelperRunOptions {
  /** Kill the helper after this long. */
  timeoutMs?: number;
  /** Kill the helper when aborted. */
  signal?: AbortSignal;
  /** The `PATH` to find the helper on and to give it; inherited when unset. */
  path?: string;
}

interface Collected {
  done: Promise<void>;
  cancel(): void;
  bytes(): Uint8Array;
  readonly overflow: boolean;
}

/** Keeps what a child writes on one pipe, up to `MAX_OUTPUT_BYTES`. */
function collect(stream: Readable | null): Collected {
  const chunks: Uint8Array[] = [];
  let size = 0;
  let overflow = false;
  const done = new Promise<void>((resolve) => {
    if (stream === null) return resolve();
    stream.on("data", (chunk: Uint8Array) => {
      if (overflow) return;
      if (size + chunk.byteLength > MAX_OUTPUT_BYTES) {
        overflow = true;
        stream.destroy();
        return;
      }
      chunks.push(chunk);
      size += chunk.byteLength;
    });
    // The pipe ended, broke or was destroyed: keep what arrived.
    stream.on("end", resolve);
    stream.on("close", resolve);
    stream.on("error", () => resolve());
  });
  return {
    done,
    cancel: () => stream?.destroy(),
    bytes() {
      const all = new Uint8Array(size);
      let offset = 0;
      for (const chunk of chunks) {
        all.set(chunk, offset);
        offset += chunk.byteLength;
      }
      return all;
    },
    get overflow() {
      return overflow;
    },
  };
}

/** What a helper did. */
interface HelperOutcome {
  code: number;
  stdout: string;
  stderr: string;
  overflow: boolean;
}

/** Why a helper could not be started, for a message. */
function startProblem(program: string, err: unknown): string {
  if (isNotCapable(err)) {
    return `Deno lacks the permission to run ${program} (--allow-run, --allow-env)`;
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (code === "ENOENT") return `${program} was not found on PATH`;
  return `${program} could not be started (${
    typeof code === "string" ? code : err instanceof Error ? err.name : "error"
  })`;
}

/** The exit code Deno and shells report: 128 + the signal's number when killed. */
function exitCode(code: number | null, signal: string | null): number {
  if (code !== null) return code;
  const number = signal === null
    ? undefined
    : (constants.signals as Record<string, number | undefined>)[signal];
  return 128 + (number ?? 0);
}

/**
 * Runs `docker-credential-<helper> <action>` with `input` on stdin. Throws a
 * `CredentialsError` when it cannot be started or does not finish in time,
 * and the signal's reason when aborted.
 */
async function runHelper(
  helper: string,
  action: "get" | "store" | "erase",
  input: string,
  attempted: string,
  options: HelperRunOptions,
): Promise<HelperOutcome> {
  const program = `docker-credential-${helper}`;
  const timeoutMs = options.timeoutMs ?? DEFAULT_HELPER_TIMEOUT_MS;
  const signal = options.signal;
  signal?.throwIfAborted();
  if (!isValidHelperName(helper)) {
    throw new CredentialsError(
      attempted,
      `"${program}" is not a valid helper name`,
    );
  }
  let child: ChildProcess;
  try {
    child = spawn(program, [action], {
      stdio: ["pipe", "pipe", "pipe"],
      // Like docker: the helper gets our environment, with PATH replaced
      // when one is given.
      env: options.path === undefined
        ? undefined
        : { ...process.env, PATH: options.path },
    });
  } catch (err) {
    // Deno refuses synchronously when it lacks a permission.
    throw new CredentialsError(attempted, startProblem(program, err), {
      cause: err,
    });
  }

  const stdout = collect(child.stdout);
  const stderr = collect(child.stderr);
  const writing = new Promise<void>((resolve) => {
    const stdin = child.stdin;
    if (stdin === null) return resolve();
    // The helper may exit without reading its input (EPIPE): not a failure.
    stdin.on("error", () => resolve());
    stdin.on("close", () => resolve());
    stdin.on("finish", () => resolve());
    stdin.end(new TextEncoder().encode(input));
  });
  const exited = new Promise<
    | { kind: "exit"; code: number }
    | { kind: "error"; error: unknown }
  >((resolve) => {
    child.on("exit", (code, sig) => {
      resolve({ kind: "exit", code: exitCode(code, sig) });
    });
    child.on("error", (error) => resolve({ kind: "error", error }));
  });

  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<"timeout" | "abort">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
    if (signal !== undefined) {
      onAbort = () => resolve("abort");
      signal.addEventListener("abort", onAbort, { once: true });
    }
  });
  const first = await Promise.race([
    exited,
    stopped.then((kind) => ({ kind })),
  ]);
  clearTimeout(timer);
  if (onAbort !== undefined) signal?.removeEventListener("abort", onAbort);

  const stopReading = () => {
    stdout.cancel();
    stderr.cancel();
    child.stdin?.destroy();
  };
  if (first.kind === "error") {
    stopReading();
    await Promise.all([stdout.done, stderr.done, writing]);
    throw new CredentialsError(attempted, startProblem(program, first.error), {
      cause: first.error,
    });
  }
  if (first.kind !== "exit") {
    child.kill("SIGKILL");
    await exited;
    // A grandchild may still hold the pipes open: stop reading them.
    stopReading();
    await Promise.all([stdout.done, stderr.done, writing]);
    if (first.kind === "abort") throw signal?.reason;
    throw new CredentialsError(
      attempted,
      `${program} did not answer within ${timeoutMs} ms and was killed`,
    );
  }

  const drained = Promise.all([stdout.done, stderr.done]);
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  const graceOver = await Promise.race([
    drained.then(() => false),
    new Promise<boolean>((resolve) => {
      graceTimer = setTimeout(() => resolve(true), DRAIN_GRACE_MS);
    }),
  ]);
  clearTimeout(graceTimer);
  if (graceOver) stopReading();
  await drained;
  child.stdin?.destroy();
  await writing;
  const decoder = new TextDecoder();
  return {
    code: first.code,
    stdout: decoder.decode(stdout.bytes()),
    stderr: decoder.decode(stderr.bytes()),
    overflow: stdout.overflow,
  };
}

/** One short line of stderr for a message, unless it holds a secret. */
function stderrNote(stderr: string, secrets: string[]): string {
  const line = stderr.split(/\r?\n/).map((l) => l.trim()).find((l) => l);
  if (line === undefined) return "";
  if (secrets.some((secret) => secret !== "" && stderr.includes(secret))) {
    return "";
  }
  // deno-lint-ignore no-control-regex
  const clean = line.replace(/[\u0000-\u001f\u007f]/g, " ");
  return clean.length > 200 ? `: ${clean.slice(0, 200)}…` : `: ${clean}`;
}

function isNotFound(outcome: HelperOutcome): boolean {
  return outcome.stdout.includes(NOT_FOUND_MESSAGE) ||
    outcome.stderr.includes(NOT_FOUND_MESSAGE);
}

/**
 * `docker-credential-<helper> get`: the server URL on stdin, JSON
 * `{ServerURL, Username, Secret}` on stdout. "credentials not found" (or an
 * empty secret) gives `undefined`.
 */
export async function helperGet(
  helper: string,
  serverUrl: string,
  options: HelperRunOptions,
): Promise<Credentials | undefined> {
  const program = `docker-credential-${helper}`;
  const attempted = `get the credentials for "${serverUrl}" from ${program}`;
  const outcome = await runHelper(helper, "get", serverUrl, attempted, options);
  if (outcome.code !== 0) {
    if (isNotFound(outcome)) return undefined;
    throw new CredentialsError(
      attempted,
      `${program} exited with code ${outcome.code}${
        stderrNote(outcome.stderr, [])
      }`,
    );
  }
  if (outcome.overflow) {
    throw new CredentialsError(
      attempted,
      `the answer is larger than ${MAX_OUTPUT_BYTES} bytes`,
    );
  }
  let answer: unknown;
  try {
    answer = JSON.parse(outcome.stdout);
  } catch {
    throw new CredentialsError(attempted, "the answer is not valid JSON");
  }
  if (answer === null || typeof answer !== "object" || Array.isArray(answer)) {
    throw new CredentialsError(attempted, "the answer is not a JSON object");
  }
  const { Username: username = "", Secret: secret = "" } = answer as Record<
    string,
    unknown
  >;
  if (typeof username !== "string" || typeof secret !== "string") {
    throw new CredentialsError(
      attempted,
      'the answer\'s "Username" or "Secret" is not a string',
    );
  }
  if (secret === "") return undefined;
  if (username === TOKEN_USERNAME) return { identityToken: secret };
  return { username, password: secret };
}

/**
 * `docker-credential-<helper> store`: JSON `{ServerURL, Username, Secret}` on
 * stdin.
 */
export async function helperStore(
  helper: string,
  serverUrl: string,
  username: string,
  secret: string,
  options: HelperRunOptions,
): Promise<void> {
  const program = `docker-credential-${helper}`;
  const attempted = `store the credentials for "${serverUrl}" with ${program}`;
  const input = JSON.stringify({
    ServerURL: serverUrl,
    Username: username,
    Secret: secret,
  });
  const outcome = await runHelper(helper, "store", input, attempted, options);
  if (outcome.code !== 0) {
    throw new CredentialsError(
      attempted,
      `${program} exited with code ${outcome.code}${
        stderrNote(outcome.stderr, [secret, input])
      }`,
    );
  }
}

/**
 * `docker-credential-<helper> erase`: the server URL on stdin, as
 * `docker logout` sends it. Returns `false` when the helper held nothing for
 * the server ("credentials not found").
 */
export async function helperErase(
  helper: string,
  serverUrl: string,
  options: HelperRunOptions,
): Promise<boolean> {
  const program = `docker-credential-${helper}`;
  const attempted = `erase the credentials for "${serverUrl}" with ${program}`;
  const outcome = await runHelper(
    helper,
    "erase",
    serverUrl,
    attempted,
    options,
  );
  if (outcome.code === 0) return true;
  if (isNotFound(outcome)) return false;
  throw new CredentialsError(
    attempted,
    `${program} exited with code ${outcome.code}${
      stderrNote(outcome.stderr, [])
    }`,
  );
}
