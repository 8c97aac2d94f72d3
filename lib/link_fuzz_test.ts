// Fuzz tests of parseLinkHeader() and nextLink(): random and adversarial
// inputs must give a value or an InvalidLinkError, nothing else, and no call
// may be slow. Seeded, so every run sees the same inputs.

import assert from "node:assert/strict";
import { InvalidLinkError } from "./errors.ts";
import { type LinkValue, nextLink, parseLinkHeader } from "./link.ts";
import vectors from "./testdata/links.json" with { type: "json" };

/** Slowest single call allowed, in milliseconds: generous on purpose. */
const MAX_CALL_MS = 20;

const BASE = new URL("http://127.0.0.1:5000/v2/_catalog?n=2");

/** xorshift32: a seeded generator of numbers in [0, 1). */
function xorshift(seed: number): () => number {
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

type Random = () => number;

const int = (rnd: Random, n: number) => Math.floor(rnd() * n);
const pick = <T>(rnd: Random, items: readonly T[]): T =>
  items[int(rnd, items.length)];

/** A length, mostly short, now and then long. */
function length(rnd: Random): number {
  const r = rnd();
  if (r < 0.8) return int(rnd, 40);
  if (r < 0.97) return int(rnd, 400);
  return int(rnd, 4000);
}

function randomBytes(rnd: Random): string {
  let s = "";
  for (let n = length(rnd); n > 0; n--) s += String.fromCharCode(int(rnd, 256));
  return s;
}

function randomUnicode(rnd: Random): string {
  let s = "";
  for (let n = length(rnd); n > 0; n--) {
    s += String.fromCharCode(int(rnd, 0x10000));
  }
  return s;
}

const PIECES = [
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

function fromPieces(rnd: Random): string {
  let s = "";
  for (let n = length(rnd); n > 0; n--) s += pick(rnd, PIECES);
  return s;
}

const SEEDS: string[] = [
  ...vectors.accepted.map((v) => v.input),
  ...vectors.next.flatMap((v) => v.value === null ? [] : [v.value]),
];

function mutate(rnd: Random): string {
  let s = pick(rnd, SEEDS);
  for (let n = 1 + int(rnd, 5); n > 0; n--) {
    const at = int(rnd, s.length + 1);
    switch (int(rnd, 4)) {
      case 0:
        s = s.slice(0, at) + pick(rnd, PIECES) + s.slice(at);
        break;
      case 1:
        s = s.slice(0, at) + s.slice(at + 1 + int(rnd, 4));
        break;
      case 2:
        s = s.slice(0, at) + s.slice(at, at + int(rnd, 20)) + s.slice(at);
        break;
      default:
        s = s.slice(0, at) + String.fromCharCode(int(rnd, 256)) +
          s.slice(at + 1);
    }
  }
  return s;
}

/** Long and pathological inputs, each under and over the length limit. */
function adversarial(): string[] {
  const fill = (unit: string, size: number) =>
    unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
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

/**
 * Runs `fn`: it must return or throw `InvalidLinkError`. Returns the call's
 * duration; a slow call is timed again (best of three) so that a garbage
 * collection or a busy machine is not taken for slowness.
 */
function run(input: unknown, fn: () => unknown): number {
  const once = () => {
    const start = performance.now();
    try {
      fn();
    } catch (err) {
      assert.ok(
        err instanceof InvalidLinkError,
        `${JSON.stringify(input)?.slice(0, 200)} threw ${err}`,
      );
    }
    return performance.now() - start;
  };
  let ms = once();
  if (ms >= MAX_CALL_MS / 4) ms = Math.min(ms, once(), once());
  return ms;
}

function checkResult(links: LinkValue[]) {
  assert.ok(links.length <= 64);
  for (const link of links) {
    // deno-lint-ignore no-control-regex
    assert.ok(!/[\u0000-\u0020<>\u007f]/.test(link.target), link.target);
    assert.ok(Object.keys(link.params).length <= 64);
    for (const key of Object.keys(link.params)) {
      assert.equal(key, key.toLowerCase());
    }
    for (const rel of link.rel) {
      assert.ok(rel.length > 0);
      assert.equal(rel, rel.toLowerCase());
    }
  }
}

Deno.test("parseLinkHeader() and nextLink() return or throw InvalidLinkError on fuzzed input, quickly", () => {
  const rnd = xorshift(0x11_4c_a7);
  const inputs: string[] = adversarial();
  for (let i = 0; i < 8000; i++) inputs.push(randomBytes(rnd));
  for (let i = 0; i < 4000; i++) inputs.push(randomUnicode(rnd));
  for (let i = 0; i < 10000; i++) inputs.push(fromPieces(rnd));
  for (let i = 0; i < 10000; i++) inputs.push(mutate(rnd));

  let slowest = 0;
  let slowestInput = "";
  const time = (input: unknown, fn: () => unknown) => {
    const ms = run(input, fn);
    if (ms > slowest) {
      slowest = ms;
      slowestInput = JSON.stringify(input)?.slice(0, 80) ?? "";
    }
  };
  for (const input of inputs) {
    time(input, () => checkResult(parseLinkHeader(input)));
    time(input, () => {
      const url = nextLink(input, BASE);
      if (url !== undefined) assert.ok(url instanceof URL);
    });
  }
  assert.ok(
    slowest < MAX_CALL_MS,
    `slowest call took ${slowest.toFixed(2)} ms on ${slowestInput}`,
  );
});

// Round trip: random valid links, written with random (legal) formatting,
// parse back to what was written.

const TCHARS =
  "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const URI_CHARS =
  "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~:/?#[]@!$&'()*+,;=%";

function word(rnd: Random, chars: string, max: number): string {
  let s = "";
  for (let n = 1 + int(rnd, max); n > 0; n--) s += pick(rnd, [...chars]);
  return s;
}

function quotable(rnd: Random): string {
  let s = "";
  for (let n = int(rnd, 12); n > 0; n--) {
    const r = rnd();
    if (r < 0.7) s += String.fromCharCode(0x20 + int(rnd, 0x5f));
    else if (r < 0.8) s += pick(rnd, ['"', "\\", "\t", ",", ";"]);
    else s += String.fromCharCode(0x80 + int(rnd, 0x2000));
  }
  return s;
}

function ows(rnd: Random): string {
  return pick(rnd, ["", "", "", " ", "\t", "  "]);
}

function quote(rnd: Random, value: string): string {
  let s = '"';
  for (const c of value) {
    s += c === '"' || c === "\\" || rnd() < 0.1 ? `\\${c}` : c;
  }
  return `${s}"`;
}

Deno.test("parseLinkHeader() parses back randomly written valid links", () => {
  const rnd = xorshift(0x1ee7);
  for (let i = 0; i < 4000; i++) {
    const expected: LinkValue[] = [];
    const parts: string[] = [];
    for (let n = 1 + int(rnd, 4); n > 0; n--) {
      const target = rnd() < 0.05 ? "" : word(rnd, URI_CHARS, 30);
      const link: LinkValue = { target, params: {}, rel: [] };
      let text = `<${target}>`;
      for (let m = int(rnd, 5); m > 0; m--) {
        const isRel = rnd() < 0.3;
        const name = isRel
          ? pick(rnd, ["rel", "REL", "Rel"])
          : word(rnd, TCHARS, 8);
        const key = name.toLowerCase();
        let value: string;
        let written: string;
        if (isRel) {
          const rels = Array.from(
            { length: 1 + int(rnd, 3) },
            () => pick(rnd, ["next", "Next", "prev", "last", "first"]),
          );
          value = rels.join(" ");
          written = rels.length === 1 && rnd() < 0.5
            ? value
            : quote(rnd, value);
        } else if (rnd() < 0.2) {
          value = "";
          written = "";
        } else if (rnd() < 0.4) {
          value = word(rnd, TCHARS, 10);
          written = value;
        } else {
          value = quotable(rnd);
          written = quote(rnd, value);
        }
        text += `${ows(rnd)};${ows(rnd)}${name}`;
        if (written !== "") text += `${ows(rnd)}=${ows(rnd)}${written}`;
        if (Object.hasOwn(link.params, key)) continue; // the first one wins
        Object.defineProperty(link.params, key, {
          value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
        if (key === "rel") link.rel = value.toLowerCase().split(" ");
      }
      expected.push(link);
      parts.push(text);
    }
    const value = ows(rnd) +
      parts.join(`${ows(rnd)},${pick(rnd, ["", " ,", ", ,"])}${ows(rnd)}`) +
      ows(rnd);
    assert.deepEqual(parseLinkHeader(value), expected, value);
  }
});
