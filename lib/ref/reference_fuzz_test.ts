import { assert, assertEquals, assertMatch } from "@std/assert";
import { ParseError } from "../errors.ts";
import {
  parseIndex,
  parseRepo,
  parseRepoAndRef,
  type RepoRef,
} from "./reference.ts";
import { MAX_CALL_MS, mulberry32, timeCall } from "../../test_support/fuzz.ts";

// Random and adversarial inputs: every call returns or throws a ParseError,
// quickly. Reproducible: set FUZZ_SEED to replay a run.

const SEED = Number(Deno.env.get("FUZZ_SEED") ?? 0x5eed_2024);
const RANDOM_CASES = 30_000;
const VALID_CASES = 5_000;

const random = mulberry32(SEED);
const int = (n: number): number => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)];

const HEX = "0123456789abcdef";
const LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789";
const TAG_CHARS = LOWER_ALNUM + "ABCDEFGHIJKLMNOPQRSTUVWXYZ_.-";
const SPECIAL = "a0Z.-_/:@[]";

function chars(alphabet: string, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += alphabet[int(alphabet.length)];
  return out;
}

function hex(length: number): string {
  return chars(HEX, length);
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

function randomUnicode(length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) {
    const r = random();
    out += r < 0.2
      ? String.fromCharCode(int(0x20)) // control characters
      : r < 0.7
      ? String.fromCharCode(0x20 + int(0x5f))
      : String.fromCharCode(int(0x10000)); // includes lone surrogates
  }
  return out;
}

function mutate(text: string): string {
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

function adversarial(): string {
  const n = pick([1_000, 10_000, 100_000]);
  switch (int(16)) {
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
  if (i % 500 === 0) return adversarial();
  switch (int(5)) {
    case 0:
      return chars(
        Array.from({ length: 95 }, (_, k) => String.fromCharCode(32 + k)).join(
          "",
        ),
        int(80),
      );
    case 1:
      return chars(SPECIAL, int(300));
    case 2:
      return randomUnicode(int(60));
    case 3:
      return Array.from({ length: 1 + int(8) }, () => pick(FRAGMENTS)).join("");
    default:
      return mutate(validReference().input);
  }
}

interface Generated {
  input: string;
  host?: string;
  path: string;
  tag?: string;
  digest?: string;
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
function validReference(): Generated {
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

const COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const CANONICAL_REF = new RegExp(
  "^(?:[a-zA-Z0-9.-]+|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?" +
    `/${COMPONENT}(?:/${COMPONENT})*` +
    "(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?" +
    "(?:@sha256:[a-f0-9]{64}|@sha512:[a-f0-9]{128})?$",
);

let maxMs = 0;
let maxInput = "";
const times: number[] = [];

/** Runs one parse, records its time, and returns its result or ParseError. */
function timed<T>(input: string, fn: (input: string) => T): T | ParseError {
  let result!: T | ParseError;
  // A slow call is timed again (the same outcome): best of three counts.
  const ms = timeCall(() => {
    try {
      result = fn(input);
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      result = err;
    }
  });
  times.push(ms);
  if (ms > maxMs) {
    maxMs = ms;
    maxInput = input;
  }
  return result;
}

function quantile(q: number): string {
  const sorted = times.toSorted((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))].toFixed(3);
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

Deno.test("parseRepoAndRef(), parseRepo() and parseIndex() return or throw ParseError on 30,000 random and adversarial inputs, each within a bound", () => {
  const started = performance.now();
  let accepted = 0;
  for (let i = 0; i < RANDOM_CASES; i++) {
    const input = randomInput(i);
    const ref = timed(input, parseRepoAndRef);
    if (!(ref instanceof ParseError)) {
      accepted++;
      checkAccepted(input, ref);
    }
    timed(input, parseRepo);
    timed(input, parseIndex);
  }
  const totalMs = performance.now() - started;
  // deno-lint-ignore no-console
  console.log(
    `fuzz seed ${SEED}: ${times.length} calls, ${accepted} accepted; ` +
      `per call median ${quantile(0.5)} ms, p99.9 ${quantile(0.999)} ms, ` +
      `max ${maxMs.toFixed(3)} ms (input of ${maxInput.length} chars); ` +
      `total ${totalMs.toFixed(0)} ms`,
  );
  assert(
    maxMs < MAX_CALL_MS,
    `slowest call took ${maxMs} ms (seed ${SEED}, input of ${maxInput.length} chars)`,
  );
  assert(totalMs < 15_000, `fuzzing took ${totalMs} ms`);
});

Deno.test("parseRepoAndRef() accepts 5,000 references valid by construction and returns their parts", () => {
  for (let i = 0; i < VALID_CASES; i++) {
    const v = validReference();
    const ref = timed(v.input, parseRepoAndRef);
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
  assert(maxMs < MAX_CALL_MS, `slowest call took ${maxMs} ms`);
});
