/**
 * The auth layer: pings a registry once, reads every challenge it sends, and
 * authenticates each request with Basic credentials or a bearer token for
 * exactly the scopes the request needs.
 *
 * Token flows (Docker token auth, and its OAuth2 variant):
 * - anonymous: `GET <realm>?service=&scope=` with no credentials;
 * - with a username and password: the same `GET` with Basic credentials
 *   (one `scope` parameter per scope), or an OAuth2 `POST` with
 *   `grant_type=password` when `oauth2` is set;
 * - with an identity token (a refresh token): an OAuth2 `POST` with
 *   `grant_type=refresh_token`;
 * - an OAuth2 `POST` answered 404 falls back to the `GET`.
 *
 * Tokens are cached per scope set until shortly before they expire;
 * concurrent requests share one token request; a 401 that asks for more scope
 * (or refuses a cached token) gets one more token and one replay. A request
 * whose body is a stream cannot be replayed: the token is renewed all the
 * same and the 401 returned, for the caller (an upload) to resend from where
 * the registry stands.
 *
 * Credentials go only to the registry's origin and its token realm.
 *
 * @module
 */

import {
  type BearerChallenge,
  bearerChallenge,
  type Challenge,
  parseChallenges,
} from "../http/challenge.ts";
import { encodeBase64 } from "@std/encoding/base64";
import type { Credentials } from "../credentials/provider.ts";
import { InvalidResponseError, UnsafeRequestError } from "../errors.ts";
import { errorFromResponse, readBounded, secretsOf } from "../http/_body.ts";
import { redactUrl } from "../http/_redact.ts";
import {
  formatScope,
  mergeScopes,
  parseScopes,
  type Scope,
  scopesCover,
} from "../ref/scope.ts";
import type { Transport } from "./transport.ts";
import { isLoopbackHost } from "./_loopback.ts";
import { cloneForReplay, isReplayable, markReplayable } from "./_replay.ts";
import { scopesForRequest } from "./_request_scope.ts";
import { recordAuthorization, secretsSentWith } from "./_sent_secrets.ts";
import { Shared } from "./_shared.ts";

/** Token answers are read up to this many bytes. */
const MAX_TOKEN_ANSWER = 1024 * 1024;
/** Tokens without `expires_in` (or with less) live this long, per the spec. */
const MIN_TOKEN_LIFETIME_S = 60;

/** Options of {@linkcode RegistryAuth}. */
export interface AuthOptions {
  /** The registry's origin, e.g. `https://registry-1.docker.io`. */
  registry: string;
  /**
   * Where credentials come from; called when a challenge first needs them,
   * and again only if that lookup failed or was abandoned.
   */
  credentials?: (signal?: AbortSignal) => Promise<Credentials | undefined>;
  /** A bearer token used as given, never replaced by a token request. */
  token?: string;
  /** Scopes added to every token request, e.g. `repository:foo:push`. */
  scopes?: readonly string[];
  /**
   * Allow credentials over plain http to a host that is not loopback.
   * @default {false}
   */
  insecure?: boolean;
  /**
   * Ask for tokens with an OAuth2 `POST` (`grant_type=password`) instead of a
   * `GET` with Basic credentials.
   * @default {false}
   */
  oauth2?: boolean;
  /**
   * The `client_id` sent in OAuth2 token requests.
   * @default {"docker-registry-client"}
   */
  clientId?: string;
}

/** What {@linkcode RegistryAuth.ping} learned of a registry. */
export interface PingResult {
  /** The status of `GET /v2/`: 200 (open) or 401 (auth needed). */
  status: number;
  /** The challenges the registry sent (none when open). */
  challenges: Challenge[];
  /** Whether the registry says it speaks the V2 API (`Docker-Distribution-API-Version: registry/2.0`, or any 200/401). */
  supportsV2: boolean;
  /** The response headers. */
  headers: Headers;
}

/** What {@linkcode RegistryAuth.login} did. */
export interface LoginResult {
  /** How the registry authenticates: `none`, `basic` or `bearer`. */
  scheme: "none" | "basic" | "bearer";
  /** The scopes a token was obtained for (bearer only). */
  scopes: string[];
  /** A refresh token the token server handed out (OAuth2), if any. */
  refreshToken?: string;
}

interface CachedToken {
  token: string;
  scopes: Scope[];
  refreshAt: number;
  expiresAt: number;
}

/**
 * Authentication for one registry: a transport layer plus the state behind
 * it (the ping result, the credentials, the token cache). Clients of several
 * repositories on one registry can share one.
 *
 * @example
 * ```ts
 * import { RegistryAuth } from "jsr:@scope/docker-registry-client";
 *
 * const auth = new RegistryAuth((request) => fetch(request), {
 *   registry: "http://127.0.0.1:5000",
 *   credentials: () => Promise.resolve({ username: "u", password: "p" }),
 * });
 * const res = await auth.transport(new Request("http://127.0.0.1:5000/v2/foo/tags/list"));
 * console.log(res.status);
 * await res.body?.cancel();
 * ```
 */
export class RegistryAuth {
  /** The transport that authenticates requests to the registry. */
  readonly transport: Transport;
  readonly #inner: Transport;
  readonly #origin: string;
  readonly #options: AuthOptions;
  #ping?: Shared<PingResult>;
  #credentials?: Shared<Credentials | undefined>;
  #refreshToken?: string;
  readonly #tokens: CachedToken[] = [];
  readonly #pending = new Map<string, Shared<CachedToken>>();

  /**
   * Creates the auth state for one registry.
   *
   * @param inner The layer below (user agent, redirects, retry, fetch).
   * @param options The registry and where credentials come from.
   */
  constructor(inner: Transport, options: AuthOptions) {
    this.#inner = inner;
    this.#options = options;
    this.#origin = new URL(options.registry).origin;
    this.transport = (request) => this.#send(request);
  }

  /** The registry origin this instance authenticates to. */
  get origin(): string {
    return this.#origin;
  }

  /**
   * Pings `GET /v2/` once (later calls share the first answer; concurrent
   * calls share one request, which is cancelled only when all of them are).
   *
   * @param signal Cancels this call's wait.
   * @returns The status, challenges and headers.
   * @throws {HttpError} When the registry answers neither 200 nor 401.
   */
  ping(signal?: AbortSignal): Promise<PingResult> {
    if (this.#ping === undefined) {
      const forget = () => {
        if (this.#ping === shared) this.#ping = undefined;
      };
      const shared: Shared<PingResult> = new Shared(
        (s) => this.#doPing(s),
        forget,
      );
      shared.promise.catch(forget);
      this.#ping = shared;
    }
    return this.#ping.wait(signal);
  }

  /**
   * Authenticates explicitly: pings, then gets a token for `scopes` (bearer)
   * or checks the Basic credentials with an authenticated `GET /v2/`.
   *
   * @param scopes The scopes to get a token for (bearer).
   * @param signal Cancels the login.
   * @returns How the registry authenticates and what was obtained.
   * @throws {AuthenticationError} When the credentials are refused.
   */
  async login(
    scopes: readonly string[] = [],
    signal?: AbortSignal,
  ): Promise<LoginResult> {
    const ping = await this.ping(signal);
    if (ping.status === 200) return { scheme: "none", scopes: [] };
    const wanted = mergeScopes([...scopes, ...(this.#options.scopes ?? [])]);
    const bearer = ping.challenges.find((c) => c.scheme === "bearer");
    if (bearer && !this.#options.token) {
      const token = await this.#tokenFor(
        bearerOf(bearer, `log in to ${this.#origin}`),
        wanted,
        signal,
        true,
      );
      return {
        scheme: "bearer",
        scopes: token.scopes.map(formatScope),
        ...(this.#refreshToken ? { refreshToken: this.#refreshToken } : {}),
      };
    }
    const url = `${this.#origin}/v2/`;
    const request = new Request(url, { signal });
    const res = await this.#send(request);
    if (res.status !== 200) {
      throw await errorFromResponse(
        res,
        `log in to ${this.#origin}`,
        "GET",
        url,
        secretsSentWith(request),
      );
    }
    await res.body?.cancel();
    return { scheme: bearer ? "bearer" : "basic", scopes: [] };
  }

  async #doPing(signal?: AbortSignal): Promise<PingResult> {
    const url = `${this.#origin}/v2/`;
    const res = await this.#inner(new Request(url, { signal }));
    if (res.status !== 200 && res.status !== 401) {
      throw await errorFromResponse(res, `ping ${this.#origin}`, "GET", url);
    }
    await res.body?.cancel();
    const challenges = res.status === 401
      ? challengesOf(res.headers, `ping ${this.#origin}`)
      : [];
    const version = res.headers.get("docker-distribution-api-version");
    return {
      status: res.status,
      challenges,
      supportsV2: version === null || version.startsWith("registry/2"),
      headers: res.headers,
    };
  }

  /** Looks credentials up once; a failed or abandoned lookup is retried. */
  #loadCredentials(signal?: AbortSignal): Promise<Credentials | undefined> {
    const lookup = this.#options.credentials;
    if (lookup === undefined) return Promise.resolve(undefined);
    if (this.#credentials === undefined) {
      const forget = () => {
        if (this.#credentials === shared) this.#credentials = undefined;
      };
      const shared: Shared<Credentials | undefined> = new Shared(
        (s) => lookup(s),
        forget,
      );
      shared.promise.catch(forget);
      this.#credentials = shared;
    }
    return this.#credentials.wait(signal);
  }

  async #send(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.origin !== this.#origin || request.headers.has("authorization")) {
      return this.#inner(request);
    }
    const ping = await this.ping(request.signal);
    if (ping.status === 200) return this.#inner(request);
    const wanted = mergeScopes([
      ...scopesForRequest(request.method, url),
      ...(this.#options.scopes ?? []),
    ]);
    const spare = isReplayable(request) ? cloneForReplay(request) : undefined;
    const used = await this.#authorize(request, ping.challenges, wanted);
    const res = await this.#inner(request);
    if (res.status !== 401 || used === undefined) return res;
    // One more token, one replay: the registry wants more scope, or refused
    // a token it should have accepted (revoked, or expired early). A request
    // whose body is a stream cannot be replayed: the token is renewed all
    // the same and the 401 goes back, so that the caller (an upload) can
    // resend from where the registry stands with the new token.
    let challenge: BearerChallenge | undefined;
    let asked: Scope[] = [];
    try {
      const found = parseChallenges(res.headers).find((c) =>
        c.scheme === "bearer"
      );
      if (found) {
        challenge = bearerChallenge(found);
        asked = parseScopes(challenge.scope.join(" "));
      }
    } catch {
      return res;
    }
    if (!challenge) return res;
    if (spare === undefined) {
      await this.#renew(used, challenge, [...wanted, ...asked], request.signal);
      return res;
    }
    await res.body?.cancel();
    this.#forget(used);
    const token = await this.#tokenFor(
      challenge,
      mergeScopes([...wanted, ...asked]),
      request.signal,
      true,
    );
    const authorization = `Bearer ${token.token}`;
    spare.headers.set("authorization", authorization);
    recordAuthorization(request, authorization);
    return this.#inner(spare);
  }

  /** Sets `Authorization` on the request; returns the token used, if any. */
  async #authorize(
    request: Request,
    challenges: Challenge[],
    wanted: Scope[],
  ): Promise<CachedToken | undefined> {
    const bearer = challenges.find((c) => c.scheme === "bearer");
    if (this.#options.token !== undefined) {
      this.#checkTransport(new URL(request.url), "send a bearer token");
      request.headers.set("authorization", `Bearer ${this.#options.token}`);
      return undefined;
    }
    const creds = await this.#loadCredentials(request.signal);
    if (creds?.registryToken) {
      this.#checkTransport(new URL(request.url), "send a bearer token");
      request.headers.set("authorization", `Bearer ${creds.registryToken}`);
      return undefined;
    }
    if (bearer) {
      const token = await this.#tokenFor(
        bearerOf(bearer, `authenticate to ${this.#origin}`),
        wanted,
        request.signal,
        false,
      );
      this.#checkTransport(new URL(request.url), "send a bearer token");
      request.headers.set("authorization", `Bearer ${token.token}`);
      return token;
    }
    if (challenges.some((c) => c.scheme === "basic") && creds?.username) {
      this.#checkTransport(new URL(request.url), "send Basic credentials");
      request.headers.set(
        "authorization",
        basicAuthorization(creds.username, creds.password ?? ""),
      );
    }
    return undefined;
  }

  /** Refuses credentials over plain http to a non-loopback host. */
  #checkTransport(url: URL, attempted: string): void {
    if (
      url.protocol === "http:" && !isLoopbackHost(url.hostname) &&
      !this.#options.insecure
    ) {
      throw new UnsafeRequestError(
        `${attempted} to ${url.host}`,
        "refusing to send credentials over plain http to a non-loopback host (set insecure to allow it)",
      );
    }
  }

  /**
   * Replaces a refused token, for requests that cannot be replayed here:
   * the next request gets the new one. A failed renewal is left to that
   * request (it asks again); the 401 in hand is what the caller sees now.
   */
  async #renew(
    used: CachedToken,
    challenge: BearerChallenge,
    scopes: Scope[],
    signal: AbortSignal,
  ): Promise<void> {
    this.#forget(used);
    try {
      await this.#tokenFor(challenge, mergeScopes(scopes), signal, true);
    } catch {
      // The caller's next request asks for a token again.
    }
  }

  #forget(token: CachedToken): void {
    const i = this.#tokens.indexOf(token);
    if (i >= 0) this.#tokens.splice(i, 1);
  }

  /** A valid cached token covering `wanted`, or a new one. */
  #tokenFor(
    challenge: ReturnType<typeof bearerChallenge>,
    wanted: Scope[],
    signal: AbortSignal | undefined,
    fresh: boolean,
  ): Promise<CachedToken> {
    const now = Date.now();
    for (let i = this.#tokens.length - 1; i >= 0; i--) {
      const t = this.#tokens[i];
      if (t.expiresAt <= now) {
        this.#tokens.splice(i, 1);
        continue;
      }
      if (!fresh && t.refreshAt > now && scopesCover(t.scopes, wanted)) {
        return Promise.resolve(t);
      }
    }
    // Escalate once per repository: ask for what the latest token of the
    // same repositories held as well, so a pull token grows into pull,push.
    const widened = mergeScopes([
      ...wanted,
      ...this.#tokens.flatMap((t) =>
        t.scopes.filter((s) =>
          wanted.some((w) => w.type === s.type && w.name === s.name)
        )
      ),
    ]);
    const key = widened.map(formatScope).join(" ");
    let pending = this.#pending.get(key);
    if (!pending) {
      const forget = () => {
        if (this.#pending.get(key) === shared) this.#pending.delete(key);
      };
      const shared: Shared<CachedToken> = new Shared(
        (s) => this.#fetchToken(challenge, widened, s),
        forget,
      );
      shared.promise.then(forget, forget);
      this.#pending.set(key, shared);
      pending = shared;
    }
    return pending.wait(signal);
  }

  async #fetchToken(
    challenge: ReturnType<typeof bearerChallenge>,
    scopes: Scope[],
    signal: AbortSignal | undefined,
  ): Promise<CachedToken> {
    const scopeStrings = scopes.map(formatScope);
    const attempted = `get a token for ${
      scopeStrings.join(" ") || "the registry"
    } from ${redactUrl(challenge.realm)}`;
    let realm: URL;
    try {
      realm = new URL(challenge.realm);
    } catch {
      throw new InvalidResponseError(attempted, "the realm is not a URL");
    }
    if (realm.protocol !== "https:" && realm.protocol !== "http:") {
      throw new InvalidResponseError(attempted, "the realm is not http(s)");
    }
    const creds = await this.#loadCredentials(signal);
    const refreshToken = this.#refreshToken ?? creds?.identityToken;
    const hasPassword = creds?.username !== undefined &&
      creds.password !== undefined;
    if ((refreshToken || hasPassword) && realm.protocol === "http:") {
      this.#checkTransport(realm, "send credentials to the token server");
    }
    let res: Response | undefined;
    let method = "GET";
    if (refreshToken || (this.#options.oauth2 && hasPassword)) {
      method = "POST";
      const form = new URLSearchParams();
      if (refreshToken) {
        form.set("grant_type", "refresh_token");
        form.set("refresh_token", refreshToken);
      } else {
        form.set("grant_type", "password");
        form.set("username", creds!.username!);
        form.set("password", creds!.password!);
        form.set("access_type", "offline");
      }
      if (challenge.service) form.set("service", challenge.service);
      form.set("client_id", this.#options.clientId ?? "docker-registry-client");
      if (scopeStrings.length) form.set("scope", scopeStrings.join(" "));
      res = await this.#inner(
        markReplayable(
          new Request(realm, {
            method: "POST",
            headers: { "content-type": "application/x-www-form-urlencoded" },
            body: form,
            signal,
          }),
        ),
      );
      if (res.status === 404) {
        await res.body?.cancel();
        res = undefined;
        method = "GET";
      }
    }
    if (res === undefined) {
      const url = new URL(realm);
      if (challenge.service) url.searchParams.set("service", challenge.service);
      for (const s of scopeStrings) url.searchParams.append("scope", s);
      const headers = new Headers();
      if (hasPassword) {
        url.searchParams.set("account", creds!.username!);
        headers.set(
          "authorization",
          basicAuthorization(creds!.username!, creds!.password!),
        );
      }
      res = await this.#inner(new Request(url, { headers, signal }));
    }
    if (res.status !== 200) {
      // The token server may echo what it was sent: the Basic value, the
      // password, the refresh token.
      const secrets = [
        ...(hasPassword
          ? secretsOf(basicAuthorization(creds!.username!, creds!.password!))
          : []),
        ...[refreshToken].filter((t): t is string => !!t && t.length >= 4),
      ];
      throw await errorFromResponse(
        res,
        attempted,
        method,
        realm.href,
        secrets,
        "the token server",
      );
    }
    const body = await readBounded(res, MAX_TOKEN_ANSWER, attempted);
    let answer: Record<string, unknown>;
    try {
      answer = JSON.parse(new TextDecoder().decode(body));
    } catch {
      // No cause: JSON.parse quotes the text, which may hold a token.
      throw new InvalidResponseError(attempted, "the answer is not JSON");
    }
    if (typeof answer !== "object" || answer === null) {
      throw new InvalidResponseError(attempted, "the answer is not an object");
    }
    const token = typeof answer.token === "string" && answer.token
      ? answer.token
      : typeof answer.access_token === "string" && answer.access_token
      ? answer.access_token
      : undefined;
    if (token === undefined) {
      throw new InvalidResponseError(
        attempted,
        "the answer has neither token nor access_token",
      );
    }
    if (typeof answer.refresh_token === "string" && answer.refresh_token) {
      this.#refreshToken = answer.refresh_token;
    }
    const lifetimeS = typeof answer.expires_in === "number" &&
        answer.expires_in > MIN_TOKEN_LIFETIME_S
      ? answer.expires_in
      : MIN_TOKEN_LIFETIME_S;
    const now = Date.now();
    const issued = typeof answer.issued_at === "string"
      ? Date.parse(answer.issued_at)
      : NaN;
    const start = Number.isNaN(issued) ? now : Math.min(issued, now);
    const expiresAt = start + lifetimeS * 1000;
    const margin = Math.min(30_000, lifetimeS * 100);
    const cached: CachedToken = {
      token,
      scopes,
      expiresAt,
      refreshAt: expiresAt - margin,
    };
    this.#tokens.push(cached);
    return cached;
  }
}

/** The challenges of a 401; a header that does not parse is a bad response. */
function challengesOf(headers: Headers, attempted: string): Challenge[] {
  try {
    return parseChallenges(headers);
  } catch (cause) {
    throw new InvalidResponseError(
      attempted,
      "the WWW-Authenticate header does not parse",
      { cause },
    );
  }
}

/** A bearer challenge's parameters; one without a usable realm is a bad response. */
function bearerOf(
  challenge: Challenge,
  attempted: string,
): ReturnType<typeof bearerChallenge> {
  try {
    return bearerChallenge(challenge);
  } catch (cause) {
    throw new InvalidResponseError(
      attempted,
      "the bearer challenge does not parse",
      { cause },
    );
  }
}

/** `Basic base64(user:password)`, UTF-8. */
function basicAuthorization(username: string, password: string): string {
  return `Basic ${encodeBase64(`${username}:${password}`)}`;
}
