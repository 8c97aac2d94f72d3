// Private: the credentials the auth layer sent with a request, so that an
// error built from the registry's answer can scrub them even when they went
// out on a replay (a second token after a 401), not on the request itself.

import { secretsOf } from "../http/_body.ts";

const sent = new WeakMap<Request, string[]>();

/** Records an `Authorization` value sent on behalf of `request`. */
export function recordAuthorization(
  request: Request,
  authorization: string,
): void {
  const list = sent.get(request) ?? [];
  list.push(...secretsOf(authorization));
  sent.set(request, list);
}

/**
 * Every secret that went out on behalf of `request`: what the auth layer
 * recorded, plus whatever `Authorization` the request itself carries.
 */
export function secretsSentWith(request: Request): string[] {
  return [
    ...(sent.get(request) ?? []),
    ...secretsOf(request.headers.get("authorization")),
  ];
}
