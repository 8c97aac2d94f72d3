/**
 * The inputs of the fuzz tests and benchmarks of the reference parsers
 * (`lib/ref/*_fuzz_test.ts`, `lib/ref/parsers_fuzz_bench.ts`): scopes,
 * image references and digests, random, mutated from valid ones, and
 * adversarial (long runs aimed at regex backtracking and the length limits).
 * Seeded, so every run sees the same inputs. Private test support: not
 * re-exported.
 *
 * @module
 */

import {
  fill,
  fromPieces,
  fuzzInputs,
  length,
  mulberry32,
  mutate,
  type Random,
  xorshift32,
} from "./fuzz.ts";
import type { ParserInputs } from "./fuzz_http.ts";
import scopes from "../lib/ref/testdata/scopes.json" with { type: "json" };

// Scopes (the token server's `scope` grammar).

/** Longest random scope input, exclusive: shorter than in the other fuzz tests. */
const SCOPE_MAX_LENGTH = 2000;

const SCOPE_PIECES = [
  "repository",
  "registry",
  "(plugin)",
  "(",
  ")",
  ":",
  "::",
  "/",
  "//",
  "a",
  "b0",
  "library/alpine",
  "localhost:5000/",
  "Host.Example",
  ".",
  "_",
  "__",
  "___",
  "-",
  "--",
  ",",
  "pull",
  "push",
  "delete",
  "*",
  " ",
  "\t",
  "\u0000",
  "\u00e9",
  "\ud800",
  "A",
  "9",
];

const SCOPE_SEEDS: string[] = [
  ...scopes.accepted.map((v) => v.input),
  ...scopes.lists.map((v) => v.input),
];

/** Inputs aimed at regex backtracking and the length limits. */
function scopeAdversarial(): string[] {
  const out: string[] = [];
  for (const size of [1000, 16000, 100_000]) {
    for (
      const unit of [
        "a",
        ":",
        "a-",
        "a.",
        "a_",
        "a__",
        "a-a.",
        "A-",
        "0",
        "/",
        "a/",
        ",",
        "pull,",
        " ",
        "repository:a:pull ",
        "(a",
        "\u0000",
      ]
    ) {
      const body = fill(unit, size);
      out.push(body);
      out.push(`repository:${body}:pull`);
      out.push(`repository:${body}!:pull`);
      out.push(`repository:${body}-/x:pull`);
      out.push(`repository:${body}:1/x:pull`);
      out.push(`repository:x:${body}`);
      out.push(`${body}:x:pull`);
    }
  }
  return out;
}

/** The inputs of `parseScope()`, `parseScopes()` and `repositoryScope()`. */
export function scopeInputs(): ParserInputs {
  const adversarial = scopeAdversarial();
  const all = fuzzInputs(xorshift32(0x5c0_9e), {
    adversarial,
    maxLength: SCOPE_MAX_LENGTH,
    fromPieces: (rnd) =>
      fromPieces(rnd, SCOPE_PIECES, length(rnd, SCOPE_MAX_LENGTH) >> 1),
    mutate: (rnd) =>
      mutate(rnd, SCOPE_SEEDS, SCOPE_PIECES, { edits: 4, cut: 3, copy: 12 }),
  });
  return { adversarial, all };
}

// Image references (`parseRepoAndRef()`, `parseRepo()`, `parseIndex()`).

/** A reference valid by construction, with its parts. */
export interface GeneratedReference {
  input: string;
  host?: string;
  path: string;
  tag?: string;
  digest?: string;
}

/** Lengths of the adversarial reference inputs. */
const ADVERSARIAL_SIZES = [1_000, 10_000, 100_000];

/** Kinds of adversarial reference inputs. */
const ADVERSARIAL_KINDS = 16;

/** Makes reference inputs from one seeded stream. */
export interface ReferenceFuzz {
  /**
   * Input number `i`: every 500th is adversarial (a run of 1,000 to 100,000
   * characters), the others random text, fragments or mutated references.
   */
  randomInput(i: number): string;
  /** A reference valid by construction. */
  validReference(): GeneratedReference;
  /** Every kind of adversarial input, at every size (48 inputs). */
  allAdversarial(): string[];
}

/** The reference inputs of one seed. */
export function referenceFuzz(seed: number): ReferenceFuzz {
  const random = mulberry32(seed);
  const int = (n: number): number => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)];

  const HEX = "0123456789abcdef";
  const LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789";
  const TAG_CHARS = LOWER_ALNUM + "ABCDEFGHIJKLMNOPQRSTUVWXYZ_.-";
  const SPECIAL = "a0Z.-_/:@[]";
  const PRINTABLE = Array.from(
    { length: 95 },
    (_, k) => String.fromCharCode(32 + k),
  ).join("");

  function chars(alphabet: string, count: number): string {
    let out = "";
    for (let i = 0; i < count; i++) out += alphabet[int(alphabet.length)];
    return out;
  }

  function hex(count: number): string {
    return chars(HEX, count);
  }

  const FRAGMENTS = [
    "docker.io",
    "index.docker.io",
    "registry-1.docker.io",
    "quay.io",
    "localhost",
    "localhost:5000",
    "127.0.0.1:5000",
    "[::1]",
    "[::1]:5000",
    "[2001:db8::1]",
    "https://",
    "http://",
    "ftp://",
    "library",
    "mongo",
    "a",
    "foo-bar",
    "a__b",
    "a.b",
    "/",
    "//",
    ":",
    "::",
    "@",
    "[",
    "]",
    ":latest",
    ":v1.0",
    "@sha256:",
    "@sha512:",
    "sha256:",
    hex(64),
    hex(128),
    "-",
    "_",
    ".",
    "%",
    " ",
    "\t",
    "\u0000",
    "\u00e9",
    "\ud83d\ude00",
    "\ud800",
    "A",
    "Foo",
  ];

  function randomUnicode(count: number): string {
    let out = "";
    for (let i = 0; i < count; i++) {
      const r = random();
      out += r < 0.2
        ? String.fromCharCode(int(0x20)) // control characters
        : r < 0.7
        ? String.fromCharCode(0x20 + int(0x5f))
        : String.fromCharCode(int(0x10000)); // includes lone surrogates
    }
    return out;
  }

  function mutateReference(text: string): string {
    let out = text;
    const edits = 1 + int(3);
    for (let e = 0; e < edits; e++) {
      const at = int(out.length + 1);
      const r = random();
      if (r < 0.33) {
        out = out.slice(0, at) + SPECIAL[int(SPECIAL.length)] + out.slice(at);
      } else if (r < 0.66) out = out.slice(0, at) + out.slice(at + 1);
      else out = out.slice(0, at) + pick(FRAGMENTS) + out.slice(at + 1);
    }
    return out;
  }

  function adversarial(n: number, kind: number): string {
    switch (kind) {
      case 0:
        return "[".repeat(n);
      case 1:
        return ":".repeat(n);
      case 2:
        return "@".repeat(n);
      case 3:
        return "/".repeat(n);
      case 4:
        return "a-".repeat(n / 2) + "!";
      case 5:
        return "a" + "-".repeat(n) + "_";
      case 6:
        return "a/".repeat(n / 2);
      case 7:
        return "[" + ":".repeat(n) + "]/a";
      case 8:
        return "https://".repeat(n / 8);
      case 9:
        return `a@sha256:${"a".repeat(n)}`;
      case 10:
        return `a:${"a".repeat(n)}`;
      case 11:
        return `${"a.".repeat(n / 2)}io/a`;
      case 12:
        return `quay.io:${"9".repeat(n)}/a`;
      case 13:
        return "[[[".repeat(n / 3) + "]]]".repeat(n / 3);
      case 14:
        return randomUnicode(n);
      default:
        return Array.from({ length: n / 10 }, () => pick(FRAGMENTS)).join("");
    }
  }

  function randomInput(i: number): string {
    if (i % 500 === 0) {
      const n = pick(ADVERSARIAL_SIZES);
      return adversarial(n, int(ADVERSARIAL_KINDS));
    }
    switch (int(5)) {
      case 0:
        return chars(PRINTABLE, int(80));
      case 1:
        return chars(SPECIAL, int(300));
      case 2:
        return randomUnicode(int(60));
      case 3:
        return Array.from({ length: 1 + int(8) }, () => pick(FRAGMENTS))
          .join("");
      default:
        return mutateReference(validReference().input);
    }
  }

  function component(): string {
    let out = chars(LOWER_ALNUM, 1 + int(6));
    for (let k = int(3); k > 0; k--) {
      out += pick([".", "_", "__", "-", "--", "---"]);
      out += chars(LOWER_ALNUM, 1 + int(6));
    }
    return out;
  }

  /** A reference that is valid by construction, with its parts. */
  function validReference(): GeneratedReference {
    const host = pick([
      undefined,
      undefined,
      "quay.io",
      "localhost",
      "localhost:5000",
      "my-reg.example.com:443",
      "10.0.0.1",
      "[::1]:5000",
      "[fe80::1:2]",
    ]);
    const parts = Array.from({ length: 1 + int(3) }, component);
    // Without a host, a first component holding '.' would be read as a host.
    if (host === undefined && parts.length > 1) {
      parts[0] = parts[0].replaceAll(".", "-");
    }
    const path = parts.join("/");
    const tag = random() < 0.5
      ? chars(TAG_CHARS.slice(0, 63), 1) + chars(TAG_CHARS, int(20))
      : undefined;
    const digest = random() < 0.3
      ? random() < 0.5 ? `sha256:${hex(64)}` : `sha512:${hex(128)}`
      : undefined;
    const input = (host ? `${host}/` : "") + path + (tag ? `:${tag}` : "") +
      (digest ? `@${digest}` : "");
    return { input, host, path, tag, digest };
  }

  function allAdversarial(): string[] {
    return ADVERSARIAL_SIZES.flatMap((n) =>
      Array.from(
        { length: ADVERSARIAL_KINDS },
        (_, kind) => adversarial(n, kind),
      )
    );
  }

  return { randomInput, validReference, allAdversarial };
}

// Digests (`parseDigest()`, `isDigest()`).

/** What the digest parser must accept, and nothing else. */
export const DIGEST_REFERENCE =
  /^(?:sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$/;

const DIGEST_PIECES = [
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

const DIGEST_HEX = "0123456789abcdef";

/** A generator of `parseDigest()` inputs, drawing from `random`. */
export function digestInputs(random: Random): () => string {
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)];
  const hex = (n: number) =>
    Array.from({ length: n }, () => pick([...DIGEST_HEX])).join("");
  const soup = (n: number) =>
    Array.from({ length: n }, () => pick(DIGEST_PIECES)).join("");
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
        if (op === 0) {
          return d.slice(0, at) + pick(DIGEST_PIECES) + d.slice(at + 1);
        }
        if (op === 1) return d.slice(0, at) + pick(DIGEST_PIECES) + d.slice(at);
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
