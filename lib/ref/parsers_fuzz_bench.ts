/**
 * The reference parsers on the fuzz tests' inputs: how long the scope
 * functions, `parseRepoAndRef()` (with `parseRepo()` and `parseIndex()`) and
 * `parseDigest()` take on the adversarial inputs (long runs aimed at regex
 * backtracking and the length limits) and on the random and mutated ones.
 * This is where "no input takes long" is watched: the fuzz tests check only
 * what the parsers return or throw, because a timed assertion fails on a
 * loaded machine.
 *
 * Each bench runs every input of its set once per iteration; a parser that
 * backtracks on one input shows up as seconds. (The fuzz tests used to fail
 * when any single call took 20 ms or more.)
 *
 * Run: `deno bench lib/ref/parsers_fuzz_bench.ts`.
 *
 * @module
 */

import {
  InvalidDigestError,
  InvalidScopeError,
  ParseError,
} from "../errors.ts";
import { parseDigest } from "./digest.ts";
import { parseIndex, parseRepo, parseRepoAndRef } from "./reference.ts";
import {
  mergeScopes,
  parseScope,
  parseScopes,
  type Scope,
  scopesCover,
} from "./scope.ts";
import { everyInput, mulberry32 } from "../../test_support/fuzz.ts";
import {
  digestInputs,
  referenceFuzz,
  scopeInputs,
} from "../../test_support/fuzz_ref.ts";

// Scopes.

const scopes = scopeInputs();
const parsedScopes: Scope[] = [];
everyInput(scopes.all, InvalidScopeError, (input) => {
  parsedScopes.push(parseScope(input));
});
const wildcards = parsedScopes.map((s) => ({ ...s, actions: ["*"] }));
const validScopes = [...parsedScopes, ...wildcards];
const mergedScopes = mergeScopes(validScopes);

Deno.bench({
  name: `parseScope(): ${scopes.adversarial.length} adversarial inputs`,
  group: "scope",
  baseline: true,
  fn(): void {
    everyInput(scopes.adversarial, InvalidScopeError, parseScope);
  },
});

Deno.bench({
  name: `parseScopes(): ${scopes.adversarial.length} adversarial inputs`,
  group: "scope",
  fn(): void {
    everyInput(scopes.adversarial, InvalidScopeError, parseScopes);
  },
});

Deno.bench({
  name: `parseScope(): all ${scopes.all.length} fuzz inputs`,
  group: "scope",
  fn(): void {
    everyInput(scopes.all, InvalidScopeError, parseScope);
  },
});

Deno.bench({
  name: `mergeScopes() and scopesCover(): ${validScopes.length} scopes`,
  group: "scope",
  fn(): void {
    const merged = mergeScopes(validScopes);
    if (!scopesCover(merged, validScopes)) throw new Error("not covered");
    scopesCover(validScopes, mergedScopes);
  },
});

// Image references.

const adversarialRefs = referenceFuzz(0x5eed_2024).allAdversarial();
const randomRefs = (() => {
  const fuzz = referenceFuzz(0x5eed_2024);
  return Array.from({ length: 30_000 }, (_, i) => fuzz.randomInput(i));
})();

/** The three reference parsers on every input. */
function parseAllWays(inputs: readonly string[]): void {
  everyInput(inputs, ParseError, parseRepoAndRef);
  everyInput(inputs, ParseError, parseRepo);
  everyInput(inputs, ParseError, parseIndex);
}

Deno.bench({
  name:
    `parseRepoAndRef() and co: ${adversarialRefs.length} adversarial inputs`,
  group: "reference",
  baseline: true,
  fn(): void {
    parseAllWays(adversarialRefs);
  },
});

Deno.bench({
  name: `parseRepoAndRef() and co: ${randomRefs.length} fuzz inputs`,
  group: "reference",
  fn(): void {
    parseAllWays(randomRefs);
  },
});

// Digests.

const digestFuzz = (() => {
  const next = digestInputs(mulberry32(1));
  return Array.from({ length: 20_000 }, next);
})();
const longDigests = [1_000, 10_000, 100_000].flatMap((n) => [
  `${"a-".repeat(n)}a:${"=".repeat(n)}`,
  `sha256:${"a".repeat(n)}`,
  `sha256:${"a".repeat(n)}!`,
  "sha256:".repeat(n / 10),
]);

Deno.bench({
  name: `parseDigest(): ${longDigests.length} long inputs`,
  group: "digest",
  baseline: true,
  fn(): void {
    everyInput(longDigests, InvalidDigestError, parseDigest);
  },
});

Deno.bench({
  name: `parseDigest(): ${digestFuzz.length} fuzz inputs`,
  group: "digest",
  fn(): void {
    everyInput(digestFuzz, InvalidDigestError, parseDigest);
  },
});
