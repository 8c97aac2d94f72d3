/**
 * A Docker-style token server for tests: issues JWTs that Debian's
 * `docker-registry` (distribution 2.8) accepts in `auth.token` mode.
 *
 * Follows distribution's `docs/spec/auth/token.md` (GET) and `oauth.md`
 * (POST). Listens on 127.0.0.1 only. Private test support: not re-exported.
 *
 * Policy:
 * - GET `/token?service=&scope=` — `scope` may be repeated and each value may
 *   hold several space-separated scopes. Optional Basic credentials. With the
 *   right credentials every requested action is granted (`pull`, `push`,
 *   `delete`, `*`, `registry:catalog:*`); anonymous callers only get `pull`
 *   on `repository:` scopes and nothing else; wrong credentials give 401.
 *   `access_type=offline` with valid credentials adds a `refresh_token`.
 * - POST `/token` (form, OAuth2): `grant_type=password` (`username`,
 *   `password`) or `grant_type=refresh_token` (`refresh_token`), with
 *   `service`, `client_id` (required, 400 without it), `scope`
 *   (space-separated). A password grant always answers with a
 *   `refresh_token` (as if `access_type=offline`); a refresh grant answers
 *   with the same refresh token. Failed authentication gives 401.
 * - A `service` that differs from the server's gives 400.
 * - Answers: `{token, access_token, expires_in, issued_at[, refresh_token]}`
 *   (POST adds `scope`, the granted scopes).
 *
 * Tokens are ES256 JWTs with the signing certificate in the `x5c` header
 * (registry 2.8 verifies that chain against `auth.token.rootcertbundle`).
 * Registry 2.8 accepts tokens up to 60 s past `exp` (its leeway), so `exp`
 * is set to `iat + lifetime - 60`: the registry then stops accepting a
 * token `lifetime` seconds after issue, matching `expires_in`.
 *
 * @module
 */

import { decodeBase64 } from "@std/encoding/base64";
import { encodeBase64Url } from "@std/encoding/base64url";
import { STATUS_CODE } from "@std/http/status";
import { join } from "@std/path/posix/join";
import { createPrivateKey, randomBytes, sign } from "node:crypto";
import type { KeyObject } from "node:crypto";

/** One request the token server received. */
export interface TokenRequestRecord {
  /** HTTP method. */
  method: "GET" | "POST";
  /** OAuth2 `grant_type` (POST only). */
  grantType?: string;
  /** Requested scopes, one entry per scope (space-separated values split). */
  scopes: string[];
  /** Username presented (Basic, `username` field or refresh token owner), valid or not. */
  account?: string;
  /** The `service` parameter, if sent. */
  service?: string;
  /** The `client_id` parameter, if sent. */
  clientId?: string;
  /** HTTP status the server answered. */
  status: number;
  /** Scopes granted in the issued token (empty when none issued). */
  granted: string[];
  /** `Date.now()` when the request arrived. */
  at: number;
}

/** A running token server. */
export interface TokenServer extends AsyncDisposable {
  /** The realm: `http://127.0.0.1:PORT/token`. */
  url: string;
  /** The `service` (token audience) it issues tokens for. */
  service: string;
  /** The `iss` claim of its tokens. */
  issuer: string;
  /** PEM of the self-signed certificate that signs tokens (the registry's root bundle). */
  certificatePem: string;
  /** Every request received, in order. Tests may clear it (`requests.length = 0`). */
  requests: TokenRequestRecord[];
  /** Sets `expires_in` (and the effective lifetime) of tokens issued from now on. */
  setTokenLifetime(seconds: number): void;
  /** Stops the server; idempotent. */
  stop(): Promise<void>;
}

/** Options of {@linkcode startTokenServer}. */
export interface TokenServerOptions {
  /** The one valid user. */
  username: string;
  /** Its password. */
  password: string;
  /** Token audience. @default "test-registry" */
  service?: string;
  /** Token issuer. @default "test-token-issuer" */
  issuer?: string;
  /** Token lifetime in seconds. @default 300 */
  tokenLifetime?: number;
}

const DEFAULT_LIFETIME = 300;
/** Registry 2.8 accepts tokens this many seconds past `exp`. */
const REGISTRY_LEEWAY = 60;

/** The base64 DER body of a PEM certificate (what `x5c` holds). */
function pemToBase64Der(pem: string): string {
  return pem
    .replace(/-----BEGIN CERTIFICATE-----/, "")
    .replace(/-----END CERTIFICATE-----[\s\S]*$/, "")
    .replace(/\s+/g, "");
}

/** Generates a throwaway P-256 key and self-signed certificate with openssl. */
async function generateKeyAndCert(
  commonName: string,
): Promise<{ keyPem: string; certPem: string }> {
  const dir = await Deno.makeTempDir({ prefix: "token-server-" });
  try {
    const keyPath = join(dir, "key.pem");
    const certPath = join(dir, "cert.pem");
    const out = await new Deno.Command("openssl", {
      args: [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        keyPath,
        "-out",
        certPath,
        "-days",
        "2",
        "-subj",
        `/CN=${commonName}`,
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(
        `openssl req failed: ${new TextDecoder().decode(out.stderr)}`,
      );
    }
    return {
      keyPem: await Deno.readTextFile(keyPath),
      certPem: await Deno.readTextFile(certPath),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

interface Access {
  type: string;
  name: string;
  actions: string[];
}

/** Splits `type:name:actions`; the name may hold `:` (host:port). */
function parseScope(scope: string): Access | undefined {
  const first = scope.indexOf(":");
  const last = scope.lastIndexOf(":");
  if (first <= 0 || last === first) return undefined;
  const type = scope.slice(0, first).replace(/\(.*\)$/, "");
  const name = scope.slice(first + 1, last);
  const actions = scope.slice(last + 1).split(",").filter((a) => a !== "");
  if (name === "") return undefined;
  return { type, name, actions };
}

function splitScopes(values: string[]): string[] {
  return values.flatMap((v) => v.split(" ")).filter((s) => s !== "");
}

function parseBasic(
  header: string | null,
): { username: string; password: string } | undefined | null {
  if (header === null) return undefined;
  const m = /^Basic\s+(\S+)$/i.exec(header);
  if (!m) return null;
  let decoded: string;
  try {
    decoded = new TextDecoder().decode(decodeBase64(m[1]));
  } catch {
    return null;
  }
  const colon = decoded.indexOf(":");
  if (colon < 0) return null;
  return {
    username: decoded.slice(0, colon),
    password: decoded.slice(colon + 1),
  };
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

/**
 * Starts a token server on 127.0.0.1 with a fresh signing key.
 *
 * @param options The valid user, service, issuer and lifetime.
 * @returns The running server; stop it (or `await using`) when done.
 * @throws {Error} When openssl fails.
 *
 * @example Issue a token
 * ```ts
 * await using ts = await startTokenServer({ username: "u", password: "p" });
 * const res = await fetch(`${ts.url}?service=${ts.service}&scope=repository:a:pull`);
 * console.log((await res.json()).token);
 * ```
 */
export async function startTokenServer(
  options: TokenServerOptions,
): Promise<TokenServer> {
  const service = options.service ?? "test-registry";
  const issuer = options.issuer ?? "test-token-issuer";
  let lifetime = options.tokenLifetime ?? DEFAULT_LIFETIME;
  const { keyPem, certPem } = await generateKeyAndCert(issuer);
  const key: KeyObject = createPrivateKey(keyPem);
  const x5c = [pemToBase64Der(certPem)];
  const refreshTokens = new Map<string, string>();
  const requests: TokenRequestRecord[] = [];

  function grant(scopes: string[], authenticated: boolean): Access[] {
    const out: Access[] = [];
    for (const s of scopes) {
      const a = parseScope(s);
      if (!a) continue;
      const actions = authenticated
        ? a.actions
        : a.type === "repository"
        ? a.actions.filter((x) => x === "pull")
        : [];
      if (actions.length > 0) out.push({ ...a, actions });
    }
    return out;
  }

  function issue(subject: string, access: Access[]) {
    const iat = Math.floor(Date.now() / 1000);
    const header = { typ: "JWT", alg: "ES256", x5c };
    const claims = {
      iss: issuer,
      sub: subject,
      aud: service,
      exp: iat + lifetime - REGISTRY_LEEWAY,
      nbf: iat,
      iat,
      jti: encodeBase64Url(randomBytes(16)),
      access,
    };
    const signingInput = `${encodeBase64Url(JSON.stringify(header))}.${
      encodeBase64Url(JSON.stringify(claims))
    }`;
    const signature = sign("sha256", new TextEncoder().encode(signingInput), {
      key,
      dsaEncoding: "ieee-p1363",
    });
    const token = `${signingInput}.${encodeBase64Url(signature)}`;
    return {
      token,
      access_token: token,
      expires_in: lifetime,
      issued_at: new Date(iat * 1000).toISOString(),
    };
  }

  function newRefreshToken(username: string): string {
    const t = encodeBase64Url(randomBytes(24));
    refreshTokens.set(t, username);
    return t;
  }

  function scopeStrings(access: Access[]): string[] {
    return access.map((a) => `${a.type}:${a.name}:${a.actions.join(",")}`);
  }

  async function handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const record: TokenRequestRecord = {
      method: req.method === "POST" ? "POST" : "GET",
      scopes: [],
      status: 0,
      granted: [],
      at: Date.now(),
    };
    const answer = (status: number, body: unknown): Response => {
      record.status = status;
      return json(status, body);
    };
    try {
      if (url.pathname !== "/token") {
        await req.body?.cancel();
        return answer(STATUS_CODE.NotFound, { error: "not_found" });
      }
      if (req.method === "GET") {
        record.scopes = splitScopes(url.searchParams.getAll("scope"));
        record.service = url.searchParams.get("service") ?? undefined;
        record.clientId = url.searchParams.get("client_id") ?? undefined;
        const creds = parseBasic(req.headers.get("authorization"));
        if (creds === null) {
          return answer(STATUS_CODE.Unauthorized, { error: "invalid_client" });
        }
        record.account = creds?.username ?? undefined;
        if (
          creds &&
          (creds.username !== options.username ||
            creds.password !== options.password)
        ) {
          return answer(STATUS_CODE.Unauthorized, {
            errors: [{ code: "UNAUTHORIZED", message: "bad credentials" }],
          });
        }
        if (record.service !== undefined && record.service !== service) {
          return answer(STATUS_CODE.BadRequest, { error: "invalid_request" });
        }
        const access = grant(record.scopes, creds !== undefined);
        record.granted = scopeStrings(access);
        const body: Record<string, unknown> = issue(
          creds?.username ?? "",
          access,
        );
        if (creds && url.searchParams.get("access_type") === "offline") {
          body.refresh_token = newRefreshToken(creds.username);
        }
        return answer(STATUS_CODE.OK, body);
      }
      if (req.method === "POST") {
        const form = new URLSearchParams(await req.text());
        record.grantType = form.get("grant_type") ?? undefined;
        record.scopes = splitScopes(form.getAll("scope"));
        record.service = form.get("service") ?? undefined;
        record.clientId = form.get("client_id") ?? undefined;
        let username: string;
        let refreshToken: string;
        if (record.grantType === "password") {
          username = form.get("username") ?? "";
          record.account = username;
          if (
            username !== options.username ||
            form.get("password") !== options.password
          ) {
            return answer(STATUS_CODE.Unauthorized, { error: "invalid_grant" });
          }
          refreshToken = newRefreshToken(username);
        } else if (record.grantType === "refresh_token") {
          refreshToken = form.get("refresh_token") ?? "";
          const owner = refreshTokens.get(refreshToken);
          if (owner === undefined) {
            return answer(STATUS_CODE.Unauthorized, { error: "invalid_grant" });
          }
          username = owner;
          record.account = owner;
        } else {
          return answer(STATUS_CODE.BadRequest, {
            error: "unsupported_grant_type",
          });
        }
        if (!record.clientId) {
          return answer(STATUS_CODE.BadRequest, { error: "invalid_request" });
        }
        if (record.service !== undefined && record.service !== service) {
          return answer(STATUS_CODE.BadRequest, { error: "invalid_request" });
        }
        const access = grant(record.scopes, true);
        record.granted = scopeStrings(access);
        return answer(STATUS_CODE.OK, {
          ...issue(username, access),
          refresh_token: refreshToken,
          scope: record.granted.join(" "),
        });
      }
      await req.body?.cancel();
      return answer(STATUS_CODE.MethodNotAllowed, {
        error: "method_not_allowed",
      });
    } finally {
      requests.push(record);
    }
  }

  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    handle,
  );
  const url = `http://127.0.0.1:${server.addr.port}/token`;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= server.shutdown();
    return stopping;
  };
  return {
    url,
    service,
    issuer,
    certificatePem: certPem,
    requests,
    setTokenLifetime(seconds: number): void {
      if (!Number.isFinite(seconds) || seconds <= 0) {
        throw new RangeError(`Invalid token lifetime: ${seconds}`);
      }
      lifetime = seconds;
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
