/**
 * Authentication of the fake registry: Basic credentials, or bearer tokens
 * issued by its own token endpoint (GET with repeated `scope`, OAuth2 POST
 * with the `password` and `refresh_token` grants), with scopes, expiry and
 * challenges that ask for what is missing.
 *
 * @module
 */

import { decodeBase64 } from "@std/encoding/base64";
import { STATUS_CODE } from "@std/http/status";
import type { FakeFaults } from "./_fake_types.ts";
import {
  API_VERSION_HEADERS,
  json,
  ociError,
  randomHex,
  readBody,
} from "./_fake_http.ts";

/** One resource and the actions a request needs on it. */
export interface Access {
  type: string;
  name: string;
  actions: string[];
}

/** How the fake authenticates. */
export interface AuthConfig {
  mode: "none" | "basic" | "bearer";
  username: string;
  password: string;
  lifetimeSeconds: number;
  /** Absolute URL of the token endpoint. */
  realm: string;
  service: string;
}

interface IssuedToken {
  granted: Access[];
  expiresAt: number;
  uses: number;
}

const ALL_ACTIONS = ["pull", "push", "delete", "*"];
const MAX_FORM_BYTES = 64 * 1024;

/** `repository:name:pull,push`. */
export function scopeString(access: Access): string {
  return `${access.type}:${access.name}:${access.actions.join(",")}`;
}

/** Parses `type:name:actions`; the name may hold one `:` (host:port). */
export function parseScope(scope: string): Access | undefined {
  const first = scope.indexOf(":");
  const last = scope.lastIndexOf(":");
  if (first <= 0 || last === first || last === scope.length - 1) {
    return undefined;
  }
  const name = scope.slice(first + 1, last);
  if (name === "" || name.split(":").length > 2) return undefined;
  return {
    type: scope.slice(0, first),
    name,
    actions: scope.slice(last + 1).split(","),
  };
}

/** Checks credentials and issues tokens for the fake registry. */
export class Authority {
  #config: AuthConfig;
  #faults: () => FakeFaults;
  #tokens = new Map<string, IssuedToken>();
  #refreshTokens = new Set<string>();
  /** Tokens issued so far. */
  issued = 0;

  constructor(config: AuthConfig, faults: () => FakeFaults) {
    this.#config = config;
    this.#faults = faults;
  }

  /** Forgets every token and refresh token issued so far. */
  revoke(): void {
    this.#tokens.clear();
    this.#refreshTokens.clear();
  }

  /** Expires every token issued so far (refresh tokens stay valid). */
  expireTokens(): void {
    this.#tokens.clear();
  }

  /** The 401 answer with the challenge for `needed` and an `error`. */
  refuse(needed: Access[], error: string, message: string): Response {
    return this.#unauthorized(needed, error, message);
  }

  /**
   * `undefined` when the request may go on, else the 401 answer with the
   * challenge for `needed`.
   */
  authorize(req: Request, needed: Access[]): Response | undefined {
    const { mode } = this.#config;
    if (mode === "none") return undefined;
    const header = req.headers.get("authorization") ?? "";
    if (mode === "basic") {
      return this.#basicUser(header) === undefined
        ? this.#unauthorized(needed, undefined, "authentication required")
        : undefined;
    }
    const match = /^bearer\s+(\S+)$/i.exec(header);
    if (match === null) {
      return this.#unauthorized(needed, undefined, "authentication required");
    }
    const token = this.#tokens.get(match[1]);
    const limit = this.#faults().expireTokensAfter?.requests;
    if (
      token === undefined || token.expiresAt <= Date.now() ||
      (limit !== undefined && token.uses >= limit)
    ) {
      return this.#unauthorized(needed, "invalid_token", "token expired");
    }
    if (!needed.every((n) => covers(token.granted, n))) {
      return this.#unauthorized(
        needed,
        "insufficient_scope",
        "insufficient scope",
      );
    }
    token.uses++;
    return undefined;
  }

  /** Answers `GET` and `POST` on the token endpoint. */
  async tokenEndpoint(req: Request, url: URL): Promise<Response> {
    if (req.method === "GET") return this.#getToken(req, url);
    if (req.method === "POST") return await this.#postToken(req);
    return ociError(
      STATUS_CODE.MethodNotAllowed,
      "UNSUPPORTED",
      "use GET or POST",
    );
  }

  #getToken(req: Request, url: URL): Response {
    const params = url.searchParams;
    if (params.get("service") !== this.#config.service) {
      return oauthError(
        STATUS_CODE.BadRequest,
        "invalid_request",
        "unknown service",
      );
    }
    const header = req.headers.get("authorization");
    const user = header === null ? undefined : this.#basicUser(header);
    if (header !== null && user === undefined) {
      return ociError(
        STATUS_CODE.Unauthorized,
        "UNAUTHORIZED",
        "incorrect username or password",
      );
    }
    const scopes = parseScopes(params.getAll("scope"));
    if (scopes === undefined) {
      return oauthError(
        STATUS_CODE.BadRequest,
        "invalid_scope",
        "cannot parse scope",
      );
    }
    const offline = params.get("offline_token") === "true" &&
      user !== undefined;
    return this.#issue(scopes, user !== undefined, offline);
  }

  async #postToken(req: Request): Promise<Response> {
    const body = await readBody(req, MAX_FORM_BYTES);
    if (body === undefined) {
      return oauthError(
        STATUS_CODE.BadRequest,
        "invalid_request",
        "form too large",
      );
    }
    const form = new URLSearchParams(new TextDecoder().decode(body));
    if (form.get("service") !== this.#config.service) {
      return oauthError(
        STATUS_CODE.BadRequest,
        "invalid_request",
        "unknown service",
      );
    }
    if (!form.get("client_id")) {
      return oauthError(
        STATUS_CODE.BadRequest,
        "invalid_request",
        "client_id is required",
      );
    }
    const scopes = parseScopes(form.getAll("scope"));
    if (scopes === undefined) {
      return oauthError(
        STATUS_CODE.BadRequest,
        "invalid_scope",
        "cannot parse scope",
      );
    }
    const grant = form.get("grant_type");
    if (grant === "password") {
      const { username, password } = this.#config;
      if (
        form.get("username") !== username || form.get("password") !== password
      ) {
        return oauthError(
          STATUS_CODE.BadRequest,
          "invalid_grant",
          "incorrect password",
        );
      }
      return this.#issue(scopes, true, form.get("access_type") === "offline");
    }
    if (grant === "refresh_token") {
      if (!this.#refreshTokens.has(form.get("refresh_token") ?? "")) {
        return oauthError(
          STATUS_CODE.BadRequest,
          "invalid_grant",
          "unknown refresh token",
        );
      }
      return this.#issue(scopes, true, false);
    }
    return oauthError(
      STATUS_CODE.BadRequest,
      "unsupported_grant_type",
      "unknown grant_type",
    );
  }

  #issue(requested: Access[], authenticated: boolean, offline: boolean) {
    const override = this.#faults().tokenAnswer;
    if (override !== undefined) return json(override);
    const token = randomHex(24);
    const now = Date.now();
    const lifetime = this.#config.lifetimeSeconds;
    this.#tokens.set(token, {
      granted: requested.map((a) => grant(a, authenticated)),
      expiresAt: now + lifetime * 1000,
      uses: 0,
    });
    this.issued++;
    const answer: Record<string, unknown> = {
      token,
      access_token: token,
      expires_in: lifetime,
      issued_at: new Date(now).toISOString(),
    };
    if (offline) {
      const refresh = randomHex(24);
      this.#refreshTokens.add(refresh);
      answer.refresh_token = refresh;
    }
    return json(answer);
  }

  /** The user name of valid Basic credentials, else `undefined`. */
  #basicUser(header: string): string | undefined {
    const match = /^basic\s+(\S+)$/i.exec(header);
    if (match === null) return undefined;
    let decoded: string;
    try {
      decoded = new TextDecoder().decode(decodeBase64(match[1]));
    } catch {
      return undefined;
    }
    const { username, password } = this.#config;
    return decoded === `${username}:${password}` ? username : undefined;
  }

  #unauthorized(
    needed: Access[],
    error: string | undefined,
    message: string,
  ): Response {
    const challenge = this.#faults().wwwAuthenticate ??
      this.#challenge(needed, error);
    const detail = needed.flatMap((a) =>
      a.actions.map((action) => ({
        Type: a.type,
        Name: a.name,
        Action: action,
      }))
    );
    return ociError(STATUS_CODE.Unauthorized, "UNAUTHORIZED", message, detail, {
      ...API_VERSION_HEADERS,
      "www-authenticate": challenge,
    });
  }

  #challenge(needed: Access[], error: string | undefined): string {
    if (this.#config.mode === "basic") return 'Basic realm="fake"';
    let value =
      `Bearer realm="${this.#config.realm}",service="${this.#config.service}"`;
    if (needed.length > 0) {
      value += `,scope="${needed.map(scopeString).join(" ")}"`;
    }
    if (error !== undefined) value += `,error="${error}"`;
    return value;
  }
}

/** Every `scope` value, each possibly several space-separated scopes. */
function parseScopes(values: string[]): Access[] | undefined {
  const out: Access[] = [];
  for (const scope of values.flatMap((v) => v.split(" ")).filter(Boolean)) {
    const access = parseScope(scope);
    if (access === undefined) return undefined;
    out.push(access);
  }
  return out;
}

/** What the fake grants: anonymous users may only pull repositories. */
function grant(requested: Access, authenticated: boolean): Access {
  let allowed: string[] = [];
  if (requested.type === "repository") {
    allowed = authenticated ? ALL_ACTIONS : ["pull"];
  } else if (requested.type === "registry" && authenticated) {
    allowed = ["*"];
  }
  return {
    ...requested,
    actions: requested.actions.filter((a) => allowed.includes(a)),
  };
}

/** Whether granted scopes cover one needed access. */
function covers(granted: Access[], needed: Access): boolean {
  return needed.actions.every((action) =>
    granted.some((g) =>
      g.type === needed.type && g.name === needed.name &&
      (g.actions.includes(action) || g.actions.includes("*"))
    )
  );
}

function oauthError(
  status: number,
  error: string,
  description: string,
): Response {
  return json({ error, error_description: description }, status);
}
