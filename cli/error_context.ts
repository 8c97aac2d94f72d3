// Errors that say where they happened: the registry's host in front of a
// registry error that does not name it ("127.0.0.1:5000: Cannot get
// manifest ..."), and for commands between two stores the side that failed
// ("source: ", "destination: "; see commands/_sides.ts). The naming itself
// is the library's (lib/content/_naming.ts; sync names its sides with it
// too). Light: on every command's start-up path.

import {
  nameHost,
  nameWhere,
  naming,
  type Side,
} from "../lib/content/_naming.ts";

export { nameHost, nameSide, naming } from "../lib/content/_naming.ts";
export type { Side } from "../lib/content/_naming.ts";

/** Runs a step against a registry; its registry errors name the host. */
export function atHost<T>(host: string, step: () => Promise<T>): Promise<T> {
  return atWhere(undefined, host, step);
}

/**
 * Runs a step of one side (when given) against a store on a registry (when
 * `host` is given); its errors name them.
 */
export async function atWhere<T>(
  side: Side | undefined,
  host: string | undefined,
  step: () => Promise<T>,
): Promise<T> {
  try {
    return await step();
  } catch (err) {
    throw nameWhere(err, side, host);
  }
}

/** A registry client whose failures name its host. */
export function namingHost<T extends object>(client: T, host: string): T {
  return naming(client, (err) => nameHost(err, host));
}
