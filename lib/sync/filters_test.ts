import { assertEquals, assertThrows } from "@std/assert";
import { parseTagVersion, tagMatcher } from "./filters.ts";

const TAGS = [
  "latest",
  "v1",
  "1.2",
  "v1.2.3",
  "1.10.0",
  "1.10.0-rc.1",
  "2.0.0",
  "2.0.0+build.5",
  "3.19",
  "3.19.1",
  "1.2.3.4",
  "sha256-abc.sig",
  "01.2.3",
];

Deno.test("parseTagVersion() reads tags as skopeo and regsync do: v prefix, missing parts are 0", () => {
  const v = (tag: string) => {
    const p = parseTagVersion(tag);
    return p && [p.major, p.minor, p.patch, p.prerelease, p.build];
  };
  assertEquals(v("v1"), [1, 0, 0, [], []]);
  assertEquals(v("1.2"), [1, 2, 0, [], []]);
  assertEquals(v("v1.2.3"), [1, 2, 3, [], []]);
  assertEquals(v("1.10.0-rc.1"), [1, 10, 0, ["rc", 1], []]);
  assertEquals(v("2.0.0+build.5"), [2, 0, 0, [], ["build", "5"]]);
  assertEquals(v("01.2.3"), [1, 2, 3, [], []]);
  for (
    const tag of ["latest", "1.2.3.4", "sha256-abc.sig", "v", "1.", "V1.2"]
  ) {
    assertEquals(parseTagVersion(tag), undefined, tag);
  }
  assertEquals(parseTagVersion("99999999999999999999"), undefined);
});

Deno.test("tagMatcher(): semver ranges, npm or Masterminds style; prereleases only when asked", async (t) => {
  const cases: [string, string[]][] = [
    [">=1.2 <2", ["1.2", "v1.2.3", "1.10.0", "01.2.3"]],
    [">= 1.2, < 2", ["1.2", "v1.2.3", "1.10.0", "01.2.3"]],
    ["^1.2", ["1.2", "v1.2.3", "1.10.0", "01.2.3"]],
    ["~1.2", ["1.2", "v1.2.3", "01.2.3"]],
    ["1.x || >=3.19.1", ["v1", "1.2", "v1.2.3", "1.10.0", "3.19.1", "01.2.3"]],
    [">=1.10.0-rc.0 <1.10.1", ["1.10.0", "1.10.0-rc.1"]],
    ["2", ["2.0.0", "2.0.0+build.5"]],
    ["*", [
      "v1",
      "1.2",
      "v1.2.3",
      "1.10.0",
      "2.0.0",
      "2.0.0+build.5",
      "3.19",
      "3.19.1",
      "01.2.3",
    ]],
  ];
  for (const [range, want] of cases) {
    await t.step(range, () => {
      assertEquals(TAGS.filter(tagMatcher({ semver: range })), want);
    });
  }
});

Deno.test("tagMatcher(): regular expressions are anchored; every filter must accept", () => {
  assertEquals(TAGS.filter(tagMatcher({ regex: "v1" })), ["v1"]);
  assertEquals(TAGS.filter(tagMatcher({ regex: /^v1/ })), ["v1", "v1.2.3"]);
  assertEquals(
    TAGS.filter(tagMatcher({ regex: "3\\.\\d+", semver: ">=3.18" })),
    ["3.19"],
  );
  assertEquals(
    TAGS.filter(tagMatcher({ semver: ">=1", exclude: ".*\\+.*|1\\..*" })),
    ["v1", "v1.2.3", "2.0.0", "3.19", "3.19.1", "01.2.3"],
  );
  assertEquals(TAGS.filter(tagMatcher()), TAGS);
  const g = tagMatcher({ regex: /v/g });
  assertEquals([g("v1"), g("v1"), g("v1")], [true, true, true]);
});

Deno.test("tagMatcher(): bad expressions and ranges are refused", () => {
  assertThrows(
    () => tagMatcher({ regex: "(" }),
    SyntaxError,
    'Invalid tag expression "("',
  );
  assertThrows(
    () => tagMatcher({ exclude: "[" }),
    SyntaxError,
    "exclude expression",
  );
  assertThrows(
    () => tagMatcher({ semver: "nope" }),
    TypeError,
    'Invalid semver range "nope"',
  );
  assertThrows(() => tagMatcher({ semver: " " }), TypeError, "it is empty");
});
