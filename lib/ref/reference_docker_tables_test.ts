// parseRepoAndRef() against the test tables of docker's own reference
// package (distribution/reference: reference_test.go, normalize_test.go),
// transcribed in testdata/distribution_reference.json: docker's verdict,
// domain, path, tag and digest for each input, and the few deliberate
// deviations (each says what this package does instead, and why).

import { assert, assertEquals } from "@std/assert";
import { InvalidReferenceError } from "../errors.ts";
import { parseRepoAndRef, type RepoRef } from "./reference.ts";

interface Expectation {
  valid: boolean;
  domain?: string;
  path?: string;
  tag?: string;
  digest?: string;
}

interface Case extends Expectation {
  from: string;
  input: string;
  note?: string;
  deviation?: string;
  ours?: Expectation;
}

const { cases }: { cases: Case[] } = JSON.parse(
  await Deno.readTextFile(
    new URL("./testdata/distribution_reference.json", import.meta.url),
  ),
);

function label(c: Case): string {
  const shown = c.input.length > 60
    ? `${c.input.slice(0, 40)}…(${c.input.length} chars)`
    : c.input;
  return `${JSON.stringify(shown)} (${c.from})`;
}

function parseOrError(input: string): RepoRef | InvalidReferenceError {
  try {
    return parseRepoAndRef(input);
  } catch (err) {
    if (err instanceof InvalidReferenceError) return err;
    throw err;
  }
}

Deno.test("parseRepoAndRef() follows distribution/reference's own test tables", async (t) => {
  assert(cases.length > 150);
  for (const c of cases) {
    await t.step(label(c), () => {
      const want: Expectation = c.ours ?? c;
      const got = parseOrError(c.input);
      if (!want.valid) {
        assert(got instanceof InvalidReferenceError, `accepted: ${c.input}`);
        return;
      }
      assert(!(got instanceof InvalidReferenceError), `${got}`);
      if (want.domain !== undefined) {
        assertEquals(got.index.name, want.domain);
        assertEquals(got.remoteName, want.path);
      }
      if (want.tag !== undefined) assertEquals(got.tag, want.tag);
      if (want.digest !== undefined) assertEquals(got.digest, want.digest);
      if (
        want.domain !== undefined && want.tag === undefined &&
        want.digest === undefined
      ) {
        assertEquals(got.tag, "latest");
      }
    });
  }
});

Deno.test("the deviations from distribution/reference are the documented ones", () => {
  const deviations = cases.filter((c) => c.deviation).map((c) => c.input);
  assertEquals(deviations.length, 3, deviations.join(", "));
});
