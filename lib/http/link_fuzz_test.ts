// Fuzz tests of parseLinkHeader() and nextLink(): random and adversarial
// inputs must give a value or an InvalidLinkError, nothing else. Seeded, so
// every run sees the same inputs (test_support/fuzz_http.ts). How long the
// calls take is measured by parsers_fuzz_bench.ts.

import { assert, assertEquals } from "@std/assert";
import { InvalidLinkError } from "../errors.ts";
import { setOwn } from "./_syntax.ts";
import { type LinkValue, nextLink, parseLinkHeader } from "./link.ts";
import {
  headerList,
  int,
  onlyThrows,
  ows,
  pick,
  quotable,
  quote,
  TCHARS,
  word,
  xorshift32,
} from "../../test_support/fuzz.ts";
import { linkInputs } from "../../test_support/fuzz_http.ts";

const BASE = new URL("http://127.0.0.1:5000/v2/_catalog?n=2");

function checkResult(links: LinkValue[]) {
  assert(links.length <= 64);
  for (const link of links) {
    // deno-lint-ignore no-control-regex
    assert(!/[\u0000-\u0020<>\u007f]/.test(link.target), link.target);
    assert(Object.keys(link.params).length <= 64);
    for (const key of Object.keys(link.params)) {
      assertEquals(key, key.toLowerCase());
    }
    for (const rel of link.rel) {
      assert(rel.length > 0);
      assertEquals(rel, rel.toLowerCase());
    }
  }
}

Deno.test("parseLinkHeader() and nextLink() return or throw InvalidLinkError on fuzzed input", () => {
  const call = onlyThrows(InvalidLinkError);
  for (const input of linkInputs().all) {
    call(input, () => checkResult(parseLinkHeader(input)));
    call(input, () => {
      const url = nextLink(input, BASE);
      if (url !== undefined) assert(url instanceof URL);
    });
  }
});

// Round trip: random valid links, written with random (legal) formatting,
// parse back to what was written.

const URI_CHARS =
  "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~:/?#[]@!$&'()*+,;=%";
const QUOTED_SPECIALS = ['"', "\\", "\t", ",", ";"];

Deno.test("parseLinkHeader() parses back randomly written valid links", () => {
  const rnd = xorshift32(0x1ee7);
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
          value = quotable(rnd, QUOTED_SPECIALS);
          written = quote(rnd, value);
        }
        text += `${ows(rnd)};${ows(rnd)}${name}`;
        if (written !== "") text += `${ows(rnd)}=${ows(rnd)}${written}`;
        if (Object.hasOwn(link.params, key)) continue; // the first one wins
        setOwn(link.params, key, value);
        if (key === "rel") link.rel = value.toLowerCase().split(" ");
      }
      expected.push(link);
      parts.push(text);
    }
    const value = headerList(rnd, parts);
    assertEquals(parseLinkHeader(value), expected, value);
  }
});
