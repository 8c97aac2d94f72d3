/**
 * The logging layer: one line per request sent and one per response (or
 * failure), for `-v` in the examples and `dreg`. Nothing secret is printed:
 * URLs go through the library's one redaction (user info dropped, every
 * query value that is not known to be harmless — upload state, signed
 * storage URLs, token parameters — shown as `REDACTED`), and headers and
 * bodies are never printed, so neither `Authorization`, tokens nor passwords
 * can appear.
 *
 * The lines read:
 *
 * ```text
 * > #1 GET http://127.0.0.1:5000/v2/
 * < #1 401 GET http://127.0.0.1:5000/v2/ (3 ms)
 * > #2 GET https://auth.example.com/token?scope=repository%3Afoo%3Apull&service=registry&account=REDACTED
 * < #2 200 GET https://auth.example.com/token?scope=repository%3Afoo%3Apull&service=registry&account=REDACTED (41 ms)
 * > #3 GET http://127.0.0.1:5000/v2/foo/tags/list
 * < #3 failed GET http://127.0.0.1:5000/v2/foo/tags/list (2 ms): TypeError: connection refused
 * ```
 *
 * `#n` pairs a response with its request when requests overlap, across
 * every transport logging to the same sink (both registries of a copy
 * count in one sequence); the time is from sending the request to the
 * response headers.
 *
 * @module
 */

import { redactText, redactUrl } from "../http/_redact.ts";
import type { Transport } from "./transport.ts";

/**
 * Where log lines go: called with each line, without a trailing newline.
 *
 * @example Log to stderr
 * ```ts
 * import type { LogSink } from "jsr:@scope/docker-registry-client";
 *
 * const log: LogSink = (line) => console.error(line);
 * ```
 */
export type LogSink = (line: string) => void;

/**
 * Logs every request that goes through `inner` and its response (status and
 * time in milliseconds) or failure, one line each, to `log`, with secrets
 * removed (see the module doc). A sink that throws is ignored: logging never
 * fails a request. Requests are numbered per sink: every transport given
 * the same `log` function counts in one sequence.
 *
 * The client puts this layer right above `fetch` when given
 * `createClient({ log })`, so every request on the wire is logged: pings,
 * token requests, each retry and each redirect.
 *
 * @param inner The next layer (usually `fetch`).
 * @param log Called with each line.
 * @returns A transport that logs.
 *
 * @example
 * ```ts
 * import { withLog } from "jsr:@scope/docker-registry-client";
 *
 * const lines: string[] = [];
 * const transport = withLog(
 *   () => Promise.resolve(new Response("{}", { status: 200 })),
 *   (line) => lines.push(line),
 * );
 * await (await transport(new Request("http://127.0.0.1:5000/v2/"))).body?.cancel();
 * console.log(lines); // ["> #1 GET http://127.0.0.1:5000/v2/", "< #1 200 GET http://127.0.0.1:5000/v2/ (0 ms)"]
 * ```
 */
export function withLog(inner: Transport, log: LogSink): Transport {
  const emit = (line: string) => {
    try {
      log(line);
    } catch {
      // A broken sink must not break the request.
    }
  };
  return async (request) => {
    const id = nextId(log);
    const what = `${request.method} ${redactUrl(request.url)}`;
    emit(`> #${id} ${what}`);
    const started = performance.now();
    const elapsed = () => `${Math.round(performance.now() - started)} ms`;
    let res: Response;
    try {
      res = await inner(request);
    } catch (err) {
      emit(`< #${id} failed ${what} (${elapsed()}): ${describe(err)}`);
      throw err;
    }
    emit(`< #${id} ${res.status} ${what} (${elapsed()})`);
    return res;
  };
}

/**
 * The request count of each sink: transports that log to one sink (the
 * clients of both sides of a copy, given the same `log`) number their
 * requests in one sequence, so each `#n` pairs one request with its
 * response in what the sink receives.
 */
const COUNTS = new WeakMap<LogSink, number>();

/** The next request number of a sink. */
function nextId(log: LogSink): number {
  const id = (COUNTS.get(log) ?? 0) + 1;
  COUNTS.set(log, id);
  return id;
}

/** `Name: message` of a failure, with URL queries and user info removed. */
function describe(err: unknown): string {
  if (err instanceof Error) {
    const text = `${err.name}: ${err.message}`.split("\n")[0];
    return redactText(text).slice(0, 300);
  }
  return redactText(String(err)).slice(0, 300);
}
