// Private: JSON bodies of registry answers, parsed into typed errors.

import { InvalidResponseError } from "../errors.ts";

/** Parses a JSON body; invalid JSON is an `InvalidResponseError`. */
export function parseJson(bytes: Uint8Array, attempted: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (cause) {
    throw new InvalidResponseError(attempted, "the body is not valid JSON", {
      cause,
    });
  }
}
