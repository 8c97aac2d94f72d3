/**
 * Shared support for the fuzz tests (`lib/*_fuzz_test.ts`) and the parser
 * benchmarks (`lib/*_fuzz_bench.ts`): seeded random generators, random
 * strings, HTTP header syntax pieces, and a check that calls throw only
 * their typed error. The inputs of each parser (its vocabulary and
 * adversarial cases) are in `fuzz_http.ts` and `fuzz_ref.ts`. Private test
 * support: not re-exported.
 *
 * @module
 */

import { assert } from "@std/assert";

/** A seeded source of numbers in [0, 1). */
export type Random = () => number;

/** xorshift32: a seeded generator of numbers in [0, 1). */
export function xorshift32(seed: number): Random {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

/** mulberry32: a small seeded generator of numbers in [0, 1). */
export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [0, n). */
export function int(rnd: Random, n: number): number {
  return Math.floor(rnd() * n);
}

/** One of `items`. */
export function pick<T>(rnd: Random, items: readonly T[]): T {
  return items[int(rnd, items.length)];
}

/** A length below `max`: mostly under 40, now and then under 400. */
export function length(rnd: Random, max = 4000): number {
  const r = rnd();
  if (r < 0.8) return int(rnd, 40);
  if (r < 0.97) return int(rnd, 400);
  return int(rnd, max);
}

/** A string of random characters U+0000 to U+00FF, of {@linkcode length}. */
export function randomBytes(rnd: Random, maxLength = 4000): string {
  let s = "";
  for (let n = length(rnd, maxLength); n > 0; n--) {
    s += String.fromCharCode(int(rnd, 256));
  }
  return s;
}

/** A string of random UTF-16 code units (lone surrogates too). */
export function randomUnicode(rnd: Random, maxLength = 4000): string {
  let s = "";
  for (let n = length(rnd, maxLength); n > 0; n--) {
    s += String.fromCharCode(int(rnd, 0x10000));
  }
  return s;
}

/** `count` random `pieces` joined. */
export function fromPieces(
  rnd: Random,
  pieces: readonly string[],
  count: number = length(rnd),
): string {
  let s = "";
  for (let n = count; n > 0; n--) s += pick(rnd, pieces);
  return s;
}

/** 1 to `max` random characters of `chars`. */
export function word(rnd: Random, chars: string, max: number): string {
  let s = "";
  for (let n = 1 + int(rnd, max); n > 0; n--) s += pick(rnd, [...chars]);
  return s;
}

/** `unit` repeated and cut to exactly `size` characters. */
export function fill(unit: string, size: number): string {
  return unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
}

/** Bounds of the edits {@linkcode mutate} makes. */
export interface MutateLimits {
  /** Edits made: 1 to this many. */
  edits: number;
  /** Characters a deletion removes: 1 to this many. */
  cut: number;
  /** Characters a duplication copies: 0 to this many less one. */
  copy: number;
}

/**
 * One of `seeds` with a few random edits: a piece inserted, characters
 * deleted, a slice duplicated, or a character replaced.
 */
export function mutate(
  rnd: Random,
  seeds: readonly string[],
  pieces: readonly string[],
  limits: MutateLimits = { edits: 5, cut: 4, copy: 20 },
): string {
  let s = pick(rnd, seeds);
  for (let n = 1 + int(rnd, limits.edits); n > 0; n--) {
    const at = int(rnd, s.length + 1);
    switch (int(rnd, 4)) {
      case 0: // insert a piece
        s = s.slice(0, at) + pick(rnd, pieces) + s.slice(at);
        break;
      case 1: // delete a few characters
        s = s.slice(0, at) + s.slice(at + 1 + int(rnd, limits.cut));
        break;
      case 2: // duplicate a slice
        s = s.slice(0, at) + s.slice(at, at + int(rnd, limits.copy)) +
          s.slice(at);
        break;
      default: // replace a character
        s = s.slice(0, at) + String.fromCharCode(int(rnd, 256)) +
          s.slice(at + 1);
    }
  }
  return s;
}

/** How {@linkcode fuzzInputs} makes a parser's inputs. */
export interface FuzzInputOptions {
  /** Hand-made inputs, listed first. */
  adversarial: string[];
  /** A string of the parser's vocabulary. */
  fromPieces: (rnd: Random) => string;
  /** A valid input with random edits. */
  mutate: (rnd: Random) => string;
  /** Longest random string, exclusive (default 4000). */
  maxLength?: number;
}

/**
 * The adversarial inputs, then 8,000 random byte strings, 4,000 random
 * UTF-16 strings, 10,000 strings of pieces and 10,000 mutated valid inputs.
 */
export function fuzzInputs(rnd: Random, options: FuzzInputOptions): string[] {
  const inputs = [...options.adversarial];
  for (let i = 0; i < 8000; i++) {
    inputs.push(randomBytes(rnd, options.maxLength));
  }
  for (let i = 0; i < 4000; i++) {
    inputs.push(randomUnicode(rnd, options.maxLength));
  }
  for (let i = 0; i < 10000; i++) inputs.push(options.fromPieces(rnd));
  for (let i = 0; i < 10000; i++) inputs.push(options.mutate(rnd));
  return inputs;
}

// HTTP header syntax (RFC 9110), for round trips of header parsers.

/** The characters of an HTTP token (`tchar`). */
export const TCHARS =
  "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** Optional whitespace: mostly none, else spaces or a tab. */
export function ows(rnd: Random): string {
  return pick(rnd, ["", "", "", " ", "\t", "  "]);
}

/** `value` as a quoted-string, some characters needlessly escaped. */
export function quote(rnd: Random, value: string): string {
  let s = '"';
  for (const c of value) {
    s += c === '"' || c === "\\" || rnd() < 0.1 ? `\\${c}` : c;
  }
  return `${s}"`;
}

/**
 * Up to 11 characters a quoted-string can hold: mostly printable ASCII,
 * some of `specials`, some beyond ASCII.
 */
export function quotable(rnd: Random, specials: readonly string[]): string {
  let s = "";
  for (let n = int(rnd, 12); n > 0; n--) {
    const r = rnd();
    if (r < 0.7) s += String.fromCharCode(0x20 + int(rnd, 0x5f));
    else if (r < 0.8) s += pick(rnd, specials);
    else s += String.fromCharCode(0x80 + int(rnd, 0x2000));
  }
  return s;
}

/**
 * `items` written as an HTTP list (RFC 9110 section 5.6.1): commas with
 * optional whitespace around, now and then an empty element.
 */
export function headerList(rnd: Random, items: readonly string[]): string {
  return ows(rnd) +
    items.join(`${ows(rnd)},${pick(rnd, ["", " ,", ", ,"])}${ows(rnd)}`) +
    ows(rnd);
}

// Checking outcomes.

/**
 * Calls that may return or throw only `expected`: the checker for them.
 * Each call runs `fn`; an error of another class fails the test, naming
 * `input`. How long the calls take is measured by the benchmarks
 * (`lib/http/parsers_fuzz_bench.ts`, `lib/ref/parsers_fuzz_bench.ts`), not
 * here: a timed assertion fails on a loaded machine.
 */
export function onlyThrows(
  expected: abstract new (...args: never[]) => Error,
): (input: unknown, fn: () => unknown) => void {
  return (input, fn) => {
    try {
      fn();
    } catch (err) {
      assert(
        err instanceof expected,
        `${JSON.stringify(input)?.slice(0, 200)} threw ${err}`,
      );
    }
  };
}

/**
 * Runs `fn` on every input, letting only `expected` be thrown: the loop the
 * parser benchmarks time.
 */
export function everyInput(
  inputs: readonly string[],
  expected: abstract new (...args: never[]) => Error,
  fn: (input: string) => unknown,
): void {
  for (const input of inputs) {
    try {
      fn(input);
    } catch (err) {
      if (!(err instanceof expected)) throw err;
    }
  }
}
