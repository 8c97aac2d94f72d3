/**
 * The running fake registry: a connection relay in front of the registry
 * server, a second origin for blob redirects, and the router that records
 * requests, applies the early faults, authenticates and dispatches to the
 * handlers.
 *
 * @module
 */

import { STATUS_CODE } from "@std/http/status";
import { MEDIA_TYPE } from "../ref/media_types.ts";
import type {
  FakeFaults,
  FakeManifest,
  FakeRateLimit,
  FakeRegistry,
  FakeRepository,
  FakeSecondOrigin,
  FakeUpload,
  RecordedRequest,
  UploadStep,
} from "./_fake_types.ts";
import { type Access, Authority } from "./_fake_auth.ts";
import { serveBlob } from "./_fake_blobs.ts";
import type {
  Context,
  RegistryState,
  ResolvedOptions,
} from "./_fake_context.ts";
import { hugeStream, matches, takeFault } from "./_fake_faults.ts";
import { trickled, uploadStep } from "./_fake_hostile.ts";
import {
  API_VERSION_HEADERS,
  codeForStatus,
  discardBody,
  empty,
  notFound,
  ociError,
  sleep,
} from "./_fake_http.ts";
import { ConnectionRelay } from "./_fake_proxy.ts";
import { ROUTES } from "./_fake_routes.ts";
import { FakeStore, NAME_RE, parseManifest } from "./_fake_store.ts";

const BLOB_PATH_RE = /^\/v2\/.+\/blobs\/([^/]+)$/;
/** Statuses whose answers carry no body. */
const NULL_BODY_STATUSES: ReadonlySet<number> = new Set([
  STATUS_CODE.NoContent,
  STATUS_CODE.ResetContent,
  STATUS_CODE.NotModified,
]);

/** The fake: a relay, the registry server behind it, a second origin. */
export class FakeRegistryServer implements FakeRegistry, RegistryState {
  readonly url: string;
  readonly host: string;
  faults: FakeFaults = {};
  readonly requests: RecordedRequest[] = [];
  readonly secondOrigin: FakeSecondOrigin;
  readonly options: ResolvedOptions;
  readonly store: FakeStore = new FakeStore();
  readonly rateLimit: FakeRateLimit | undefined;
  readonly secondOriginUrl: string;
  #authority: Authority;
  #server: Deno.HttpServer<Deno.NetAddr>;
  #second: Deno.HttpServer<Deno.NetAddr>;
  #relay: ConnectionRelay;
  #closed?: Promise<void>;

  constructor(options: ResolvedOptions, rateLimit?: FakeRateLimit) {
    this.options = options;
    this.rateLimit = rateLimit && { ...rateLimit };
    // The relay takes the public port first: when that port is taken,
    // nothing else has started.
    this.#relay = new ConnectionRelay(options.port);
    const quiet = { hostname: "127.0.0.1", port: 0, onListen() {}, onError };
    this.#server = Deno.serve(quiet, (req, info) => this.#handle(req, info));
    this.#second = Deno.serve(quiet, (req) => this.#handleSecond(req));
    this.#relay.start(this.#server.addr.port);
    this.host = `127.0.0.1:${this.#relay.port}`;
    this.url = `http://${this.host}`;
    const secondHost = `127.0.0.1:${this.#second.addr.port}`;
    this.secondOriginUrl = `http://${secondHost}`;
    this.secondOrigin = {
      url: this.secondOriginUrl,
      host: secondHost,
      requests: [],
    };
    this.#authority = new Authority({
      mode: options.auth,
      username: options.username,
      password: options.password,
      lifetimeSeconds: options.tokenLifetimeSeconds,
      realm: `${this.url}/token`,
      service: "fake",
    }, () => this.faults);
  }

  get blobs(): Map<string, Uint8Array> {
    return this.store.blobs;
  }

  get repositories(): Map<string, FakeRepository> {
    return this.store.repositories;
  }

  get uploads(): Map<string, FakeUpload> {
    return this.store.uploads;
  }

  get tokensIssued(): number {
    return this.#authority.issued;
  }

  seedBlob(repo: string, bytes: Uint8Array | string): string {
    return this.store.putBlob(repo, toBytes(bytes));
  }

  seedManifest(
    repo: string,
    ref: string,
    manifest: Uint8Array | string | Record<string, unknown>,
    mediaType?: string,
  ): string {
    const bytes = manifest instanceof Uint8Array || typeof manifest === "string"
      ? toBytes(manifest)
      : toBytes(JSON.stringify(manifest));
    const bodyType = parseManifest(bytes)?.mediaType;
    const type = mediaType ??
      (typeof bodyType === "string" ? bodyType : MEDIA_TYPE.OCI_MANIFEST);
    return this.store.putManifest(repo, ref, bytes, type);
  }

  getBlob(digest: string): Uint8Array | undefined {
    return this.store.blobs.get(digest);
  }

  getManifest(
    repo: string,
    ref: string,
  ): (FakeManifest & { digest: string }) | undefined {
    const found = this.store.resolveManifest(repo, ref);
    return found && { ...found.manifest, digest: found.digest };
  }

  revokeTokens(): void {
    this.#authority.revoke();
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      await this.#relay.close();
      await Promise.all([this.#server.shutdown(), this.#second.shutdown()]);
    })();
    return this.#closed;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** The router: record, delay, faults, token endpoint, routes. */
  async #handle(req: Request, info: Deno.ServeHandlerInfo): Promise<Response> {
    const url = new URL(req.url);
    const pathAndQuery = url.pathname + url.search;
    this.requests.push(record(req, pathAndQuery));
    if (this.faults.delayMs) {
      const port = (info.remoteAddr as Deno.NetAddr).port;
      await sleep(this.faults.delayMs, this.#relay.closedSignal(port));
    }
    const early = this.#faultAnswer(req, pathAndQuery);
    if (early !== undefined) {
      await discardBody(req);
      return early;
    }
    const response = url.pathname === "/token" &&
        this.options.auth === "bearer"
      ? await this.#authority.tokenEndpoint(req, url)
      : await this.#route(req, url, pathAndQuery, info);
    await discardBody(req);
    if (url.pathname.startsWith("/v2/")) {
      response.headers.set(
        "docker-distribution-api-version",
        API_VERSION_HEADERS["docker-distribution-api-version"],
      );
    }
    const trickle = takeFault(this.faults, "trickle", req.method, pathAndQuery);
    return trickle === undefined ? response : trickled(response, trickle);
  }

  /**
   * The upload faults of a request (`step` of an upload, if it is one):
   * `expireTokensAt` expires every token before the request is
   * authenticated; `uploadUnauthorized` refuses it once it is (the 401
   * answer is returned).
   */
  #uploadFault(
    req: Request,
    pathAndQuery: string,
    step: UploadStep | undefined,
    phase: "before" | "after",
    needed: Access[],
  ): Response | undefined {
    if (step === undefined) return undefined;
    const key = phase === "before" ? "expireTokensAt" : "uploadUnauthorized";
    if (
      this.faults[key]?.step !== step ||
      !takeFault(this.faults, key, req.method, pathAndQuery)
    ) {
      return undefined;
    }
    if (phase === "before") {
      this.#authority.expireTokens();
      return undefined;
    }
    return this.#authority.refuse(
      needed,
      "invalid_token",
      `token refused at the upload's ${step} (fault)`,
    );
  }

  /** The answer of a `status` or `hugeBody` fault, if one applies. */
  #faultAnswer(req: Request, pathAndQuery: string): Response | undefined {
    const status = takeFault(this.faults, "status", req.method, pathAndQuery);
    if (status !== undefined) {
      const headers: Record<string, string> = status.retryAfter === undefined
        ? {}
        : { "retry-after": status.retryAfter };
      if (NULL_BODY_STATUSES.has(status.status)) {
        return empty(status.status, headers);
      }
      return ociError(
        status.status,
        status.code ?? codeForStatus(status.status),
        "fault injected by the fake registry",
        undefined,
        headers,
      );
    }
    const huge = this.faults.hugeBody;
    if (huge !== undefined && matches(huge, req.method, pathAndQuery)) {
      const headers: Record<string, string> = {
        "content-type": huge.contentType ?? "application/octet-stream",
      };
      if (huge.contentLength) headers["content-length"] = String(huge.bytes);
      const body = req.method === "HEAD" ? null : hugeStream(huge.bytes);
      return new Response(body, {
        status: huge.status ?? STATUS_CODE.OK,
        headers,
      });
    }
    return undefined;
  }

  async #route(
    req: Request,
    url: URL,
    pathAndQuery: string,
    info: Deno.ServeHandlerInfo,
  ): Promise<Response> {
    for (const route of ROUTES) {
      const match = route.pattern.exec(url.pathname);
      if (match === null) continue;
      const handler = route.handlers[req.method];
      if (handler === undefined) {
        return ociError(
          STATUS_CODE.MethodNotAllowed,
          "UNSUPPORTED",
          `${req.method} is not supported`,
        );
      }
      const name = match.groups?.name ?? "";
      if (name !== "" && !NAME_RE.test(name)) {
        return ociError(
          STATUS_CODE.BadRequest,
          "NAME_INVALID",
          "invalid repository name",
          {
            name,
          },
        );
      }
      const ctx: Context = {
        req,
        url,
        method: req.method,
        pathAndQuery,
        name,
        ref: decode(match.groups?.ref ?? ""),
        state: this,
        kill: () => this.#relay.kill((info.remoteAddr as Deno.NetAddr).port),
      };
      const needed = route.access(ctx);
      const step = uploadStep(req.method, url.pathname);
      this.#uploadFault(req, pathAndQuery, step, "before", needed);
      const denied = this.#authority.authorize(req, needed) ??
        this.#uploadFault(req, pathAndQuery, step, "after", needed);
      return denied ?? await handler(ctx);
    }
    return notFound();
  }

  /** The second origin: blobs by path, no authentication. */
  async #handleSecond(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const pathAndQuery = url.pathname + url.search;
    this.secondOrigin.requests.push(record(req, pathAndQuery));
    await discardBody(req);
    const digest = decode(BLOB_PATH_RE.exec(url.pathname)?.[1] ?? "");
    const bytes = this.store.blobs.get(digest);
    if (bytes === undefined || !["GET", "HEAD"].includes(req.method)) {
      return notFound();
    }
    return serveBlob(
      {
        req,
        url,
        method: req.method,
        pathAndQuery,
        name: "",
        ref: digest,
        state: this,
        kill() {},
      },
      bytes,
      digest,
    );
  }
}

function onError(error: unknown): Response {
  return ociError(
    STATUS_CODE.InternalServerError,
    "UNKNOWN",
    "the fake registry failed",
    String(error),
  );
}

function record(req: Request, path: string): RecordedRequest {
  return {
    method: req.method,
    path,
    headers: Object.fromEntries(req.headers),
    at: Date.now(),
  };
}

function toBytes(value: Uint8Array | string): Uint8Array {
  return typeof value === "string" ? new TextEncoder().encode(value) : value;
}

function decode(component: string): string {
  try {
    return decodeURIComponent(component);
  } catch {
    return component;
  }
}
