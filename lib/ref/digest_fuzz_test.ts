import { assert, assertEquals } from "@std/assert";
import { isDigest, parseDigest } from "./digest.ts";
import { InvalidDigestError } from "../errors.ts";
import { mulberry32, type Random, timeCall } from "../../test_support/fuzz.ts";

/** What the parser must accept, and nothing else. */
const REFERENCE = /^(?:sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$/;

const PIECES = [
  ..."0123456789abcdef0123456789abcdef",
  ..."ABCDEFghijklmnopqrstuvwxyz",
  ...":::.+_-=@/ ",
  "\n",
  "\u0000",
  "é",
  "🐳",
  "\ud800",
  "\u2028",
  "…",
  "sha256",
  "sha512",
  "sha256:",
  "sha512:",
  "md5:",
];

const HEX = "0123456789abcdef";

function generator(random: Random): () => string {
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)];
  const hex = (n: number) =>
    Array.from({ length: n }, () => pick([...HEX])).join("");
  const soup = (n: number) =>
    Array.from({ length: n }, () => pick(PIECES)).join("");
  const valid = () =>
    random() < 0.5 ? `sha256:${hex(64)}` : `sha512:${hex(128)}`;
  return () => {
    switch (int(6)) {
      case 0:
        return soup(int(40));
      case 1:
        return soup(int(300));
      case 2: {
        // A valid digest with one character changed, inserted or removed.
        const d = valid();
        const at = int(d.length + 1);
        const op = int(3);
        if (op === 0) return d.slice(0, at) + pick(PIECES) + d.slice(at + 1);
        if (op === 1) return d.slice(0, at) + pick(PIECES) + d.slice(at);
        return d.slice(0, at) + d.slice(at + 1);
      }
      case 3:
        return valid();
      case 4:
        // Long runs that almost follow the grammar.
        return `${"a-".repeat(int(3000))}a:${"=".repeat(int(3000))}`;
      default:
        return `${soup(int(8))}:${hex(int(140))}${soup(int(3))}`;
    }
  };
}

Deno.test("parseDigest() fuzz: only InvalidDigestError, agreeing with isDigest() and a reference pattern, never slow", async (t) => {
  const perSeed = 20_000;
  let max = 0;
  let maxInput = "";
  let accepted = 0;
  const times: number[] = [];
  const started = performance.now();
  for (const seed of [1, 2, 3]) {
    const next = generator(mulberry32(seed));
    for (let i = 0; i < perSeed; i++) {
      const input = next();
      const where = () => `seed ${seed}, input ${i}: ${JSON.stringify(input)}`;
      let parsed: ReturnType<typeof parseDigest> | undefined;
      let error: unknown;
      let valid = false;
      // A slow call is timed again (the same outcome): best of three counts.
      const elapsed = timeCall(() => {
        parsed = undefined;
        error = undefined;
        try {
          parsed = parseDigest(input);
        } catch (err) {
          error = err;
        }
        valid = isDigest(input);
      }, 5);
      times.push(elapsed);
      if (elapsed > max) {
        max = elapsed;
        maxInput = input;
      }
      if (parsed) {
        accepted++;
        assert(REFERENCE.test(input), `accepted ${where()}`);
        assertEquals(valid, true, where());
        assertEquals(parsed.digest, input, where());
        assertEquals(`${parsed.algorithm}:${parsed.encoded}`, input, where());
      } else {
        assert(
          error instanceof InvalidDigestError,
          `${where()} threw ${String(error)}`,
        );
        assertEquals(error.input, input, where());
        assert(!REFERENCE.test(input), `rejected ${where()}`);
        assertEquals(valid, false, where());
      }
    }
  }
  const total = performance.now() - started;
  const calls = 3 * perSeed;
  times.sort((a, b) => a - b);
  const p99 = times[Math.floor(times.length * 0.99)];
  await t.step(
    `${calls} inputs (${accepted} valid) in ${total.toFixed(0)} ms; ` +
      `parseDigest()+isDigest() p99 ${p99.toFixed(3)} ms, ` +
      `slowest ${max.toFixed(3)} ms ` +
      `(input of ${maxInput.length} chars)`,
    () => {
      // Generous bounds: the machine is shared, and a GC pause can land in
      // any one call.
      assert(p99 < 1, `p99 ${p99} ms`);
      assert(max < 50, `slowest call took ${max} ms`);
      assert(total < 5_000, `took ${total} ms`);
    },
  );
});
