/**
 * Starts Debian's real `docker-registry` (distribution 2.8) on 127.0.0.1 for
 * conformance tests, in one of three auth modes: `anonymous` (open),
 * `basic` (htpasswd, bcrypt) or `token` (Bearer tokens from
 * {@linkcode startTokenServer}).
 *
 * Needs `/usr/bin/docker-registry`, `htpasswd` (apache2-utils) and
 * `openssl`. Private test support: not re-exported.
 *
 * The registry's access log (Apache combined format on stdout, e.g.
 * `127.0.0.1 - - [22/Nov/2026:23:05:52 +0000] "GET /v2/ HTTP/1.1" 200 2 "" "curl/7.88.1"`)
 * is parsed into entries so tests can count requests. A line is written
 * when the registry finishes a request, which can be just after the client
 * has the response: call {@linkcode RealRegistry.flushAccessLog} before
 * counting.
 *
 * @module
 */

import { delay } from "@std/async/delay";
import { STATUS_CODE } from "@std/http/status";
import { join } from "@std/path/posix/join";
import { TextLineStream } from "@std/streams/text-line-stream";
import { startTokenServer } from "./token_server.ts";
import type { TokenServer } from "./token_server.ts";

export type { TokenServer } from "./token_server.ts";

/** How the registry authenticates clients. */
export type AuthMode = "anonymous" | "basic" | "token";

/** One line of the registry's access log. */
export interface AccessLogEntry {
  /** HTTP method. */
  method: string;
  /** Request target: path and query. */
  path: string;
  /** Response status. */
  status: number;
  /** `User-Agent` of the request. */
  userAgent: string;
}

/** A running registry. */
export interface RealRegistry extends AsyncDisposable {
  /** Its auth mode. */
  mode: AuthMode;
  /** `127.0.0.1:PORT`. */
  host: string;
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** The valid user (basic and token modes). */
  username?: string;
  /** Its password (basic and token modes). */
  password?: string;
  /** The token server (token mode). */
  tokenServer?: TokenServer;
  /** Temp root: `config.yml`, `data/`, `htpasswd`, `token-root.pem`. */
  dir: string;
  /** Request lines logged so far, as `"METHOD /path?query"`. */
  accessLog(): string[];
  /** Access log lines logged so far, parsed. */
  accessLogEntries(): AccessLogEntry[];
  /**
   * Waits until every request answered so far is in the access log (sends
   * a marker request and waits for its line), then returns
   * {@linkcode RealRegistry.accessLog}. Marker lines are never listed.
   */
  flushAccessLog(): Promise<string[]>;
  /** The last lines the registry wrote on stderr (its own log), for diagnostics. */
  stderrTail(): string[];
  /** Kills the process and removes the temp dir; idempotent. */
  stop(): Promise<void>;
}

/** Options of {@linkcode startRegistry}. */
export interface StartRegistryOptions {
  /** Auth mode. */
  mode: AuthMode;
  /** The valid user in basic and token modes. @default "testuser" */
  username?: string;
  /** Its password. @default "testpassword" */
  password?: string;
}

const REGISTRY_BIN = "docker-registry";
const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const STDERR_TAIL = 200;
const FLUSH_TIMEOUT_MS = 2_000;
const MARKER_PARAM = "__harness_marker";
const ACCESS_LINE =
  /^\S+ \S+ \S+ \[[^\]]*\] "(\S+) (\S+) [^"]*" (\d{3}) \S+ "[^"]*" "([^"]*)"/;

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

async function htpasswdLine(username: string, password: string) {
  const out = await new Deno.Command("htpasswd", {
    args: ["-Bbn", "-C", "4", username, password],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `htpasswd failed: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return new TextDecoder().decode(out.stdout).trim() + "\n";
}

function configYaml(
  dir: string,
  port: number,
  auth: string,
): string {
  const secret = crypto.randomUUID();
  return `version: 0.1
log:
  level: info
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: ${join(dir, "data")}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:${port}
  secret: ${secret}
${auth}`;
}

/** Reads a stream line by line until it ends. */
async function readLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<void> {
  const lines = stream
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(new TextLineStream());
  for await (const line of lines) onLine(line);
}

interface Launched {
  child: Deno.ChildProcess;
  status: Promise<Deno.CommandStatus>;
  drained: Promise<void>;
  exited: () => boolean;
  entries: AccessLogEntry[];
  stderr: string[];
  waiters: Set<() => void>;
}

function launch(configPath: string): Launched {
  const child = new Deno.Command(REGISTRY_BIN, {
    args: ["serve", configPath],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const entries: AccessLogEntry[] = [];
  const stderr: string[] = [];
  const waiters = new Set<() => void>();
  let done = false;
  const status = child.status.then((s) => {
    done = true;
    return s;
  });
  const drained = Promise.all([
    readLines(child.stdout, (line) => {
      const m = ACCESS_LINE.exec(line);
      if (!m) return;
      entries.push({
        method: m[1],
        path: m[2],
        status: Number(m[3]),
        userAgent: m[4],
      });
      for (const w of waiters) w();
    }),
    readLines(child.stderr, (line) => {
      stderr.push(line);
      if (stderr.length > STDERR_TAIL) stderr.shift();
    }),
  ]).then(() => {});
  return {
    child,
    status,
    drained,
    exited: () => done,
    entries,
    stderr,
    waiters,
  };
}

async function terminate(l: Launched): Promise<void> {
  if (!l.exited()) {
    try {
      l.child.kill("SIGTERM");
    } catch { /* already gone */ }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = await Promise.race([
      l.status.then(() => false),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(true), STOP_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      try {
        l.child.kill("SIGKILL");
      } catch { /* already gone */ }
    }
  }
  await l.status;
  await l.drained;
}

/** Polls `GET /v2/` until it answers 200 or 401; false if the process died. */
async function waitReady(l: Launched, url: string): Promise<boolean> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (l.exited()) return false;
    try {
      const res = await fetch(`${url}/v2/?${MARKER_PARAM}=ready`);
      await res.body?.cancel();
      if (
        res.status === STATUS_CODE.OK || res.status === STATUS_CODE.Unauthorized
      ) return true;
    } catch { /* not listening yet */ }
    await delay(20);
  }
  throw new Error(
    `docker-registry did not answer GET /v2/ within ${READY_TIMEOUT_MS} ms:\n${
      l.stderr.slice(-20).join("\n")
    }`,
  );
}

/**
 * Starts `docker-registry` on a free 127.0.0.1 port in a fresh temp dir and
 * waits until `GET /v2/` answers.
 *
 * @param options The auth mode and, for basic and token modes, the user.
 * @returns The running registry; `stop()` it (or `await using`) when done.
 * @throws {Error} When a tool fails or the registry is not ready in 10 s.
 *
 * @example Start an open registry
 * ```ts
 * await using reg = await startRegistry({ mode: "anonymous" });
 * const res = await fetch(`${reg.url}/v2/`);
 * await res.body?.cancel();
 * ```
 */
export async function startRegistry(
  options: StartRegistryOptions,
): Promise<RealRegistry> {
  const mode = options.mode;
  const username = mode === "anonymous"
    ? undefined
    : options.username ?? "testuser";
  const password = mode === "anonymous"
    ? undefined
    : options.password ?? "testpassword";
  const dir = await Deno.makeTempDir({ prefix: "real-registry-" });
  let tokenServer: TokenServer | undefined;
  let launched: Launched | undefined;
  try {
    let auth = "";
    if (mode === "basic") {
      const htpasswd = join(dir, "htpasswd");
      await Deno.writeTextFile(
        htpasswd,
        await htpasswdLine(username!, password!),
      );
      auth = `auth:
  htpasswd:
    realm: test-registry
    path: ${htpasswd}
`;
    } else if (mode === "token") {
      tokenServer = await startTokenServer({
        username: username!,
        password: password!,
      });
      const rootBundle = join(dir, "token-root.pem");
      await Deno.writeTextFile(rootBundle, tokenServer.certificatePem);
      auth = `auth:
  token:
    realm: ${tokenServer.url}
    service: ${tokenServer.service}
    issuer: ${tokenServer.issuer}
    rootcertbundle: ${rootBundle}
`;
    }
    let url = "";
    let host = "";
    for (let attempt = 0;; attempt++) {
      const port = freePort();
      host = `127.0.0.1:${port}`;
      url = `http://${host}`;
      const configPath = join(dir, "config.yml");
      await Deno.writeTextFile(configPath, configYaml(dir, port, auth));
      launched = launch(configPath);
      if (await waitReady(launched, url)) break;
      await terminate(launched);
      const inUse = launched.stderr.some((l) =>
        l.includes("address already in use")
      );
      if (!inUse || attempt >= 1) {
        throw new Error(
          `docker-registry exited before it was ready:\n${
            launched.stderr.slice(-20).join("\n")
          }`,
        );
      }
      launched = undefined;
    }
    const l = launched;
    const visible = () =>
      l.entries.filter((e) => !e.path.includes(MARKER_PARAM));
    const lines = () => visible().map((e) => `${e.method} ${e.path}`);
    let stopping: Promise<void> | undefined;
    const ts = tokenServer;
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        await terminate(l);
        await ts?.stop();
        await Deno.remove(dir, { recursive: true });
      })();
      return stopping;
    };
    return {
      mode,
      host,
      url,
      username,
      password,
      tokenServer,
      dir,
      accessLog: lines,
      accessLogEntries: visible,
      stderrTail: () => [...l.stderr],
      async flushAccessLog(): Promise<string[]> {
        const marker = crypto.randomUUID();
        const seen = () => l.entries.some((e) => e.path.includes(marker));
        let check = () => {};
        const arrived = new Promise<void>((resolve) => {
          check = () => {
            if (seen()) resolve();
          };
          l.waiters.add(check);
        });
        let timer: ReturnType<typeof setTimeout> | undefined;
        try {
          const res = await fetch(`${url}/v2/?${MARKER_PARAM}=${marker}`);
          await res.body?.cancel();
          await Promise.race([
            arrived,
            new Promise<void>((r) => {
              timer = setTimeout(r, FLUSH_TIMEOUT_MS);
            }),
          ]);
        } finally {
          clearTimeout(timer);
          l.waiters.delete(check);
        }
        return lines();
      },
      stop,
      [Symbol.asyncDispose]: stop,
    };
  } catch (e) {
    if (launched) await terminate(launched);
    await tokenServer?.stop();
    await Deno.remove(dir, { recursive: true });
    throw e;
  }
}
