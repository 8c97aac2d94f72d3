// Fuzz tests of the scope functions: random and adversarial inputs must give
// a value or an InvalidScopeError, nothing else. Seeded, so every run sees
// the same inputs (test_support/fuzz_ref.ts). How long the calls take is
// measured by parsers_fuzz_bench.ts.

import { assert, assertEquals } from "@std/assert";
import { InvalidScopeError } from "../errors.ts";
import {
  formatScope,
  mergeScopes,
  parseScope,
  parseScopes,
  repositoryScope,
  type Scope,
  scopesCover,
} from "./scope.ts";
import {
  int,
  onlyThrows,
  pick,
  type Random,
  word,
  xorshift32,
} from "../../test_support/fuzz.ts";
import { scopeInputs } from "../../test_support/fuzz_ref.ts";

Deno.test("scope functions return or throw InvalidScopeError on fuzzed input", () => {
  const inputs = scopeInputs().all;
  const call = onlyThrows(InvalidScopeError);
  const parsed: Scope[] = [];
  for (const input of inputs) {
    call(input, () => {
      const scope = parseScope(input);
      // What parses is written back exactly as it was.
      assertEquals(formatScope(scope), input);
      parsed.push(scope);
    });
    call(input, () => {
      for (const scope of parseScopes(input)) {
        assert(!formatScope(scope).includes(" "));
      }
    });
    const colon = input.lastIndexOf(":");
    call(input, () =>
      repositoryScope(
        input.slice(0, colon === -1 ? input.length : colon),
        input.slice(colon + 1).split(","),
      ));
  }
  // Merging and covering: thousands of scopes and texts at once.
  const texts = inputs.filter((_, i) => i % 7 === 0);
  call("merge texts", () => mergeScopes(texts));
  const valid = [...parsed, ...parsed.map((s) => ({ ...s, actions: ["*"] }))];
  let merged: Scope[] = [];
  call("merge valid", () => merged = mergeScopes(valid));
  call("cover", () => assert(scopesCover(merged, valid)));
  call("cover reversed", () => scopesCover(valid, merged));
});

// Round trip: random valid scopes parse back to what was written, and a
// merge covers exactly what went into it.

const LOWER = "abcdefghijklmnopqrstuvwxyz0123456789";
const HOST = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

function component(rnd: Random): string {
  let s = word(rnd, LOWER, 5);
  for (let n = int(rnd, 3); n > 0; n--) {
    s += pick(rnd, [".", "_", "__", "-", "--"]) + word(rnd, LOWER, 5);
  }
  return s;
}

function randomScope(rnd: Random): Scope {
  const type = word(rnd, LOWER, 8) +
    (rnd() < 0.1 ? `(${word(rnd, LOWER, 6)})` : "");
  const parts: string[] = [];
  if (rnd() < 0.3) {
    let host = word(rnd, HOST, 6);
    if (rnd() < 0.5) host += `-${word(rnd, HOST, 4)}`;
    if (rnd() < 0.5) host += `.${word(rnd, HOST, 4)}`;
    if (rnd() < 0.5) host += `:${int(rnd, 65536)}`;
    parts.push(host);
  }
  for (let n = 1 + int(rnd, 3); n > 0; n--) parts.push(component(rnd));
  const actions: string[] = [];
  for (let n = int(rnd, 4); n > 0; n--) {
    actions.push(
      pick(rnd, ["pull", "push", "delete", "*", "metadata_read", "x-y"]),
    );
  }
  return { type, name: parts.join("/"), actions };
}

Deno.test("parseScope() parses back random valid scopes, and merges cover their parts", () => {
  const rnd = xorshift32(0xbadc0de);
  for (let i = 0; i < 3000; i++) {
    const scopes = Array.from(
      { length: 1 + int(rnd, 5) },
      () => randomScope(rnd),
    );
    const texts = scopes.map(formatScope);
    for (let j = 0; j < scopes.length; j++) {
      assertEquals(parseScope(texts[j]), scopes[j], texts[j]);
    }
    assertEquals(parseScopes(texts.join(" ")), scopes);
    const merged = mergeScopes(texts);
    assertEquals(mergeScopes(merged), merged);
    assert(scopesCover(merged, scopes));
    for (const scope of merged) {
      assert(scopesCover(scopes, [scope]));
    }
  }
});
