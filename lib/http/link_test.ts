import {
  assert,
  assertEquals,
  assertNotStrictEquals,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { InvalidLinkError, ParseError } from "../errors.ts";
import { nextLink, parseLinkHeader } from "./link.ts";
import vectors from "./testdata/links.json" with { type: "json" };

function assertInvalid(fn: () => unknown, input: string, rule: string) {
  const err = assertThrows(fn, InvalidLinkError);
  assert(err instanceof ParseError);
  assertEquals(err.name, "InvalidLinkError");
  assertEquals(err.input, input);
  assert(err.rule.includes(rule), `rule ${err.rule} lacks ${rule}`);
  assert(err.message.startsWith("Invalid Link header "), err.message);
  assert(err.message.endsWith(`: ${err.rule}`), err.message);
}

Deno.test("parseLinkHeader() parses the accepted vectors", async (t) => {
  for (const v of vectors.accepted) {
    await t.step(v.name, () => {
      assertEquals<unknown>(parseLinkHeader(v.input), v.expected);
    });
  }
});

Deno.test("parseLinkHeader() rejects the rejected vectors naming the rule", async (t) => {
  for (const v of vectors.rejected) {
    await t.step(v.name, () => {
      assertInvalid(() => parseLinkHeader(v.input), v.input, v.rule);
    });
  }
});

Deno.test("parseLinkHeader() returns params with Object.prototype", () => {
  const [link] = parseLinkHeader("</x>; __proto__=y; rel=next");
  assertStrictEquals(Object.getPrototypeOf(link.params), Object.prototype);
  assertEquals(Object.keys(link.params), ["__proto__", "rel"]);
});

Deno.test("parseLinkHeader() accepts 16384 characters and rejects more", () => {
  const prefix = "</v2/_catalog?last=";
  const suffix = '>; rel="next"';
  const last = "a".repeat(16384 - prefix.length - suffix.length);
  const value = `${prefix}${last}${suffix}`;
  assertEquals(value.length, 16384);
  assertEquals(parseLinkHeader(value)[0].target, `/v2/_catalog?last=${last}`);
  assertInvalid(
    () => parseLinkHeader(`${value} `),
    `${value} `,
    "longer than 16384 characters",
  );
});

Deno.test("parseLinkHeader() accepts 64 links and rejects 65", () => {
  const links = (n: number) => Array(n).fill("</a>; rel=next").join(", ");
  assertEquals(parseLinkHeader(links(64)).length, 64);
  assertInvalid(
    () => parseLinkHeader(links(65)),
    links(65),
    "more than 64 links",
  );
});

Deno.test("parseLinkHeader() accepts 64 params in a link and rejects 65", () => {
  const link = (n: number) =>
    `</a>${Array.from({ length: n }, (_, i) => `; p${i}=v`).join("")}`;
  assertEquals(Object.keys(parseLinkHeader(link(64))[0].params).length, 64);
  assertInvalid(
    () => parseLinkHeader(link(65)),
    link(65),
    "more than 64 params in a link",
  );
});

Deno.test("nextLink() resolves the vectors", async (t) => {
  for (const v of vectors.next) {
    await t.step(v.name, () => {
      assertEquals(nextLink(v.value, v.base)?.href ?? null, v.expected);
      assertEquals(
        nextLink(v.value, new URL(v.base))?.href ?? null,
        v.expected,
      );
    });
  }
});

Deno.test("nextLink() returns undefined for undefined", () => {
  assertEquals(nextLink(undefined, "http://127.0.0.1:5000/"), undefined);
});

Deno.test("nextLink() rejects the rejected vectors naming the rule", async (t) => {
  for (const v of vectors.nextRejected) {
    await t.step(v.name, () => {
      assertInvalid(() => nextLink(v.value, v.base), v.value, v.rule);
    });
  }
});

Deno.test("nextLink() does not change a URL given as base", () => {
  const base = new URL("http://127.0.0.1:5000/v2/_catalog?n=2");
  const next = nextLink("</v2/_catalog?last=b&n=2>; rel=next", base);
  assertEquals(next?.href, "http://127.0.0.1:5000/v2/_catalog?last=b&n=2");
  assertNotStrictEquals(next, base);
  assertEquals(base.href, "http://127.0.0.1:5000/v2/_catalog?n=2");
});

Deno.test("nextLink() throws TypeError for a base that is not an absolute URL", () => {
  assertThrows(() => nextLink("</a>; rel=next", "/v2/_catalog"), TypeError);
  assertThrows(() => nextLink(null, "not a url"), TypeError);
});
