/**
 * The header parsers on the fuzz tests' inputs: how long
 * `parseLinkHeader()`, `nextLink()` and `parseChallenges()` take on the
 * adversarial inputs (long, pathological, under and over the length limits)
 * and on all 32,000-odd fuzz inputs. This is where "no input takes long"
 * (no catastrophic regex backtracking, no quadratic scan) is watched: the
 * fuzz tests check only what the parsers return or throw, because a timed
 * assertion fails on a loaded machine.
 *
 * Each bench runs every input of its set once per iteration. On an idle
 * 2-core machine each adversarial set takes about 10 ms and the 100,000
 * header lines (refused by the length limit) about 6 ms; a parser that
 * backtracks on one input shows up as seconds. (The fuzz tests used to fail
 * when any single call took 20 ms or more.)
 *
 * Run: `deno bench lib/http/parsers_fuzz_bench.ts`.
 *
 * @module
 */

import { InvalidChallengeError, InvalidLinkError } from "../errors.ts";
import { parseChallenges } from "./challenge.ts";
import { nextLink, parseLinkHeader } from "./link.ts";
import { everyInput } from "../../test_support/fuzz.ts";
import { challengeInputs, linkInputs } from "../../test_support/fuzz_http.ts";

const BASE = new URL("http://127.0.0.1:5000/v2/_catalog?n=2");

const links = linkInputs();
const challenges = challengeInputs();

Deno.bench({
  name: `parseLinkHeader(): ${links.adversarial.length} adversarial inputs`,
  group: "Link",
  baseline: true,
  fn(): void {
    everyInput(links.adversarial, InvalidLinkError, parseLinkHeader);
  },
});

Deno.bench({
  name: `nextLink(): ${links.adversarial.length} adversarial inputs`,
  group: "Link",
  fn(): void {
    everyInput(links.adversarial, InvalidLinkError, (v) => nextLink(v, BASE));
  },
});

Deno.bench({
  name: `parseLinkHeader(): all ${links.all.length} fuzz inputs`,
  group: "Link",
  fn(): void {
    everyInput(links.all, InvalidLinkError, parseLinkHeader);
  },
});

Deno.bench({
  name:
    `parseChallenges(): ${challenges.adversarial.length} adversarial inputs`,
  group: "WWW-Authenticate",
  baseline: true,
  fn(): void {
    everyInput(challenges.adversarial, InvalidChallengeError, parseChallenges);
  },
});

Deno.bench({
  name: `parseChallenges(): all ${challenges.all.length} fuzz inputs`,
  group: "WWW-Authenticate",
  fn(): void {
    everyInput(challenges.all, InvalidChallengeError, parseChallenges);
  },
});

const manyLines: string[] = Array(100_000).fill("Basic");

Deno.bench({
  name: "parseChallenges(): 100,000 header lines",
  group: "WWW-Authenticate",
  fn(): void {
    try {
      parseChallenges(manyLines);
    } catch (err) {
      if (!(err instanceof InvalidChallengeError)) throw err;
    }
  },
});
