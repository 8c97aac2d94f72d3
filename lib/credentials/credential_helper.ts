/**
 * Credentials from a docker credential helper (`docker-credential-<name>`),
 * the protocol of docker/docker-credential-helpers: `get` with the server URL
 * on stdin answers `{"ServerURL","Username","Secret"}` on stdout; the user
 * name `<token>` marks the secret as an identity token.
 *
 * Running a helper needs `--allow-run`, and no `--allow-env`: without `env`
 * the helper inherits the process's environment, which is not read here.
 *
 * @module
 */

import { dockerServerUrl } from "./_keys.ts";
import { helperPath } from "./_config_file.ts";
import { helperGet, helperTimeout, isValidHelperName } from "./_helper_exec.ts";
import type {
  CredentialEnv,
  CredentialProvider,
  CredentialRequest,
  Credentials,
} from "./provider.ts";

export { dockerServerUrl };

/** Options of {@linkcode credentialHelperProvider}. */
export interface CredentialHelperProviderOptions {
  /**
   * Kill the helper and fail when it has not answered after this many
   * milliseconds.
   *
   * @default {10000}
   */
  timeoutMs?: number;
  /**
   * The server URL to send for a registry. The default sends what docker
   * sends: `https://index.docker.io/v1/` for Docker Hub, the registry's
   * `host[:port]` otherwise.
   */
  serverUrl?: (registry: string) => string;
  /**
   * Where `PATH` is read from: the helper is looked up on it and run with it.
   *
   * @default {undefined} (the helper inherits the process's environment,
   * `PATH` included, unread)
   */
  env?: CredentialEnv;
}

/**
 * A provider that asks `docker-credential-<helper> get` for every registry.
 *
 * "credentials not found" from the helper (or an empty secret) answers
 * `undefined`. The helper's output never appears in an error.
 *
 * @param helper The helper's name: the suffix after `docker-credential-`,
 * e.g. `pass`, `osxkeychain`, `ecr-login`.
 * @param options The timeout, the server URL to send, where `PATH` comes from.
 * @returns A provider.
 * @throws {TypeError} When `helper` is not a plain program-name suffix or
 * `timeoutMs` is not a positive number.
 *
 * @example Credentials from the ECR helper
 * ```ts
 * import { credentialHelperProvider } from "jsr:@scope/docker-registry-client/credentials";
 *
 * const ecr = credentialHelperProvider("ecr-login", { timeoutMs: 5_000 });
 * const creds = await ecr.resolve({
 *   registry: "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
 * });
 * console.log(creds?.username); // AWS
 * ```
 */
export function credentialHelperProvider(
  helper: string,
  options: CredentialHelperProviderOptions = {},
): CredentialProvider {
  if (typeof helper !== "string" || !isValidHelperName(helper)) {
    throw new TypeError(
      `Invalid credential helper name "${
        String(helper)
      }": expected the suffix after docker-credential-, e.g. "pass"`,
    );
  }
  const timeoutMs = helperTimeout(options.timeoutMs, "timeoutMs");
  const serverUrl = options.serverUrl ?? dockerServerUrl;
  const env = options.env;
  return {
    name: `docker-credential-${helper}`,
    async resolve(
      request: CredentialRequest,
    ): Promise<Credentials | undefined> {
      return await helperGet(helper, serverUrl(request.registry), {
        timeoutMs,
        signal: request.signal,
        path: helperPath(env),
      });
    },
  };
}
