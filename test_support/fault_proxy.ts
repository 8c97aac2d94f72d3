/**
 * A fault-injecting TCP proxy for tests against a real registry: it relays
 * connections from a local port to the registry and, on request, cuts the
 * connection in the middle of a response body — after the response head and
 * a given number of body bytes — as a flaky network would.
 *
 * Private test support: not re-exported.
 *
 * @module
 */

import { concat } from "@std/bytes/concat";
import { indexOfNeedle } from "@std/bytes/index-of-needle";

/** Which responses to cut, see {@linkcode FaultProxy.dropResponses}. */
export interface DropRule {
  /** Requests whose method matches. @default {"GET"} */
  method?: string;
  /** Requests whose target (path and query) matches. */
  path: RegExp;
  /** Body bytes relayed before the cut. */
  afterBytes: number;
  /** How many responses to cut. @default {1} */
  times?: number;
}

/** A request the proxy saw, from its request line and headers. */
export interface ProxiedRequest {
  method: string;
  target: string;
  /** The `Range` header, if any. */
  range?: string;
  /** Whether the proxy cut its response. */
  cut: boolean;
}

const REQUEST_LINE =
  /(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) (\S+) HTTP\/1\.[01]\r\n([\s\S]*?)\r\n\r\n/g;
const HEAD_END = new Uint8Array([13, 10, 13, 10]);

/** A TCP relay to `127.0.0.1:<port>` that can cut responses short. */
export class FaultProxy implements AsyncDisposable {
  readonly #listener: Deno.TcpListener;
  readonly #targetPort: number;
  readonly #conns = new Set<Deno.TcpConn>();
  readonly #pumps = new Set<Promise<void>>();
  readonly #accepting: Promise<void>;
  #rule?: DropRule & { left: number };
  /** Every request seen, oldest first. */
  readonly requests: ProxiedRequest[] = [];

  /**
   * Listens on a free loopback port.
   *
   * @param targetPort The registry's port on 127.0.0.1.
   */
  constructor(targetPort: number) {
    this.#targetPort = targetPort;
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#accepting = this.#accept();
  }

  /** `127.0.0.1:PORT`, as in image references. */
  get host(): string {
    return `127.0.0.1:${this.#listener.addr.port}`;
  }

  /** Responses cut so far. */
  get cuts(): number {
    return this.requests.filter((r) => r.cut).length;
  }

  /**
   * Cuts the next `times` responses to matching requests after the response
   * head and `afterBytes` bytes of body.
   *
   * @param rule Which responses, and where to cut.
   */
  dropResponses(rule: DropRule): void {
    this.#rule = { ...rule, left: rule.times ?? 1 };
  }

  /** Stops listening and closes every connection. */
  async close(): Promise<void> {
    try {
      this.#listener.close();
    } catch {
      // already closed
    }
    for (const conn of this.#conns) closeQuietly(conn);
    await this.#accepting;
    await Promise.all(this.#pumps);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #accept(): Promise<void> {
    try {
      for await (const client of this.#listener) {
        let upstream: Deno.TcpConn;
        try {
          upstream = await Deno.connect({
            hostname: "127.0.0.1",
            port: this.#targetPort,
          });
        } catch {
          closeQuietly(client);
          continue;
        }
        this.#conns.add(client);
        this.#conns.add(upstream);
        const pump = this.#relay(client, upstream).finally(() => {
          this.#conns.delete(client);
          this.#conns.delete(upstream);
          this.#pumps.delete(pump);
        });
        this.#pumps.add(pump);
      }
    } catch {
      // the listener was closed
    }
  }

  /**
   * Relays one connection. Clients do not pipeline: once a request is seen,
   * the next bytes from the registry are its response. A request that a
   * rule matches arms a cut of that response.
   */
  async #relay(client: Deno.TcpConn, upstream: Deno.TcpConn): Promise<void> {
    let armed: (ProxiedRequest & { afterBytes: number }) | undefined;
    const closeBoth = () => {
      closeQuietly(client);
      closeQuietly(upstream);
    };
    const up = (async () => {
      const decoder = new TextDecoder("latin1");
      let pending = "";
      const buffer = new Uint8Array(64 * 1024);
      for (;;) {
        const n = await client.read(buffer).catch(() => null);
        if (n === null) break;
        pending += decoder.decode(buffer.subarray(0, n));
        REQUEST_LINE.lastIndex = 0;
        let match;
        let consumed = 0;
        while ((match = REQUEST_LINE.exec(pending)) !== null) {
          consumed = REQUEST_LINE.lastIndex;
          const range = /^range:\s*(.*)$/im.exec(match[3])?.[1]?.trim();
          const seen: ProxiedRequest = {
            method: match[1],
            target: match[2],
            ...(range ? { range } : {}),
            cut: false,
          };
          this.requests.push(seen);
          const rule = this.#rule;
          if (
            rule && rule.left > 0 && (rule.method ?? "GET") === match[1] &&
            rule.path.test(match[2])
          ) {
            rule.left--;
            armed = Object.assign(seen, { afterBytes: rule.afterBytes });
          }
        }
        pending = pending.slice(consumed).slice(-16 * 1024);
        if (!(await writeAll(upstream, buffer.subarray(0, n)))) break;
      }
      closeBoth();
    })();
    const down = (async () => {
      const buffer = new Uint8Array(64 * 1024);
      let tail = new Uint8Array(0);
      let budget: number | undefined;
      for (;;) {
        const n = await upstream.read(buffer).catch(() => null);
        if (n === null) break;
        const chunk = buffer.subarray(0, n);
        if (armed !== undefined) {
          if (budget === undefined) {
            // Find the end of the response head; the body starts after it.
            const joined = concat([tail, chunk]);
            const end = indexOfNeedle(joined, HEAD_END);
            if (end >= 0) {
              budget = armed.afterBytes + (end + 4 - tail.byteLength);
            } else tail = joined.slice(-3);
          }
          if (budget !== undefined) {
            if (chunk.byteLength >= budget) {
              await writeAll(client, chunk.subarray(0, budget));
              armed.cut = true;
              break;
            }
            budget -= chunk.byteLength;
          }
        }
        if (!(await writeAll(client, chunk))) break;
      }
      closeBoth();
    })();
    await Promise.all([up, down]);
  }
}

async function writeAll(
  conn: Deno.TcpConn,
  bytes: Uint8Array,
): Promise<boolean> {
  try {
    for (let off = 0; off < bytes.byteLength;) {
      off += await conn.write(bytes.subarray(off));
    }
    return true;
  } catch {
    return false;
  }
}

function closeQuietly(resource: { close(): void }): void {
  try {
    resource.close();
  } catch {
    // already closed
  }
}
