/**
 * The inputs of the fuzz tests and benchmarks of the HTTP header parsers
 * (`lib/http/*_fuzz_test.ts`, `lib/http/parsers_fuzz_bench.ts`): each
 * parser's vocabulary, valid seeds and adversarial inputs (long,
 * pathological, under and over the length limits). Seeded, so every run sees
 * the same inputs. Private test support: not re-exported.
 *
 * @module
 */

import { MAX_CHALLENGE_LENGTH } from "../lib/http/challenge.ts";
import { fill, fromPieces, fuzzInputs, mutate, xorshift32 } from "./fuzz.ts";
import links from "../lib/http/testdata/links.json" with { type: "json" };
import challenges from "../lib/http/testdata/challenges.json" with {
  type: "json",
};

/** A parser's fuzz inputs: the hand-made ones, and all of them. */
export interface ParserInputs {
  /** Long and pathological inputs, each under and over the length limit. */
  adversarial: string[];
  /** The adversarial inputs, then 32,000 random and mutated ones. */
  all: string[];
}

// Link (RFC 8288).

/** Pieces of `Link` header syntax, valid and not. */
const LINK_PIECES = [
  "<",
  ">",
  "</v2/_catalog?last=b&n=2>",
  "<http://[::1>",
  "<http://h:99999/>",
  "<//other/x>",
  "<javascript:x>",
  ";",
  "; ",
  ",",
  ", ",
  " ",
  "\t",
  "rel",
  "=",
  "next",
  '"next"',
  '"',
  '\\"',
  "\\",
  "title*",
  "UTF-8'de'x",
  "a",
  "/",
  "@",
  "\u0000",
  "\n",
  "\u007f",
  "\u00e9",
  "\ud800",
  "__proto__",
];

/** Valid `Link` values, from the test vectors. */
const LINK_SEEDS: string[] = [
  ...links.accepted.map((v) => v.input),
  ...links.next.flatMap((v) => v.value === null ? [] : [v.value]),
];

/** Long and pathological inputs, each under and over the length limit. */
function linkAdversarial(): string[] {
  const out: string[] = [];
  for (const size of [16000, 100_000]) {
    for (
      const unit of [
        "a",
        "<",
        ">",
        "<>",
        "<a>,",
        "<a>;",
        ";",
        ",",
        " ",
        "=",
        '"',
        "\\",
        '\\"',
        "x=y;",
        'x="y";',
        "rel=next;",
        "\u0000",
        "\u00e9",
      ]
    ) {
      const body = fill(unit, size);
      out.push(body);
      out.push(`<${body}`);
      out.push(`<${body}>; rel=next`);
      out.push(`</a>;${body}`);
      out.push(`</a>; title="${body}`);
      out.push(`</a>; title="${body}"; rel=next`);
      out.push(`</a>; rel="${body}"`);
    }
  }
  const params = (n: number) =>
    Array.from({ length: n }, (_, i) => `; p${i}="v"`).join("");
  out.push(`</a>${params(64)}`, `</a>${params(2000)}`);
  out.push(Array(64).fill("</a>; rel=next").join(", "));
  out.push(Array(2000).fill("</a>; rel=next").join(", "));
  return out;
}

/** The inputs of `parseLinkHeader()` and `nextLink()`. */
export function linkInputs(): ParserInputs {
  const adversarial = linkAdversarial();
  const all = fuzzInputs(xorshift32(0x11_4c_a7), {
    adversarial,
    fromPieces: (rnd) => fromPieces(rnd, LINK_PIECES),
    mutate: (rnd) => mutate(rnd, LINK_SEEDS, LINK_PIECES),
  });
  return { adversarial, all };
}

// WWW-Authenticate (RFC 9110 section 11.6.1).

/** Pieces of `WWW-Authenticate` syntax, valid and not. */
const CHALLENGE_PIECES = [
  "Bearer",
  "Basic",
  "Negotiate",
  "realm",
  "service",
  "scope",
  "=",
  "==",
  ",",
  ", ",
  " ",
  "\t",
  '"',
  '\\"',
  "\\",
  "\\\\",
  "abc",
  "a/b+c",
  "x",
  "@",
  ";",
  "(",
  "\u0000",
  "\n",
  "\r\n",
  "\u007f",
  "\u00e9",
  "\u2028",
  "\ud800",
  "__proto__",
  '"https://auth.docker.io/token"',
  '"repository:library/alpine:pull"',
];

/** Valid challenges, from the test vectors. */
const CHALLENGE_SEEDS: string[] = challenges.accepted.flatMap((v) =>
  Array.isArray(v.input) ? v.input : [v.input]
);

/** Long and pathological inputs, each under and over the length limit. */
function challengeAdversarial(): string[] {
  const near = MAX_CHALLENGE_LENGTH - 20;
  const units = [
    "a",
    ",",
    " ",
    "=",
    '"',
    "\\",
    '\\"',
    ", ,",
    "a=b, ",
    'a="b", ',
    "Basic, ",
    "Basic ",
    "a ",
    "a/",
    "a=",
    '"a"',
    '=""',
    "\u0000",
    "\u00e9",
    "\ud83d\ude00",
  ];
  const out: string[] = [];
  for (const unit of units) {
    for (const size of [near, 100_000]) {
      out.push(fill(unit, size));
      out.push(`Basic ${fill(unit, size)}`);
      out.push(`Bearer realm="${fill(unit, size)}`);
      out.push(`Bearer realm="${fill(unit, size)}"`);
      out.push(`Negotiate ${fill(unit, size)}`);
    }
  }
  const params = (n: number) =>
    Array.from({ length: n }, (_, i) => `p${i}="v"`).join(",");
  out.push(`Bearer ${params(64)}`, `Bearer ${params(2000)}`);
  out.push(`Negotiate ${fill("a", near)}${"=".repeat(10)}`);
  out.push(`Negotiate ${fill("a", near)} x`);
  out.push(`Basic realm="${fill("x", near - 15)}"`);
  out.push(`Basic realm="${fill('\\"', near - 15)}"`);
  out.push(`Basic realm="${fill('\\\\\\"', near - 15)}"`);
  out.push(fill("Basic realm=a, ", near), fill("a=b, ", near));
  return out;
}

/** The inputs of `parseChallenges()` and `bearerChallenge()`. */
export function challengeInputs(): ParserInputs {
  const adversarial = challengeAdversarial();
  const all = fuzzInputs(xorshift32(0x5eed_c4a1), {
    adversarial,
    fromPieces: (rnd) => fromPieces(rnd, CHALLENGE_PIECES),
    mutate: (rnd) => mutate(rnd, CHALLENGE_SEEDS, CHALLENGE_PIECES),
  });
  return { adversarial, all };
}
