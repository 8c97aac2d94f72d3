// Private: how registry names and config-file keys are compared. Needs no
// permissions. The Docker Hub facts (its hosts, its key) come from the one
// registries table.

import { DOCKER_HUB, isDockerHubHost } from "../registries.ts";

/**
 * `host[:port]` of a config key or registry name, the way docker's
 * `ConvertToHostname` does it: the scheme and any path removed. Lowercased,
 * since host names are case-insensitive. Does not use `URL`, which would drop
 * an explicit default port.
 */
export function hostOfKey(key: string): string {
  let rest = key.trim();
  const scheme = rest.indexOf("://");
  if (scheme !== -1) rest = rest.slice(scheme + 3);
  const slash = rest.indexOf("/");
  if (slash !== -1) rest = rest.slice(0, slash);
  const at = rest.lastIndexOf("@");
  if (at !== -1) rest = rest.slice(at + 1);
  return rest.toLowerCase();
}

/**
 * The server URL docker sends a credential helper for a registry:
 * `https://index.docker.io/v1/` for Docker Hub, `host[:port]` otherwise.
 *
 * @param registry The index name, e.g. `docker.io` or `quay.io`.
 * @returns The server URL.
 *
 * @example
 * ```ts
 * import { dockerServerUrl } from "jsr:@scope/docker-registry-client/credentials";
 *
 * console.log(dockerServerUrl("docker.io")); // https://index.docker.io/v1/
 * console.log(dockerServerUrl("quay.io")); // quay.io
 * ```
 */
export function dockerServerUrl(registry: string): string {
  const host = hostOfKey(registry);
  return isDockerHubHost(host) ? DOCKER_HUB.credentialKey : host;
}

/**
 * One name per registry: `host[:port]`, lowercased, with every Docker Hub
 * alias turned into `docker.io`.
 */
export function canonicalRegistry(name: string): string {
  const host = hostOfKey(name);
  return isDockerHubHost(host) ? DOCKER_HUB.name : host;
}

/** Whether two registry names or config keys name the same registry. */
export function sameRegistry(a: string, b: string): boolean {
  return canonicalRegistry(a) === canonicalRegistry(b);
}

/**
 * The key of `entries` (an `auths` or `credHelpers` object of docker's
 * config) that holds a registry: docker's own key first
 * (`https://index.docker.io/v1/` for Docker Hub, the host otherwise), then
 * the first key in file order that names the same host once its scheme and
 * path are removed.
 */
export function findRegistryKey(
  entries: Record<string, unknown>,
  registry: string,
): string | undefined {
  const exact = dockerServerUrl(registry);
  if (Object.hasOwn(entries, exact)) return exact;
  if (Object.hasOwn(entries, registry)) return registry;
  const wanted = canonicalRegistry(registry);
  return Object.keys(entries).find((key) => canonicalRegistry(key) === wanted);
}
