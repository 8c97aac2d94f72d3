/**
 * Where registry credentials come from: fixed values, docker's config file
 * and its credential helpers (`docker-credential-*`), podman's `auth.json`,
 * and chains of those; and saving (and removing) credentials as `docker login`
 * (and `docker logout`) do.
 *
 * Providers answer `undefined` when they have nothing (anonymous access, or
 * ask the next one) and throw a `CredentialsError` when a source is broken;
 * no error carries a secret.
 *
 * @example Credentials the way docker and podman find them
 * ```ts
 * import { defaultCredentialChain } from "jsr:@scope/docker-registry-client/credentials";
 *
 * const credentials = defaultCredentialChain();
 * const found = await credentials.resolve({ registry: "docker.io", repository: "library/alpine" });
 * console.log(found === undefined ? "anonymous" : "logged in");
 * ```
 *
 * @module
 */

export {
  chainProviders,
  type CredentialEnv,
  type CredentialProvider,
  type CredentialRequest,
  type Credentials,
  staticCredentials,
  type StaticCredentialsOptions,
} from "./provider.ts";
export {
  credentialHelperProvider,
  type CredentialHelperProviderOptions,
  dockerServerUrl,
} from "./credential_helper.ts";
export {
  dockerConfigProvider,
  type DockerConfigProviderOptions,
} from "./docker_config.ts";
export {
  containersAuthProvider,
  type ContainersAuthProviderOptions,
} from "./containers_auth.ts";
export {
  defaultCredentialChain,
  type DefaultCredentialChainOptions,
} from "./default_chain.ts";
export {
  type RemovedDockerCredentials,
  removeDockerCredentials,
  type RemoveDockerCredentialsOptions,
  type SavedDockerCredentials,
  saveDockerCredentials,
  type SaveDockerCredentialsOptions,
} from "./save.ts";
