/**
 * A TCP relay in front of the fake registry's HTTP server, so that a handler
 * can cut the client's connection in the middle of a request — something
 * `Deno.serve` cannot do by itself.
 *
 * @module
 */

interface Link {
  client: Deno.TcpConn;
  backend: Deno.TcpConn;
  closed: AbortController;
}

/** Relays connections from a public port to a backend port. */
export class ConnectionRelay {
  #listener: Deno.TcpListener;
  #backendPort = 0;
  /** Links by the relay's local port on the backend side. */
  #links = new Map<number, Link>();
  #pipes = new Set<Promise<void>>();
  #accepting: Promise<void> = Promise.resolve();
  #closing = false;

  /**
   * Listens on 127.0.0.1, on `port` (0: a free one); relays nothing until
   * {@linkcode ConnectionRelay.start}. Throws `Deno.errors.AddrInUse` when
   * the port is taken.
   */
  constructor(port: number) {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port });
  }

  /** Starts relaying connections to `backendPort`. */
  start(backendPort: number): void {
    this.#backendPort = backendPort;
    this.#accepting = this.#accept();
  }

  /** The public port. */
  get port(): number {
    return this.#listener.addr.port;
  }

  /**
   * Closes the client connection whose backend side has `remotePort` (the
   * port `Deno.serve` reports in `info.remoteAddr`).
   */
  kill(remotePort: number): void {
    const link = this.#links.get(remotePort);
    if (link === undefined) return;
    this.#links.delete(remotePort);
    closeQuietly(link.client);
    closeQuietly(link.backend);
    link.closed.abort();
  }

  /**
   * A signal that aborts when the connection with backend-side
   * `remotePort` closes (the client went away, or it was killed). Used
   * instead of `Request.signal`, whose use makes `Deno.serve` print a
   * warning.
   */
  closedSignal(remotePort: number): AbortSignal {
    return this.#links.get(remotePort)?.closed.signal ?? AbortSignal.abort();
  }

  /** Stops accepting and closes every connection. */
  async close(): Promise<void> {
    this.#closing = true;
    closeQuietly(this.#listener);
    for (const port of [...this.#links.keys()]) this.kill(port);
    await this.#accepting;
    await Promise.all(this.#pipes);
  }

  async #accept(): Promise<void> {
    try {
      for await (const client of this.#listener) {
        await this.#relay(client);
      }
    } catch {
      // the listener was closed
    }
  }

  async #relay(client: Deno.TcpConn): Promise<void> {
    let backend: Deno.TcpConn;
    try {
      backend = await Deno.connect({
        hostname: "127.0.0.1",
        port: this.#backendPort,
      });
    } catch {
      closeQuietly(client);
      return;
    }
    if (this.#closing) {
      closeQuietly(client);
      closeQuietly(backend);
      return;
    }
    const port = backend.localAddr.port;
    this.#links.set(port, { client, backend, closed: new AbortController() });
    // HTTP clients do not half-close: when either side ends, both go.
    const up = client.readable.pipeTo(backend.writable).catch(() => {});
    const down = backend.readable.pipeTo(client.writable).catch(() => {});
    Promise.race([up, down]).then(() => this.kill(port));
    const pipe = Promise.all([up, down]).then(() => {});
    this.#pipes.add(pipe);
    pipe.then(() => this.#pipes.delete(pipe));
  }
}

function closeQuietly(resource: { close(): void }): void {
  try {
    resource.close();
  } catch {
    // already closed
  }
}
