import { assert, assertEquals, assertMatch } from "@std/assert";
import { ParseError } from "../errors.ts";
import {
  parseIndex,
  parseRepo,
  parseRepoAndRef,
  type RepoRef,
} from "./reference.ts";
import { referenceFuzz } from "../../test_support/fuzz_ref.ts";

// Random and adversarial inputs: every call returns or throws a ParseError.
// Reproducible: set FUZZ_SEED to replay a run. The inputs are made by
// test_support/fuzz_ref.ts; how long the calls take is measured by
// parsers_fuzz_bench.ts.

const SEED = Number(Deno.env.get("FUZZ_SEED") ?? 0x5eed_2024);
const RANDOM_CASES = 30_000;
const VALID_CASES = 5_000;

const fuzz = referenceFuzz(SEED);

const COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const CANONICAL_REF = new RegExp(
  "^(?:[a-zA-Z0-9.-]+|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?" +
    `/${COMPONENT}(?:/${COMPONENT})*` +
    "(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?" +
    "(?:@sha256:[a-f0-9]{64}|@sha512:[a-f0-9]{128})?$",
);

/** Runs one parse: its result, or the ParseError it threw (any other error fails). */
function parsed<T>(input: string, fn: (input: string) => T): T | ParseError {
  try {
    return fn(input);
  } catch (err) {
    if (!(err instanceof ParseError)) throw err;
    return err;
  }
}

function checkAccepted(input: string, ref: RepoRef): void {
  assertEquals(JSON.stringify(ref).includes("canonicalRef"), false, input);
  assertMatch(ref.canonicalRef, CANONICAL_REF, input);
  // Every index parses back as one: it looks like a host (a scheme needs
  // '.', ':' or localhost; without one, an upper-case name is a host too).
  const again = parseRepoAndRef(ref.canonicalRef);
  assertEquals(again.canonicalRef, ref.canonicalRef, input);
  assertEquals(again.remoteName, ref.remoteName, input);
}

Deno.test("parseRepoAndRef(), parseRepo() and parseIndex() return or throw ParseError on 30,000 random and adversarial inputs", () => {
  let accepted = 0;
  for (let i = 0; i < RANDOM_CASES; i++) {
    const input = fuzz.randomInput(i);
    const ref = parsed(input, parseRepoAndRef);
    if (!(ref instanceof ParseError)) {
      accepted++;
      checkAccepted(input, ref);
    }
    parsed(input, parseRepo);
    parsed(input, parseIndex);
  }
  // The inputs reach the grammar: some parse, most do not.
  assert(accepted > 0 && accepted < RANDOM_CASES, `${accepted} accepted`);
});

Deno.test("parseRepoAndRef() accepts 5,000 references valid by construction and returns their parts", () => {
  for (let i = 0; i < VALID_CASES; i++) {
    const v = fuzz.validReference();
    const ref = parsed(v.input, parseRepoAndRef);
    if (ref instanceof ParseError) {
      throw new Error(`valid reference refused: ${v.input}: ${ref.message}`);
    }
    const hub = v.host === undefined;
    const remoteName = hub && !v.path.includes("/")
      ? `library/${v.path}`
      : v.path;
    assertEquals(ref.index.name, v.host ?? "docker.io", v.input);
    assertEquals(ref.remoteName, remoteName, v.input);
    assertEquals(ref.tag, v.tag ?? (v.digest ? undefined : "latest"), v.input);
    assertEquals(ref.digest, v.digest, v.input);
    checkAccepted(v.input, ref);
  }
});
