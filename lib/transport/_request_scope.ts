// Private: the token scopes a request needs, read from its method and URL.
//
// `/v2/<name>/(manifests|blobs|tags|referrers)/...` needs
// `repository:<name>:pull` to read, `pull,push` to write (cancelling an
// upload session included) and `delete` to delete; a mount (`?mount=&from=`) also needs `pull` on the source;
// `/v2/_catalog` needs `registry:catalog:*`.

import { CATALOG_SCOPE, repositoryScope, type Scope } from "../ref/scope.ts";

// The name is everything before one of the API's own route endings, matched
// in full: a repository may itself have a path part named `tags` or `blobs`.
const REPO_PATH =
  /^\/v2\/(.+)\/(?:tags\/list|manifests\/[^/]+|blobs\/uploads\/[^/]*|blobs\/[^/]+|referrers\/[^/]+)$/;

/** The scopes a request to a registry needs, from its method and URL. */
export function scopesForRequest(method: string, url: URL): Scope[] {
  if (url.pathname === "/v2/_catalog") return [CATALOG_SCOPE];
  const match = REPO_PATH.exec(url.pathname);
  if (!match) return [];
  const name = decodeURIComponent(match[1]);
  const scopes: Scope[] = [];
  switch (method) {
    case "GET":
    case "HEAD":
      scopes.push(repositoryScope(name, ["pull"]));
      break;
    case "DELETE":
      // Cancelling an upload session is part of pushing, not a delete.
      scopes.push(
        repositoryScope(
          name,
          /\/blobs\/uploads\/[^/]*$/.test(url.pathname)
            ? ["pull", "push"]
            : ["delete"],
        ),
      );
      break;
    default:
      scopes.push(repositoryScope(name, ["pull", "push"]));
  }
  const from = url.searchParams.get("from");
  if (from && url.searchParams.has("mount")) {
    scopes.push(repositoryScope(from, ["pull"]));
  }
  return scopes;
}
