// Private: the request plumbing of one repository, shared by the client's
// read side, its uploads and its manifest pushes. Builds URLs and requests,
// sends them through the transport, and turns unexpected statuses and
// network failures into typed errors.

import { errorFromResponse } from "../http/_body.ts";
import { secretsSentWith } from "../transport/_sent_secrets.ts";
import { parseDigest } from "../ref/_digest_core.ts";
import { redactError } from "../http/_redact.ts";
import {
  ConnectionError,
  InvalidReferenceError,
  RegistryError,
} from "../errors.ts";
import type { Transport } from "../transport/transport.ts";
import { markReplayable } from "../transport/_replay.ts";

const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/** Per-call options: every call can be cancelled. */
export interface CallOptions {
  /** Cancels the call, including a body being read or written. */
  signal?: AbortSignal;
}

/** The request plumbing of one repository. */
export class RepoHttp {
  /** The registry's base URL, e.g. `https://registry-1.docker.io`. */
  readonly baseUrl: string;
  /** The repository's remote name, e.g. `library/alpine`. */
  readonly name: string;
  readonly #transport: Transport;
  readonly #signal?: AbortSignal;

  constructor(
    baseUrl: string,
    name: string,
    transport: Transport,
    signal?: AbortSignal,
  ) {
    this.baseUrl = baseUrl;
    this.name = name;
    this.#transport = transport;
    this.#signal = signal;
  }

  /**
   * The same plumbing, also calling `onResponse` with each request and the
   * response it got (for the earlier clients' `resp`/`ress` results).
   */
  observe(
    onResponse: (request: Request, response: Response) => void,
  ): RepoHttp {
    const transport = this.#transport;
    return new RepoHttp(this.baseUrl, this.name, async (request) => {
      const response = await transport(request);
      onResponse(request, response);
      return response;
    }, this.#signal);
  }

  /** `<base>/v2/<name>/<path>`. */
  url(path: string): string {
    return `${this.baseUrl}/v2/${this.name}/${path}`;
  }

  /** The client-wide signal combined with the call's own. */
  signal(call?: CallOptions): AbortSignal | undefined {
    const signals = [this.#signal, call?.signal].filter((s) => s !== undefined);
    if (signals.length === 0) return undefined;
    return signals.length === 1 ? signals[0] : AbortSignal.any(signals);
  }

  /** A request carrying the call's signal; in-memory bodies can be replayed. */
  request(
    method: string,
    url: string | URL,
    call: CallOptions | undefined,
    init: { headers?: HeadersInit; body?: BodyInit | null } = {},
  ): Request {
    const request = new Request(url, {
      method,
      headers: init.headers,
      body: init.body,
      signal: this.signal(call),
      // Node's fetch sends a stream body only when told it is half duplex.
      ...(init.body instanceof ReadableStream ? { duplex: "half" } : {}),
    } as RequestInit);
    if (init.body instanceof Uint8Array || typeof init.body === "string") {
      markReplayable(request);
    }
    return request;
  }

  /** Sends one request; a status outside `ok` becomes a typed error. */
  async send(
    attempted: string,
    request: Request,
    ok: readonly number[],
  ): Promise<Response> {
    let res: Response;
    try {
      res = await this.#transport(request);
    } catch (err) {
      // Cancelled by the caller: the signal's reason, as given.
      if (request.signal.aborted) throw err;
      throw asRegistryError(err, attempted);
    }
    if (!ok.includes(res.status)) {
      throw await errorFromResponse(
        res,
        attempted,
        request.method,
        request.url,
        secretsSentWith(request),
      );
    }
    return res;
  }

  /** A tag or digest, validated; by default `fallback`. */
  ref(ref: string | undefined, fallback: string): string {
    const r = ref ?? fallback;
    if (r.includes(":")) parseDigest(r);
    else if (!TAG_RE.test(r)) {
      throw new InvalidReferenceError(
        "tag",
        r,
        "must match [A-Za-z0-9_][A-Za-z0-9._-]{0,127}",
      );
    }
    return r;
  }
}

/** Whether an error is an abort or a timeout from a signal. */
export function isAbort(err: unknown): boolean {
  return err instanceof DOMException &&
    (err.name === "AbortError" || err.name === "TimeoutError");
}

/**
 * Network failures become `ConnectionError` (their messages, which name the
 * URL, redacted); typed errors and aborts pass.
 */
export function asRegistryError(err: unknown, attempted: string): unknown {
  if (err instanceof RegistryError || isAbort(err)) return err;
  return new ConnectionError(attempted, { cause: redactError(err) });
}

/** `@digest` or `:tag`, for messages. */
export function refSuffix(ref: string): string {
  return ref.includes(":") ? `@${ref}` : `:${ref}`;
}
