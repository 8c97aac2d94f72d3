/**
 * The per-repository client: `createClient()` returns a
 * {@linkcode RegistryClientV2} for one repository.
 *
 * @module
 */

import { readBounded } from "../http/_body.ts";
import {
  asRegistryError,
  type CallOptions,
  refSuffix,
  RepoHttp,
} from "./_repo_http.ts";
import { redactUrl } from "../http/_redact.ts";
import type {
  CredentialProvider,
  Credentials,
} from "../credentials/provider.ts";
import { digestOfBytes, parseDigest } from "../ref/_digest_core.ts";
import {
  ConnectionError,
  DigestMismatchError,
  InvalidResponseError,
  ManifestTooLargeError,
  NotFoundError,
  RegistryError,
} from "../errors.ts";
import { nextLink } from "../http/link.ts";
import {
  isJsonObject,
  isObjectList,
  MANIFEST_SIZE_CAP,
} from "../ref/_manifest_checks.ts";
// Hashing (node:crypto) is only loaded by the modules behind these dynamic
// imports, when a blob moves: listing tags or reading a manifest starts
// without Deno's Node compatibility layer.
import type {
  BlobSource,
  BlobUploadOptions,
  BlobUploadResult,
  MountResult,
} from "./uploads/blob_upload.ts";
import type { PutManifestOptions, PutManifestResult } from "./manifest_push.ts";
import {
  type Descriptor,
  type ImageIndex,
  isImageIndex,
  type Manifest,
  MEDIA_TYPE,
  SCHEMA1_MEDIA_TYPES,
} from "../ref/media_types.ts";
import { type PlatformSpec, selectPlatform } from "../ref/platform.ts";
import { chunkSizeFor, quirksFor } from "../registries.ts";
import {
  parseRepoAndRef,
  type RepoInfo,
  type RepoRef,
} from "../ref/reference.ts";
import {
  type AuthOptions,
  type LoginResult,
  RegistryAuth,
} from "../transport/auth.ts";
import { composeTransport } from "../transport/compose.ts";
import type { RetryOptions } from "../transport/retry.ts";
import type { Transport } from "../transport/transport.ts";
import { isLoopbackHostPort } from "../transport/_loopback.ts";

/** Manifests are read and pushed up to this many bytes unless told otherwise (4 MiB). */
export const DEFAULT_MAX_MANIFEST_BYTES: number = MANIFEST_SIZE_CAP;

/** Options of {@linkcode createClient}. */
export interface ClientOptions {
  /** The repository: `busybox`, `quay.io/foo/bar:1`, `http://127.0.0.1:5000/foo`, or a parsed reference. */
  repo: string | RepoInfo;
  /** A username for Basic auth or for the token server. */
  username?: string;
  /** The password (or access token used as a password). */
  password?: string;
  /** A bearer token used as given; never replaced by a token request. */
  token?: string;
  /**
   * Where to find credentials when `username`/`password`/`token` are not
   * given: a provider (see the `/credentials` subpath) or credentials.
   */
  credentials?: CredentialProvider | Credentials;
  /**
   * `https` or `http`. When neither this nor the reference names one, https
   * is used, except for loopback hosts (`localhost`, 127.0.0.0/8, `[::1]`),
   * which use http as docker does.
   */
  scheme?: "http" | "https";
  /**
   * Allow sending credentials over plain http to a host that is not loopback.
   * (Deno cannot turn TLS verification off per client: trust a private CA
   * with `caCerts`, or run Deno with `--unsafely-ignore-certificate-errors`.)
   * @default {false}
   */
  insecure?: boolean;
  /** Extra root certificates (PEM) to trust, via `Deno.createHttpClient`. */
  caCerts?: string[];
  /** The `User-Agent` header. */
  userAgent?: string;
  /**
   * Accept Docker manifest lists when getting manifests.
   * @default {true}
   */
  acceptManifestLists?: boolean;
  /**
   * Accept OCI manifests and indexes when getting manifests.
   * @default {true}
   */
  acceptOCIManifests?: boolean;
  /**
   * Accept (deprecated) Docker schema 1 manifests.
   * @default {false}
   */
  acceptSchema1?: boolean;
  /** Extra token scopes to ask for, e.g. `repository:other:pull`. */
  scopes?: string[];
  /** The fetch to use (injectable for tests). @default {globalThis.fetch} */
  fetch?: Transport;
  /** Cancels every request of this client. */
  signal?: AbortSignal;
  /**
   * The largest manifest read or written, in bytes.
   * @default {4194304}
   */
  maxManifestBytes?: number;
  /** Retry attempts and delays (see `DEFAULT_RETRY`). */
  retry?: RetryOptions;
  /** How many redirects one request may follow. @default {10} */
  maxRedirects?: number;
  /**
   * The longest one HTTP request (each attempt) waits on the network: for
   * its response headers, then for each read of its body (so a long but
   * steady download is never cut). A request that times out fails like a
   * dropped connection: retried when safe, resumed for blobs, else a
   * `ConnectionError`. `0` turns it off. For a deadline on a whole call, pass
   * `signal: AbortSignal.timeout(ms)`.
   * @default {120000}
   */
  requestTimeoutMs?: number;
  /**
   * Get tokens with an OAuth2 `POST` (`grant_type=password`) rather than a
   * `GET` with Basic credentials.
   * @default {false}
   */
  oauth2?: boolean;
  /**
   * How many times a blob download resumes after a dropped connection.
   * @default {3}
   */
  maxResumes?: number;
  /**
   * The most pages a listing follows.
   * @default {10000}
   */
  maxPages?: number;
  /**
   * Share the auth state of another client of the same registry (its
   * `auth`): the ping answer, the tokens, the credentials — and the
   * transport that state sends every request through. The request then
   * goes out as the client that created the `RegistryAuth` was configured:
   * its `fetch`, `caCerts`, `userAgent`, `retry`, `maxRedirects`,
   * `requestTimeoutMs`, and its `username`/`password`/`token`/
   * `credentials`/`useDefaultCredentials`/`scopes`/`insecure`/`oauth2`.
   * Those options of this client are ignored; the others (`signal`,
   * `maxManifestBytes`, `maxResumes`, `maxPages`, the `accept*` flags…)
   * still apply.
   *
   * @throws {TypeError} From the constructor when it authenticates to
   *   another registry origin than this client's.
   */
  auth?: RegistryAuth;
  /**
   * When no credentials are given, look them up where docker and podman keep
   * them (config files, credential helpers — the `/credentials` subpath's
   * default chain). Only done when Deno already grants env and read
   * permission, so it never prompts; nothing found means anonymous.
   * @default {true}
   */
  useDefaultCredentials?: boolean;
}

export type { CallOptions };
export type {
  BlobSource,
  BlobUploadOptions,
  BlobUploadResult,
  MountResult,
  PutManifestOptions,
  PutManifestResult,
};

/** Options of listings (`listTags`, `listCatalog`). */
export interface ListOptions extends CallOptions {
  /** The page size (`n`) to ask for; by default the registry's own. */
  pageSize?: number;
  /** The most pages to follow. @default {ClientOptions.maxPages} */
  maxPages?: number;
}

/** The seed-compatible result of {@linkcode RegistryClientV2.listTags}. */
export interface TagList {
  /** The repository name, as the registry gives it. */
  name: string;
  /** Every tag, across all pages. */
  tags: string[];
}

/** The result of {@linkcode RegistryClientV2.listCatalog}. */
export interface Catalog {
  /** Every repository, across all pages. */
  repositories: string[];
}

/** Options of {@linkcode RegistryClientV2.getManifest}. */
export interface GetManifestOptions extends CallOptions {
  /** From an index or manifest list, follow the entry for this platform. */
  platform?: PlatformSpec;
  /** The largest manifest read. @default {ClientOptions.maxManifestBytes} */
  maxBytes?: number;
}

/** A manifest as read from the registry. */
export interface ManifestResult {
  /** The parsed manifest. */
  manifest: Manifest;
  /** Its media type (from the body, else `Content-Type`). */
  mediaType: string;
  /** Its digest, verified. */
  digest: string;
  /** The exact bytes. */
  bytes: Uint8Array;
  /** The size in bytes. */
  size: number;
}

/** What {@linkcode RegistryClientV2.headManifest} returns. */
export interface ManifestHead {
  /** The manifest's digest. */
  digest: string;
  /** Its media type. */
  mediaType: string;
  /** Its size in bytes. */
  size: number;
}

/** What {@linkcode RegistryClientV2.headBlob} returns. */
export interface BlobHead {
  /** The blob's digest. */
  digest: string;
  /** Its size in bytes. */
  size: number;
  /** Its media type, when the registry says. */
  mediaType?: string;
}

/** Options of {@linkcode RegistryClientV2.createBlobReadStream}. */
export interface BlobReadOptions extends CallOptions {
  /** The expected size, from a descriptor; checked while streaming. */
  size?: number;
  /** How many times to resume after a dropped connection. */
  maxResumes?: number;
}

/** A blob being read: a verified stream plus the response metadata. */
export interface BlobReadStream {
  /** The bytes; the stream errors on a digest or size mismatch. */
  stream: ReadableStream<Uint8Array>;
  /** The digest asked for (and checked). */
  digest: string;
  /** The size, from the descriptor or `Content-Length`, if known. */
  size?: number;
  /** `Content-Type` of the response, if any. */
  contentType?: string;
  /** The final response's headers. */
  headers: Headers;
  /** The final URL (after redirects), with secrets removed. */
  url: string;
}

/** Options of {@linkcode RegistryClientV2.getReferrers}. */
export interface ReferrersOptions extends CallOptions {
  /** Only referrers of this artifact type. */
  artifactType?: string;
}

/** What {@linkcode RegistryClientV2.ping} learned. */
export interface PingInfo {
  /** 200 (open) or 401 (authentication needed). */
  status: number;
  /** Whether the registry speaks the V2 API. */
  supportsV2: boolean;
  /** The auth schemes the registry offers, lower-cased (`bearer`, `basic`). */
  authSchemes: string[];
}

/**
 * A client for one repository of a registry (Docker Registry HTTP API V2 and
 * the OCI distribution spec). Create it with {@linkcode createClient}.
 *
 * @example
 * ```ts
 * import { createClient } from "jsr:@scope/docker-registry-client";
 *
 * const client = createClient({ repo: "http://127.0.0.1:5000/foo" });
 * const { tags } = await client.listTags();
 * const { digest } = await client.headManifest(tags[0]);
 * console.log(digest);
 * ```
 */
export class RegistryClientV2 {
  /** The parsed repository reference. */
  readonly repo: RepoRef;
  /** The registry's base URL, e.g. `https://registry-1.docker.io`. */
  readonly baseUrl: string;
  /** The auth state; pass it as `auth` to another client of this registry to share tokens. */
  readonly auth: RegistryAuth;
  /** Docker Hub's `RateLimit-Limit`/`RateLimit-Remaining`, from the latest response that had them. */
  rateLimit?: RateLimit;
  readonly #options: ClientOptions;
  readonly #http: RepoHttp;
  readonly #name: string;
  /** The HTTP client made for `caCerts`, closed by `close()`. */
  #httpClient?: Deno.HttpClient;

  /**
   * Prefer {@linkcode createClient}.
   *
   * @param options The repository and how to reach it.
   */
  constructor(options: ClientOptions) {
    this.#options = options;
    this.repo = typeof options.repo === "string"
      ? parseRepoAndRef(options.repo)
      : toRepoRef(options.repo);
    const index = this.repo.index;
    const scheme = options.scheme ?? index.scheme ??
      (isLoopbackHostPort(index.name) ? "http" : "https");
    const host = quirksFor(index.name).apiHost ?? index.name;
    this.baseUrl = `${scheme}://${host}`;
    this.#name = this.repo.remoteName;
    if (options.auth) {
      const origin = new URL(this.baseUrl).origin;
      if (options.auth.origin !== origin) {
        throw new TypeError(
          `Cannot create a client for ${origin} with the auth state of ${options.auth.origin}`,
        );
      }
      // Shared: its transport (and its options) come with it.
      this.auth = options.auth;
    } else {
      let fetchFn = options.fetch;
      if (!fetchFn && options.caCerts?.length) {
        const httpClient = Deno.createHttpClient({
          caCerts: options.caCerts,
        });
        this.#httpClient = httpClient;
        fetchFn = (request) => fetch(request, { client: httpClient });
      }
      const inner = composeTransport({
        fetch: fetchFn,
        userAgent: options.userAgent,
        retry: options.retry,
        maxRedirects: options.maxRedirects,
        requestTimeoutMs: options.requestTimeoutMs,
      });
      this.auth = new RegistryAuth(inner, {
        registry: this.baseUrl,
        ...authOptionsFrom(options, index.name, this.#name),
      });
    }
    const authTransport = this.auth.transport;
    this.#http = new RepoHttp(
      this.baseUrl,
      this.#name,
      async (request) => {
        const res = await authTransport(request);
        const limit = readRateLimit(res.headers);
        if (limit) this.rateLimit = limit;
        return res;
      },
      options.signal,
    );
  }

  /** GETs or HEADs a manifest by tag or digest (default: the reference's own). */
  async #requestManifest(
    method: "GET" | "HEAD",
    ref: string | undefined,
    options: CallOptions,
    ok: readonly number[] = [200],
    what: string = `${method === "GET" ? "get" : "head"} manifest`,
  ): Promise<{ r: string; attempted: string; url: string; res: Response }> {
    const r = this.#http.ref(
      ref,
      this.repo.digest ?? this.repo.tag ?? "latest",
    );
    const attempted = `${what} "${this.#name}${refSuffix(r)}"`;
    const url = this.#http.url(`manifests/${r}`);
    const res = await this.#http.send(
      attempted,
      this.#http.request(method, url, options, {
        headers: { accept: this.#accept() },
      }),
      ok,
    );
    return { r, attempted, url, res };
  }

  #accept(): string {
    const o = this.#options;
    const types: string[] = [MEDIA_TYPE.DOCKER_MANIFEST];
    if (o.acceptManifestLists !== false) {
      types.push(MEDIA_TYPE.DOCKER_MANIFEST_LIST);
    }
    if (o.acceptOCIManifests !== false) {
      types.push(MEDIA_TYPE.OCI_MANIFEST, MEDIA_TYPE.OCI_INDEX);
    }
    if (o.acceptSchema1) {
      types.push(
        MEDIA_TYPE.DOCKER_MANIFEST_V1_SIGNED,
        MEDIA_TYPE.DOCKER_MANIFEST_V1,
      );
    }
    return types.join(", ");
  }

  /**
   * Closes the HTTP client this client made to trust `caCerts`
   * (`Deno.createHttpClient`); a no-op for clients without `caCerts` (or
   * with a shared `auth`), and when called again. Requests after it fail.
   * Clients given this client's {@linkcode RegistryClientV2.auth} send their
   * requests through that HTTP client too: close it once they are done.
   *
   * @returns Nothing.
   *
   * @example
   * ```ts
   * import { createClient } from "jsr:@scope/docker-registry-client";
   *
   * const client = createClient({
   *   repo: "registry.internal.example/team/app",
   *   caCerts: [await Deno.readTextFile("/etc/ssl/private-ca.pem")],
   * });
   * try {
   *   console.log(await client.listTags());
   * } finally {
   *   client.close();
   * }
   * ```
   */
  close(): void {
    const httpClient = this.#httpClient;
    this.#httpClient = undefined;
    httpClient?.close();
  }

  /**
   * Closes the client at the end of a `using` block: see
   * {@linkcode RegistryClientV2.close}.
   *
   * @returns Nothing.
   *
   * @example
   * ```ts
   * import { createClient } from "jsr:@scope/docker-registry-client";
   *
   * using client = createClient({
   *   repo: "registry.internal.example/team/app",
   *   caCerts: [await Deno.readTextFile("/etc/ssl/private-ca.pem")],
   * });
   * console.log(await client.listTags());
   * ```
   */
  [Symbol.dispose](): void {
    this.close();
  }

  // ------------------------------------------------------------------ ping

  /**
   * Pings the registry (`GET /v2/`), once per registry: later calls, and the
   * auth layer, share the answer.
   *
   * @param options Cancellation.
   * @returns The status, V2 support and the auth schemes offered.
   * @throws {ConnectionError} When the registry cannot be reached.
   * @throws {HttpError} When it answers neither 200 nor 401.
   *
   * @example
   * ```ts
   * import { createClient } from "jsr:@scope/docker-registry-client";
   *
   * const client = createClient({ repo: "http://127.0.0.1:5000/foo" });
   * console.log(await client.ping()); // { status: 200, supportsV2: true, authSchemes: [] }
   * ```
   */
  async ping(options?: CallOptions): Promise<PingInfo> {
    let result;
    const signal = this.#http.signal(options);
    try {
      result = await this.auth.ping(signal);
    } catch (err) {
      if (signal?.aborted) throw err;
      throw asRegistryError(err, `ping ${this.baseUrl}`);
    }
    return {
      status: result.status,
      supportsV2: result.supportsV2,
      authSchemes: result.challenges.map((c) => c.scheme),
    };
  }

  /**
   * Whether the registry speaks the V2 API.
   *
   * @param options Cancellation.
   * @returns `true` when `GET /v2/` answers 200 or 401 as V2 registries do.
   * @throws {ConnectionError} When the registry cannot be reached.
   *
   * @example
   * ```ts
   * import { createClient } from "jsr:@scope/docker-registry-client";
   *
   * console.log(await createClient({ repo: "http://127.0.0.1:5000/foo" }).supportsV2());
   * ```
   */
  async supportsV2(options?: CallOptions): Promise<boolean> {
    try {
      return (await this.ping(options)).supportsV2;
    } catch (err) {
      if (err instanceof RegistryError && !(err instanceof ConnectionError)) {
        return false;
      }
      throw err;
    }
  }

  /**
   * Authenticates now rather than on the first request: gets a token for
   * pull on this repository (bearer) or checks the Basic credentials.
   *
   * @param options Extra scopes (e.g. `repository:foo:push`) and cancellation.
   * @returns How the registry authenticates and the scopes obtained.
   * @throws {AuthenticationError} When the credentials are refused.
   *
   * @example
   * ```ts
   * import { createClient } from "jsr:@scope/docker-registry-client";
   *
   * const client = createClient({ repo: "http://127.0.0.1:5000/foo", username: "u", password: "p" });
   * console.log(await client.login()); // { scheme: "bearer", scopes: ["repository:foo:pull"] }
   * ```
   */
  async login(
    options: CallOptions & { scopes?: string[] } = {},
  ): Promise<LoginResult> {
    const scopes = options.scopes ?? [`repository:${this.#name}:pull`];
    const signal = this.#http.signal(options);
    try {
      return await this.auth.login(scopes, signal);
    } catch (err) {
      if (signal?.aborted) throw err;
      throw asRegistryError(err, `log in to ${this.baseUrl}`);
    }
  }

  // ------------------------------------------------------------- listings

  /**
   * Iterates over every tag, following `Link: rel="next"` across pages (and
   * `last=` when a registry pages without `Link`).
   *
   * @param options Page size, page bound and cancellation.
   * @returns The tags, as an async iterable.
   * @throws {NotFoundError} When the repository does not exist.
   *
   * @example
   * ```ts
   * import { createClient } from "jsr:@scope/docker-registry-client";
   *
   * const client = createClient({ repo: "http://127.0.0.1:5000/foo" });
   * for await (const tag of client.iterateTags({ pageSize: 100 })) console.log(tag);
   * ```
   */
  async *iterateTags(options: ListOptions = {}): AsyncGenerator<string> {
    for await (
      const page of this.#pages(
        `tags/list`,
        `list tags of "${this.#name}"`,
        "tags",
        options,
      )
    ) yield* page.items;
  }

  /**
   * Lists every tag of the repository, across all pages.
   *
   * @param options Page size, page bound and cancellation.
   * @returns `{name, tags}`, as the earlier clients returned it.
   * @throws {NotFoundError} When the repository does not exist.
   *
   * @example
   * ```ts
   * import { createClient } from "jsr:@scope/docker-registry-client";
   *
   * const client = createClient({ repo: "http://127.0.0.1:5000/foo" });
   * console.log(await client.listTags()); // { name: "foo", tags: ["1", "latest"] }
   * ```
   */
  async listTags(options: ListOptions = {}): Promise<TagList> {
    let name = this.#name;
    const tags: string[] = [];
    for await (
      const page of this.#pages(
        `tags/list`,
        `list tags of "${this.#name}"`,
        "tags",
        options,
      )
    ) {
      if (page.name) name = page.name;
      tags.push(...page.items);
    }
    return { name, tags };
  }

  /**
   * Iterates over the registry's repositories (`/v2/_catalog`), across pages.
   *
   * @param options Page size, page bound and cancellation.
   * @returns The repository names, as an async iterable.
   * @throws {AuthenticationError} When the catalog needs more rights.
   *
   * @example
   * ```ts
   * import { createClient } from "jsr:@scope/docker-registry-client";
   *
   * const client = createClient({ repo: "http://127.0.0.1:5000/foo" });
   * for await (const repo of client.iterateCatalog()) console.log(repo);
   * ```
   */
  async *iterateCatalog(options: ListOptions = {}): AsyncGenerator<string> {
    for await (
      const page of this.#pages(
        null,
        `list the catalog of ${this.baseUrl}`,
        "repositories",
        options,
      )
    ) yield* page.items;
  }

  /**
   * Lists every repository of the registry (`/v2/_catalog`), across pages.
   *
   * @param options Page size, page bound and cancellation.
   * @returns `{repositories}`.
   * @throws {AuthenticationError} When the catalog needs more rights.
   *
   * @example
   * ```ts
   * import { createClient } from "jsr:@scope/docker-registry-client";
   *
   * const client = createClient({ repo: "http://127.0.0.1:5000/foo" });
   * console.log(await client.listCatalog()); // { repositories: ["foo", "bar/baz"] }
   * ```
   */
  async listCatalog(options: ListOptions = {}): Promise<Catalog> {
    const repositories: string[] = [];
    for await (const r of this.iterateCatalog(options)) repositories.push(r);
    return { repositories };
  }

  /** Fetches pages of a listing; `path` null means the catalog. */
  async *#pages(
    path: string | null,
    attempted: string,
    key: "tags" | "repositories",
    options: ListOptions,
  ): AsyncGenerator<{ name?: string; items: string[] }> {
    const maxPages = options.maxPages ?? this.#options.maxPages ?? 10_000;
    const quirkMax = quirksFor(this.repo.index.name).maxPageSize;
    const pageSize = options.pageSize !== undefined && quirkMax !== undefined
      ? Math.min(options.pageSize, quirkMax)
      : options.pageSize;
    let url: URL | undefined = new URL(
      path === null ? `${this.baseUrl}/v2/_catalog` : this.#http.url(path),
    );
    if (pageSize !== undefined) url.searchParams.set("n", String(pageSize));
    let previousLast: string | undefined;
    for (let pages = 0; url !== undefined; pages++) {
      if (pages >= maxPages) {
        throw new InvalidResponseError(
          attempted,
          `more than ${maxPages} pages (raise maxPages to read further)`,
        );
      }
      const res = await this.#http.send(
        attempted,
        this.#http.request("GET", url.href, options),
        [200],
      );
      const link = res.headers.get("link");
      const body = await readBounded(res, 16 * 1024 * 1024, attempted);
      const parsed = parseJson(body, attempted);
      if (!isJsonObject(parsed)) {
        throw new InvalidResponseError(
          attempted,
          "the body is not a JSON object",
        );
      }
      const list = parsed[key] ?? [];
      if (!Array.isArray(list) || list.some((t) => typeof t !== "string")) {
        throw new InvalidResponseError(
          attempted,
          `"${key}" is not a list of strings`,
        );
      }
      yield {
        name: typeof parsed.name === "string" ? parsed.name : undefined,
        items: list as string[],
      };
      let next: URL | undefined;
      try {
        next = nextLink(link, url);
      } catch (cause) {
        throw new InvalidResponseError(
          attempted,
          "the Link header is not valid",
          {
            cause,
          },
        );
      }
      if (next !== undefined && next.origin !== url.origin) {
        throw new InvalidResponseError(
          attempted,
          `the next page points to another host (${next.host})`,
        );
      }
      if (
        next === undefined && pageSize !== undefined &&
        list.length === pageSize && list.length > 0
      ) {
        // No Link but a full page: ask for the rest with last=, as long as
        // the listing advances.
        const last = list[list.length - 1] as string;
        if (previousLast === undefined || last > previousLast) {
          next = new URL(url);
          next.searchParams.set("last", last);
        }
        previousLast = last;
      }
      url = next;
    }
  }

  // ------------------------------------------------------------- manifests

  /**
   * Gets a manifest by tag or digest, and verifies it: its digest against the
   * reference when that is a digest, else against `Docker-Content-Digest`
   * when the registry sends it; its `mediaType` against `Content-Type`; its
   * size against the cap (refused before it is read whole).
   *
   * @param ref A tag or digest; by default the reference's own (or `latest`).
   * @param options A platform to follow from an index, a size cap, cancellation.
   * @returns The parsed manifest, its media type, digest and exact bytes.
   * @throws {NotFoundError} When there is no such manifest (`MANIFEST_UNKNOWN`).
   * @throws {DigestMismatchError} When the bytes do not match the digest.
   * @throws {ManifestTooLargeError} When the manifest is over the cap.
   * @throws {InvalidResponseError} On invalid JSON or a media type conflict.
   *
   * @example
   * ```ts
   * import { createClient } from "jsr:@scope/docker-registry-client";
   *
   * const client = createClient({ repo: "http://127.0.0.1:5000/foo" });
   * const { manifest, digest, mediaType } = await client.getManifest("latest", {
   *   platform: { os: "linux", architecture: "amd64" },
   * });
   * console.log(digest, mediaType, manifest.schemaVersion);
   * ```
   */
  async getManifest(
    ref?: string,
    options: GetManifestOptions = {},
  ): Promise<ManifestResult> {
    const { r, attempted, url, res } = await this.#requestManifest(
      "GET",
      ref,
      options,
    );
    const limit = options.maxBytes ?? this.#options.maxManifestBytes ??
      DEFAULT_MAX_MANIFEST_BYTES;
    const bytes = await readBounded(
      res,
      limit,
      attempted,
      (a, l, s) => new ManifestTooLargeError(a, l, s),
    );
    const manifest = parseJson(bytes, attempted) as Manifest;
    if (
      typeof manifest !== "object" || manifest === null ||
      Array.isArray(manifest)
    ) {
      throw new InvalidResponseError(
        attempted,
        "the manifest is not a JSON object",
      );
    }
    const contentType = mediaTypeOf(res.headers.get("content-type"));
    const mediaType = manifestMediaType(manifest, contentType, attempted);
    const digest = await verifyManifestDigest(
      bytes,
      mediaType,
      r.includes(":") ? r : res.headers.get("docker-content-digest"),
      attempted,
    );
    const result = {
      manifest,
      mediaType,
      digest,
      bytes,
      size: bytes.byteLength,
    };
    if (options.platform && isImageIndex(manifest)) {
      if (!isObjectList(manifest.manifests)) {
        throw new InvalidResponseError(
          attempted,
          "an entry of the index's manifests is not an object",
        );
      }
      const entry = selectPlatform(manifest, options.platform);
      if (!entry) {
        throw new NotFoundError({
          attempted: `${attempted} for platform ${
            [
              options.platform.os,
              options.platform.architecture,
              options.platform.variant,
            ]
              .filter(Boolean).join("/")
          }`,
          method: "GET",
          url,
          status: 404,
          errors: [{
            code: "MANIFEST_UNKNOWN",
            message: "no manifest for that platform in the index",
          }],
        });
      }
      return await this.getManifest(entry.digest, {
        ...options,
        platform: undefined,
      });
    }
    return result;
  }

  /**
   * Gets a manifest's digest, media type and size without its body
   * (`HEAD`). When the registry sends no `Docker-Content-Digest` for a tag,
   * the manifest is fetched and hashed instead.
   *
   * @param ref A tag or digest; by default the reference's own.
   * @param options Cancellation.
   * @returns `{digest, mediaType, size}`.
   * @throws {NotFoundError} When there is no such manifest.
   *
   * @example
   * ```ts
   * import { createClient } from "jsr:@scope/docker-registry-client";
   *
   * const client = createClient({ repo: "http://127.0.0.1:5000/foo" });
   * console.log(await client.headManifest("latest"));
   * ```
   */
  async headManifest(
    ref?: string,
    options: CallOptions = {},
  ): Promise<ManifestHead> {
    const { r, res } = await this.#requestManifest("HEAD", ref, options);
    await res.body?.cancel();
    const header = res.headers.get("docker-content-digest");
    const digest = r.includes(":") ? r : header;
    const size = contentLengthOf(res.headers);
    const mediaType = mediaTypeOf(res.headers.get("content-type"));
    if (digest === null || size === undefined || !mediaType) {
      const full = await this.getManifest(r, options);
      return {
        digest: full.digest,
        mediaType: full.mediaType,
        size: full.size,
      };
    }
    parseDigest(digest);
    return { digest, mediaType, size };
  }

  /**
   * Asks for the pull budget with a `HEAD` on a manifest (Docker Hub counts
   * `GET`s of manifests, not `HEAD`s) and returns its `RateLimit-Limit` /
   * `RateLimit-Remaining`. The answer is also stored in
   * {@linkcode RegistryClientV2.rateLimit}, which every response updates.
   * A 404 still answers: the headers come with it.
   *
   * @param ref A tag or digest to ask about; by default the reference's own.
   * @param options Cancellation.
   * @returns The budget, or `undefined` when the registry sends no such headers.
   * @throws {TooManyRequestsError} When the budget is spent and the registry
   *   refuses even the `HEAD`.
   *
   * @example
   * ```ts
   * import { createClient } from "jsr:@scope/docker-registry-client";
   *
   * const client = createClient({ repo: "ratelimitpreview/test" });
   * const limit = await client.checkRateLimit();
   * console.log(limit); // { limit: 100, remaining: 76, windowSeconds: 21600 }
   * ```
   */
  async checkRateLimit(
    ref?: string,
    options: CallOptions = {},
  ): Promise<RateLimit | undefined> {
    const { res } = await this.#requestManifest(
      "HEAD",
      ref,
      options,
      [200, 404],
      "check the rate limit with",
    );
    await res.body?.cancel();
    return readRateLimit(res.headers);
  }

  // ----------------------------------------------------------------- blobs

  /**
   * Gets a blob's size (and media type, when the registry says) with `HEAD`.
   *
   * @param digest The blob's digest.
   * @param options Cancellation.
   * @returns `{digest, size, mediaType?}`.
   * @throws {NotFoundError} When the blob is not in the repository (`BLOB_UNKNOWN`).
   * @throws {InvalidResponseError} When the answer has no valid `Content-Length`.
   *
   * @example
   * ```ts
   * import { createClient } from "jsr:@scope/docker-registry-client";
   *
   * const client = createClient({ repo: "http://127.0.0.1:5000/foo" });
   * console.log(await client.headBlob("sha256:" + "0".repeat(64)));
   * ```
   */
  async headBlob(digest: string, options: CallOptions = {}): Promise<BlobHead> {
    const { attempted, headers } = await this.#headBlob(digest, options);
    const size = contentLengthOf(headers);
    if (size === undefined) {
      throw new InvalidResponseError(
        attempted,
        "the answer has no valid Content-Length",
      );
    }
    const mediaType = headers.get("content-type") ?? undefined;
    return { digest, size, ...(mediaType ? { mediaType } : {}) };
  }

  /** `HEAD` on a blob; the headers of a 200. */
  async #headBlob(
    digest: string,
    options: CallOptions,
  ): Promise<{ attempted: string; headers: Headers }> {
    parseDigest(digest);
    const attempted = `head blob "${this.#name}@${digest}"`;
    const res = await this.#http.send(
      attempted,
      this.#http.request(
        "HEAD",
        this.#http.url(`blobs/${digest}`),
        options,
      ),
      [200],
    );
    await res.body?.cancel();
    return { attempted, headers: res.headers };
  }

  /**
   * Whether the repository has a blob (`HEAD`; 404 means no).
   *
   * @param digest The blob's digest.
   * @param options Cancellation.
   * @returns `true` when the blob is there.
   * @throws {HttpError} On any failure but 404.
   *
   * @example
   * ```ts
   * import { createClient } from "jsr:@scope/docker-registry-client";
   *
   * const client = createClient({ repo: "http://127.0.0.1:5000/foo" });
   * console.log(await client.hasBlob("sha256:" + "0".repeat(64))); // false
   * ```
   */
  async hasBlob(digest: string, options: CallOptions = {}): Promise<boolean> {
    try {
      await this.#headBlob(digest, options);
      return true;
    } catch (err) {
      if (err instanceof NotFoundError) return false;
      throw err;
    }
  }

  /**
   * Reads a blob as a stream checked against its digest (and size, when
   * known) while it streams: a mismatch errors the stream at its end (or as
   * soon as too many bytes arrive). Redirects to storage are followed
   * without `Authorization`; a dropped connection resumes with `Range`.
   *
   * @param digest The blob's digest.
   * @param options The expected size, resume bound and cancellation.
   * @returns The verified stream and the response metadata.
   * @throws {NotFoundError} When the blob is not there.
   *
   * @example
   * ```ts
   * import { createClient } from "jsr:@scope/docker-registry-client";
   *
   * const client = createClient({ repo: "http://127.0.0.1:5000/foo" });
   * const { manifest } = await client.getManifest("latest");
   * if ("config" in manifest) {
   *   const { stream } = await client.createBlobReadStream(manifest.config.digest, { size: manifest.config.size });
   *   console.log(await new Response(stream).text());
   * }
   * ```
   */
  async createBlobReadStream(
    digest: string,
    options: BlobReadOptions = {},
  ): Promise<BlobReadStream> {
    const { res, url, size, reader } = await this.#openBlob(digest, options);
    const contentType = res.headers.get("content-type") ?? undefined;
    return {
      stream: (await import("./_resumable_body.ts")).verifiedBlobStream(reader),
      digest,
      ...(size !== undefined ? { size } : {}),
      ...(contentType ? { contentType } : {}),
      headers: res.headers,
      url: redactUrl(res.url || url),
    };
  }

  /** GETs a blob and wraps its body in a resuming, verifying reader. */
  async #openBlob(digest: string, options: BlobReadOptions) {
    parseDigest(digest);
    const attempted = `get blob "${this.#name}@${digest}"`;
    const url = this.#http.url(`blobs/${digest}`);
    const res = await this.#http.send(
      attempted,
      this.#http.request("GET", url, options),
      [200],
    );
    const length = res.headers.get("content-length");
    const size = options.size ?? (length === null ? undefined : Number(length));
    const { VerifiedBlobReader } = await import("./_resumable_body.ts");
    const reader = new VerifiedBlobReader(
      res.body ?? new Response(new Uint8Array(0)).body!,
      {
        digest,
        size,
        attempted: `verify blob "${this.#name}@${digest}"`,
        maxResumes: options.maxResumes ?? this.#options.maxResumes ?? 3,
        signal: this.#http.signal(options),
        refetch: (offset, cancelled) =>
          this.#http.send(
            attempted,
            this.#http.request("GET", url, {
              signal: options.signal
                ? AbortSignal.any([options.signal, cancelled])
                : cancelled,
            }, {
              headers: { range: `bytes=${offset}-` },
            }),
            [200, 206],
          ),
      },
    );
    return { res, url, size, reader };
  }

  /**
   * Downloads a blob to a file, verified while it streams. The bytes go to a
   * temporary file beside the target, renamed into place only once the digest
   * checks out: a failed download leaves no file behind.
   *
   * @param digest The blob's digest.
   * @param path The file to write.
   * @param options The expected size, resume bound and cancellation.
   * @returns The digest, the size written and the path.
   * @throws {DigestMismatchError} When the content does not match (no file is left).
   *
   * @example
   * ```ts
   * import { createClient } from "jsr:@scope/docker-registry-client";
   *
   * const client = createClient({ repo: "http://127.0.0.1:5000/foo" });
   * await client.downloadBlob("sha256:" + "0".repeat(64), "/tmp/blob");
   * ```
   */
  async downloadBlob(
    digest: string,
    path: string,
    options: BlobReadOptions = {},
  ): Promise<{ digest: string; size: number; path: string }> {
    const { reader } = await this.#openBlob(digest, options);
    const partial = `${path}.${crypto.randomUUID().slice(0, 8)}.partial`;
    const { READ_CHUNK } = await import("./_resumable_body.ts");
    const buffer = new Uint8Array(READ_CHUNK);
    let size = 0;
    try {
      const file = await Deno.open(partial, {
        write: true,
        createNew: true,
        mode: 0o644,
      });
      try {
        for (;;) {
          const n = await reader.read(buffer);
          if (n === 0) break;
          for (let off = 0; off < n;) {
            off += await file.write(buffer.subarray(off, n));
          }
          size += n;
        }
      } finally {
        // Closed before the rename (and before a removal on failure).
        file.close();
      }
      await Deno.rename(partial, path);
    } catch (err) {
      await reader.cancel();
      await Deno.remove(partial).catch(() => {});
      throw err;
    }
    return { digest, size, path };
  }

  // ---------------------------------------------------------------- writes

  /**
   * Uploads a blob, streamed: a file is read from disk as it is sent (never
   * whole into memory), a stream is sent as it comes. Skips the upload when
   * the registry already has the blob (`HEAD`), unless `force`.
   *
   * - Monolithic (the default): `POST` then one streaming `PUT ?digest=`.
   *   Files, `Blob`s and bytes without a known digest are hashed first; a
   *   stream without one is sent in one `PATCH`, hashed on the way, and
   *   closed with `PUT ?digest=`. Blobs of at most 64 KiB in memory go in a
   *   single `POST ?digest=`; a registry that opens a session instead (202)
   *   or refuses it gets the ordinary `PUT`.
   * - Chunked (`chunkSize`): `PATCH`es with `Content-Range`, at least the
   *   registry's `OCI-Chunk-Min-Length`, the last chunk in the closing `PUT`;
   *   a `201` on `PATCH` (ECR) is accepted.
   * - After a dropped connection, a 416 or a 5xx, the upload re-syncs with
   *   `GET <location>` and carries on from the registry's offset (files,
   *   bytes and chunks; a plain stream cannot be re-read).
   * - The upload `Location` is used exactly as returned (relative or
   *   absolute, query kept). On failure or abort the session is cancelled
   *   with `DELETE <location>`.
   * - With `mountFrom`, a cross-repository mount is tried first.
   *
   * @param source A file path or `file:` URL, bytes, a `Blob`, or a stream.
   * @param options Digest, size, chunking, mount source, progress, cancellation.
   * @returns The digest and size; `skipped` or `mounted` when nothing was sent.
   * @throws {AuthenticationError} When the registry refuses the push (401),
   * e.g. an anonymous push.
   * @throws {ForbiddenError} When the credentials lack push rights (403).
   * @throws {DigestMismatchError} When the content does not match `digest`.
   * @throws {SizeMismatchError} When the content does not match `size`.
   * @throws {RangeError} When `chunkSize` or `size` is not a valid number.
   *
   * @example Upload a file
   * ```ts
   * import { createClient } from "jsr:@scope/docker-registry-client";
   *
   * const client = createClient({ repo: "http://127.0.0.1:5000/foo", username: "u", password: "p" });
   * const { digest, size } = await client.blobUpload("/tmp/layer.tar.gz");
   * console.log(digest, size);
   * ```
   *
   * @example Upload a stream in 8 MiB chunks
   * ```ts
   * import { createClient } from "jsr:@scope/docker-registry-client";
   *
   * const client = createClient({ repo: "http://127.0.0.1:5000/foo" });
   * const body = (await fetch("http://127.0.0.1:8080/layer.tar.gz")).body!;
   * const { digest } = await client.blobUpload(body, { chunkSize: 8 * 1024 * 1024 });
   * console.log(digest);
   * ```
   */
  async blobUpload(
    source: BlobSource,
    options: BlobUploadOptions = {},
  ): Promise<BlobUploadResult> {
    const { uploadBlob } = await import("./uploads/blob_upload.ts");
    const chunkSize = chunkSizeFor(this.repo.index.name, options.chunkSize);
    return await uploadBlob(this.#http, source, { ...options, chunkSize });
  }

  /**
   * Mounts a blob from another repository of the same registry
   * (`POST ?mount=<digest>&from=<repo>`). A `201` means mounted; a `202`
   * means the registry opened an ordinary upload instead: the blob is then
   * read from `fromRepo` (verified) and streamed into that upload. Token
   * scopes cover pull on the source repository.
   *
   * @param digest The blob's digest.
   * @param fromRepo The source repository's name on this registry, e.g. `library/alpine`.
   * @param options Cancellation.
   * @returns The digest and whether the registry mounted it (`false`: copied).
   * @throws {InvalidReferenceError} When `fromRepo` is not a repository name.
   * @throws {NotFoundError} When the copy is needed and the source lacks the blob.
   *
   * @example
   * ```ts
   * import { createClient } from "jsr:@scope/docker-registry-client";
   *
   * const client = createClient({ repo: "http://127.0.0.1:5000/app-copy" });
   * const { mounted } = await client.mountBlob("sha256:" + "0".repeat(64), "app");
   * console.log(mounted ? "mounted" : "copied");
   * ```
   */
  async mountBlob(
    digest: string,
    fromRepo: string,
    options: CallOptions = {},
  ): Promise<MountResult> {
    const { mountBlob } = await import("./uploads/blob_upload.ts");
    return await mountBlob(this.#http, digest, fromRepo, options);
  }

  /**
   * Deletes a blob (`DELETE /v2/<name>/blobs/<digest>`). Registries usually
   * need deletes enabled (distribution: `storage.delete.enabled`).
   *
   * @param digest The blob's digest.
   * @param options Cancellation.
   * @returns When the registry has accepted the delete.
   * @throws {NotFoundError} When the blob is not there.
   * @throws {HttpError} With status 405 (`UNSUPPORTED`) when deletes are disabled.
   *
   * @example
   * ```ts
   * import { createClient } from "jsr:@scope/docker-registry-client";
   *
   * const client = createClient({ repo: "http://127.0.0.1:5000/foo" });
   * await client.deleteBlob("sha256:" + "0".repeat(64));
   * ```
   */
  async deleteBlob(digest: string, options: CallOptions = {}): Promise<void> {
    const { deleteBlob } = await import("./uploads/blob_upload.ts");
    await deleteBlob(this.#http, digest, options);
  }

  /**
   * Pushes a manifest to a tag or a digest. The manifest is given parsed
   * (serialised with `JSON.stringify`) or as its exact bytes. `Content-Type`
   * is the manifest's own `mediaType`, else `options.mediaType`, else an OCI
   * index or manifest by its shape (never a schema 1 default). The digest is
   * computed locally — checked against `ref` before sending when `ref` is a
   * digest — and against the `Docker-Content-Digest` the registry confirms.
   *
   * A manifest with a `subject` pushed to a registry that does not answer
   * `OCI-Subject` gets the referrers fallback index (tag `<alg>-<hex>` of
   * the subject) updated: the manifest is added (or replaced) with its
   * `artifactType` and annotations.
   *
   * @param ref A tag or digest.
   * @param manifest The parsed manifest or its exact bytes.
   * @param options A media type for manifests without one, a size cap, cancellation.
   * @returns The confirmed digest, the size, the media type, and `OCI-Subject`.
   * @throws {ManifestTooLargeError} When the manifest is over the cap (4 MiB by default).
   * @throws {DigestMismatchError} When `ref` is a digest the bytes do not
   * have, or the registry confirms another digest.
   * @throws {AuthenticationError} When the registry refuses the push.
   * @throws {TypeError} When the manifest is not a JSON object, its media
   * type cannot be told, or its `subject` is not a descriptor with a digest.
   * @throws {InvalidDigestError} When `subject.digest` is not a valid digest
   * (checked before anything is sent).
   *
   * @example Push an image manifest to a tag
   * ```ts
   * import { createClient, digestOf, MEDIA_TYPE } from "jsr:@scope/docker-registry-client";
   *
   * const client = createClient({ repo: "http://127.0.0.1:5000/foo" });
   * const config = new TextEncoder().encode("{}");
   * await client.blobUpload(config);
   * const { digest } = await client.putManifest("v1", {
   *   schemaVersion: 2,
   *   mediaType: MEDIA_TYPE.OCI_MANIFEST,
   *   config: { mediaType: MEDIA_TYPE.OCI_EMPTY, digest: digestOf(config), size: config.length },
   *   layers: [],
   * });
   * console.log(digest);
   * ```
   */
  async putManifest(
    ref: string,
    manifest: Manifest | Uint8Array,
    options: PutManifestOptions = {},
  ): Promise<PutManifestResult> {
    if (typeof ref !== "string" || ref === "") {
      throw new TypeError("putManifest() needs a tag or digest");
    }
    const r = this.#http.ref(ref, ref);
    const { pushManifest } = await import("./manifest_push.ts");
    return await pushManifest(
      this.#http,
      r,
      manifest,
      options,
      this.#options.maxManifestBytes ?? DEFAULT_MAX_MANIFEST_BYTES,
    );
  }

  /**
   * Deletes a manifest by digest, or by tag. When a tag delete is refused
   * with 400 `DIGEST_INVALID` (distribution 2.x) or with `UNSUPPORTED`, the
   * tag is resolved (`headManifest`) and the manifest deleted by digest —
   * which removes every tag pointing at it. Any other refusal is thrown as
   * it came: a bare 405 means deletes are disabled.
   *
   * @param ref A tag or digest.
   * @param options Cancellation.
   * @returns When the registry has accepted the delete.
   * @throws {NotFoundError} When there is no such manifest.
   * @throws {HttpError} With status 405 when deletes are disabled.
   *
   * @example
   * ```ts
   * import { createClient } from "jsr:@scope/docker-registry-client";
   *
   * const client = createClient({ repo: "http://127.0.0.1:5000/foo" });
   * await client.deleteManifest("v1");
   * ```
   */
  async deleteManifest(ref: string, options: CallOptions = {}): Promise<void> {
    if (typeof ref !== "string" || ref === "") {
      throw new TypeError("deleteManifest() needs a tag or digest");
    }
    const r = this.#http.ref(ref, ref);
    const { deleteManifestRef } = await import("./manifest_push.ts");
    await deleteManifestRef(
      this.#http,
      r,
      options,
      async (tag) => (await this.headManifest(tag, options)).digest,
    );
  }

  // ------------------------------------------------------------- referrers

  /**
   * Lists the manifests that refer to a manifest (OCI 1.1 `subject`): the
   * referrers API, followed across `Link` pages, or — when the registry
   * answers 404 to the first page — the fallback index tagged `<alg>-<hex>`.
   * Each page is read up to `maxManifestBytes`.
   *
   * @param digest The digest of the manifest referred to.
   * @param options An artifact type to filter on, cancellation.
   * @returns An OCI image index whose `manifests` are the referrers.
   * @throws {InvalidResponseError} When the answer is not an index.
   * @throws {NotFoundError} When a page after the first answers 404.
   * @throws {ResponseTooLargeError} When a page is over `maxManifestBytes`.
   *
   * @example
   * ```ts
   * import { createClient } from "jsr:@scope/docker-registry-client";
   *
   * const client = createClient({ repo: "http://127.0.0.1:5000/foo" });
   * const { digest } = await client.headManifest("latest");
   * const index = await client.getReferrers(digest, { artifactType: "application/spdx+json" });
   * console.log(index.manifests.map((d) => d.artifactType));
   * ```
   */
  async getReferrers(
    digest: string,
    options: ReferrersOptions = {},
  ): Promise<ImageIndex> {
    const { algorithm, encoded } = parseDigest(digest);
    const attempted = `get referrers of "${this.#name}@${digest}"`;
    let url: URL | undefined = new URL(
      this.#http.url(`referrers/${digest}`),
    );
    if (options.artifactType) {
      url.searchParams.set("artifactType", options.artifactType);
    }
    const manifests: Descriptor[] = [];
    let filtered = false;
    const maxPages = this.#options.maxPages ?? 10_000;
    for (let pages = 0; url !== undefined; pages++) {
      if (pages >= maxPages) {
        throw new InvalidResponseError(
          attempted,
          `more than ${maxPages} pages`,
        );
      }
      const res = await this.#http.send(
        attempted,
        this.#http.request("GET", url.href, options, {
          headers: { accept: MEDIA_TYPE.OCI_INDEX },
        }),
        // A 404 on the first page means no referrers API; on a later page
        // it is an error (the listing would be cut short).
        pages === 0 ? [200, 404] : [200],
      );
      if (res.status === 404) {
        await res.body?.cancel();
        return this.#referrersFromTag(`${algorithm}-${encoded}`, options);
      }
      filtered ||= (res.headers.get("oci-filters-applied") ?? "")
        .split(",").map((s) => s.trim()).includes("artifactType");
      const link = res.headers.get("link");
      const index = parseJson(
        await readBounded(
          res,
          this.#options.maxManifestBytes ?? DEFAULT_MAX_MANIFEST_BYTES,
          attempted,
        ),
        attempted,
      );
      if (!isJsonObject(index) || !Array.isArray(index.manifests)) {
        throw new InvalidResponseError(
          attempted,
          "the answer is not an image index",
        );
      }
      if (!isObjectList(index.manifests)) {
        throw new InvalidResponseError(
          attempted,
          "an entry of the index's manifests is not an object",
        );
      }
      manifests.push(...(index.manifests as unknown as Descriptor[]));
      let next: URL | undefined;
      try {
        next = nextLink(link, url);
      } catch (cause) {
        throw new InvalidResponseError(
          attempted,
          "the Link header is not valid",
          { cause },
        );
      }
      if (next && next.origin !== url.origin) {
        throw new InvalidResponseError(
          attempted,
          `the next page points to another host (${next.host})`,
        );
      }
      url = next;
    }
    return referrersIndex(
      filtered
        ? manifests
        : filterArtifactType(manifests, options.artifactType),
    );
  }

  async #referrersFromTag(
    tag: string,
    options: ReferrersOptions,
  ): Promise<ImageIndex> {
    let found: ManifestResult;
    try {
      found = await this.getManifest(tag, { signal: options.signal });
    } catch (err) {
      if (err instanceof NotFoundError) return referrersIndex([]);
      throw err;
    }
    if (!isImageIndex(found.manifest)) {
      throw new InvalidResponseError(
        `get referrers fallback tag "${this.#name}:${tag}"`,
        "the tag does not hold an image index",
      );
    }
    if (!isObjectList(found.manifest.manifests)) {
      throw new InvalidResponseError(
        `get referrers fallback tag "${this.#name}:${tag}"`,
        "an entry of the index's manifests is not an object",
      );
    }
    return referrersIndex(
      filterArtifactType(found.manifest.manifests, options.artifactType),
    );
  }
}

/** Docker Hub's rate-limit budget, from `RateLimit-Limit`/`RateLimit-Remaining`. */
export interface RateLimit {
  /** Requests allowed per window. */
  limit: number;
  /** Requests left in the window. */
  remaining?: number;
  /** The window, in seconds (`w=`), if given. */
  windowSeconds?: number;
}

/**
 * Creates a client for one repository.
 *
 * @param options The repository (`busybox`, `ghcr.io/org/app:1`,
 * `http://127.0.0.1:5000/foo`) and how to authenticate.
 * @returns The client.
 * @throws {InvalidReferenceError} When the repository does not parse.
 *
 * @example Anonymous pull from Docker Hub
 * ```ts
 * import { createClient } from "jsr:@scope/docker-registry-client";
 *
 * const client = createClient({ repo: "alpine" });
 * console.log((await client.listTags()).tags.length);
 * ```
 *
 * @example A private registry with a password
 * ```ts
 * import { createClient } from "jsr:@scope/docker-registry-client";
 *
 * const client = createClient({ repo: "registry.example.com/team/app", username: "me", password: "secret" });
 * console.log(await client.headManifest("1.0"));
 * ```
 */
export function createClient(options: ClientOptions): RegistryClientV2 {
  return new RegistryClientV2(options);
}

// ----------------------------------------------------------------- helpers

function toRepoRef(repo: RepoInfo): RepoRef {
  if ("canonicalRef" in repo) return repo as RepoRef;
  return parseRepoAndRef(repo.canonicalName, repo.index);
}

function authOptionsFrom(
  options: ClientOptions,
  registry: string,
  repository: string,
): Omit<AuthOptions, "registry"> {
  const explicit: Credentials | undefined =
    options.username !== undefined || options.password !== undefined
      ? { username: options.username, password: options.password }
      : undefined;
  const given = options.credentials;
  let credentials:
    | ((signal?: AbortSignal) => Promise<Credentials | undefined>)
    | undefined;
  if (explicit) credentials = () => Promise.resolve(explicit);
  else if (given && "resolve" in given) {
    credentials = (signal) =>
      (given as CredentialProvider).resolve({ registry, repository, signal });
  } else if (given) {
    credentials = () => Promise.resolve(given as Credentials);
  } else if (
    options.token === undefined && options.useDefaultCredentials !== false
  ) {
    credentials = (signal) => defaultCredentials(registry, repository, signal);
  }
  return {
    credentials,
    token: options.token,
    scopes: options.scopes,
    insecure: options.insecure,
    oauth2: options.oauth2,
  };
}

/** `Content-Length` as a number; `undefined` when missing or not digits. */
function contentLengthOf(headers: Headers): number | undefined {
  const value = headers.get("content-length")?.trim();
  if (value === undefined || !/^\d{1,15}$/.test(value)) return undefined;
  return Number(value);
}

function mediaTypeOf(contentType: string | null): string {
  return (contentType ?? "").split(";")[0].trim().toLowerCase();
}

function parseJson(bytes: Uint8Array, attempted: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (cause) {
    throw new InvalidResponseError(attempted, "the body is not valid JSON", {
      cause,
    });
  }
}

const KNOWN_MANIFEST_TYPES = new Set<string>([
  MEDIA_TYPE.DOCKER_MANIFEST,
  MEDIA_TYPE.DOCKER_MANIFEST_LIST,
  MEDIA_TYPE.OCI_MANIFEST,
  MEDIA_TYPE.OCI_INDEX,
  ...SCHEMA1_MEDIA_TYPES,
]);

/** The manifest's media type; refuses a body that contradicts `Content-Type`. */
function manifestMediaType(
  manifest: Manifest,
  contentType: string,
  attempted: string,
): string {
  const declared = (manifest as { mediaType?: unknown }).mediaType;
  if (declared !== undefined && typeof declared !== "string") {
    throw new InvalidResponseError(
      attempted,
      "the manifest's mediaType is not a string",
    );
  }
  if (
    declared && KNOWN_MANIFEST_TYPES.has(contentType) &&
    declared !== contentType
  ) {
    throw new InvalidResponseError(
      attempted,
      `the manifest's mediaType "${declared}" contradicts Content-Type "${contentType}"`,
    );
  }
  if (declared) return declared;
  if (KNOWN_MANIFEST_TYPES.has(contentType)) return contentType;
  if (manifest.schemaVersion === 1) return MEDIA_TYPE.DOCKER_MANIFEST_V1_SIGNED;
  return isImageIndex(manifest)
    ? MEDIA_TYPE.OCI_INDEX
    : MEDIA_TYPE.OCI_MANIFEST;
}

/** Checks the manifest's digest against what was expected; returns it. */
async function verifyManifestDigest(
  bytes: Uint8Array,
  mediaType: string,
  expected: string | null,
  attempted: string,
): Promise<string> {
  let algorithm: "sha256" | "sha512" = "sha256";
  if (expected !== null) {
    try {
      algorithm = parseDigest(expected).algorithm;
    } catch {
      expected = null; // A garbage Docker-Content-Digest is ignored.
    }
  }
  const actual =
    SCHEMA1_MEDIA_TYPES.includes(mediaType) && algorithm === "sha256"
      ? (await import("../ref/digest.ts")).digestFromManifestStr(
        new TextDecoder().decode(bytes),
      )
      : await digestOfBytes(bytes, algorithm);
  if (expected !== null && actual !== expected) {
    throw new DigestMismatchError(attempted, expected, actual);
  }
  return actual;
}

function filterArtifactType(
  manifests: Descriptor[],
  artifactType: string | undefined,
): Descriptor[] {
  return artifactType === undefined
    ? manifests
    : manifests.filter((d) => d.artifactType === artifactType);
}

function referrersIndex(manifests: Descriptor[]): ImageIndex {
  return { schemaVersion: 2, mediaType: MEDIA_TYPE.OCI_INDEX, manifests };
}

/**
 * The default credential chain (docker config, helpers, containers auth),
 * loaded only when env and read permissions are already granted.
 */
async function defaultCredentials(
  registry: string,
  repository: string,
  signal?: AbortSignal,
): Promise<Credentials | undefined> {
  const granted = (name: "env" | "read") =>
    Deno.permissions.querySync?.({ name }).state === "granted";
  if (!granted("env") || !granted("read")) return undefined;
  const { defaultCredentialChain } = await import(
    "../credentials/default_chain.ts"
  );
  return defaultCredentialChain().resolve({ registry, repository, signal });
}

function readRateLimit(headers: Headers): RateLimit | undefined {
  const limit = headers.get("ratelimit-limit");
  if (limit === null) return undefined;
  const [count, ...params] = limit.split(";");
  const parsed: RateLimit = { limit: Number(count.trim()) };
  if (!Number.isFinite(parsed.limit)) return undefined;
  const w = params.map((p) => p.trim()).find((p) => p.startsWith("w="));
  if (w) parsed.windowSeconds = Number(w.slice(2));
  const remaining = headers.get("ratelimit-remaining");
  if (remaining !== null) {
    const r = Number(remaining.split(";")[0].trim());
    if (Number.isFinite(r)) parsed.remaining = r;
  }
  return parsed;
}
