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
