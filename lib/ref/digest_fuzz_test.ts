// Fuzz test of parseDigest() and isDigest(): random, mutated and long inputs
// must give a digest or an InvalidDigestError, and agree with each other and
// with a reference pattern. Seeded, so every run sees the same inputs
// (test_support/fuzz_ref.ts). How long the calls take is measured by
// parsers_fuzz_bench.ts.

import { assert, assertEquals } from "@std/assert";
import { isDigest, parseDigest } from "./digest.ts";
import { InvalidDigestError } from "../errors.ts";
import { mulberry32 } from "../../test_support/fuzz.ts";
import { DIGEST_REFERENCE, digestInputs } from "../../test_support/fuzz_ref.ts";

Deno.test("parseDigest() fuzz: only InvalidDigestError, agreeing with isDigest() and a reference pattern", () => {
  const perSeed = 20_000;
  let accepted = 0;
  for (const seed of [1, 2, 3]) {
    const next = digestInputs(mulberry32(seed));
    for (let i = 0; i < perSeed; i++) {
      const input = next();
      const where = () => `seed ${seed}, input ${i}: ${JSON.stringify(input)}`;
      let parsed: ReturnType<typeof parseDigest> | undefined;
      let error: unknown;
      try {
        parsed = parseDigest(input);
      } catch (err) {
        error = err;
      }
      const valid = isDigest(input);
      if (parsed) {
        accepted++;
        assert(DIGEST_REFERENCE.test(input), `accepted ${where()}`);
        assertEquals(valid, true, where());
        assertEquals(parsed.digest, input, where());
        assertEquals(`${parsed.algorithm}:${parsed.encoded}`, input, where());
      } else {
        assert(
          error instanceof InvalidDigestError,
          `${where()} threw ${String(error)}`,
        );
        assertEquals(error.input, input, where());
        assert(!DIGEST_REFERENCE.test(input), `rejected ${where()}`);
        assertEquals(valid, false, where());
      }
    }
  }
  // The inputs reach both sides of the grammar.
  assert(accepted > 0 && accepted < 3 * perSeed, `${accepted} accepted`);
});
