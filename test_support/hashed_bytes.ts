// Private test support: how many bytes the code under test hashes, to show
// that content is hashed once and not again. Counts every
// `node:crypto` `Hash.update()` made while `run` runs, apart from those of
// the fake registry (lib/testing/_fake_*), which checks uploads on its own.

import { createHash } from "node:crypto";

/** Runs `run` and tells how many bytes the client side hashed meanwhile. */
export async function hashedBytes(
  run: () => Promise<unknown>,
): Promise<number> {
  const proto = Object.getPrototypeOf(createHash("sha256")) as {
    update: (this: unknown, data: unknown, ...rest: unknown[]) => unknown;
  };
  const update = proto.update;
  let bytes = 0;
  proto.update = function (data, ...rest) {
    if (!new Error().stack?.includes("/lib/testing/_fake_")) {
      bytes += (data as { byteLength?: number; length: number }).byteLength ??
        (data as { length: number }).length;
    }
    return update.call(this, data, ...rest);
  };
  try {
    await run();
  } finally {
    proto.update = update;
  }
  return bytes;
}
