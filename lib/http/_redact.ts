// Private: removes secrets from URLs before they go into an error or a message.

/** Query parameters whose values are safe to show. Every other value is hidden. */
const SAFE_QUERY_PARAMS = new Set([
  "n",
  "last",
  "digest",
  "mount",
  "from",
  "artifactType",
  "service",
  "scope",
]);

/**
 * Returns the URL with user info removed and every query value that is not
 * known to be harmless replaced by `REDACTED` (signed storage URLs and token
 * parameters carry secrets there).
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not a URL: keep the part before any query, without user info.
    return url.replace(/\?.*$/s, "?REDACTED").replace(/\/\/[^/@]*@/, "//");
  }
  parsed.username = "";
  parsed.password = "";
  const params = new URLSearchParams();
  for (const [name, value] of parsed.searchParams) {
    params.append(name, SAFE_QUERY_PARAMS.has(name) ? value : "REDACTED");
  }
  parsed.search = params.toString();
  parsed.hash = "";
  return parsed.toString();
}

/**
 * Removes secrets from free text (an error message from fetch, say): the
 * query of every URL in it and any user info.
 */
export function redactText(text: string): string {
  return text
    .replace(
      /(\b[a-z][a-z0-9+.-]*:\/\/[^\s?#)"']*)\?[^\s)"']*/gi,
      "$1?REDACTED",
    )
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi, "$1");
}

/**
 * A copy of an error whose message (and whose causes' messages, a few deep)
 * has no URL query or user info left: fetch's network errors name the full
 * URL, signed storage URLs included. Other values pass unchanged.
 */
export function redactError(err: unknown, depth = 0): unknown {
  if (!(err instanceof Error) || depth > 4) return err;
  const message = redactText(err.message);
  const cause = "cause" in err ? redactError(err.cause, depth + 1) : undefined;
  if (message === err.message && cause === err.cause) return err;
  const Ctor = err instanceof TypeError ? TypeError : Error;
  const copy = new Ctor(message, cause === undefined ? {} : { cause });
  copy.name = err.name;
  return copy;
}
