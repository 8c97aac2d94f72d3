import { assertEquals } from "@std/assert";
import { contentLength, parseLength } from "./_content_length.ts";

Deno.test("parseLength() reads digits and nothing else", async (t) => {
  const cases: [string | null | undefined, number | undefined][] = [
    ["0", 0],
    ["123", 123],
    [" 42 ", 42],
    ["007", 7],
    ["999999999999999", 999_999_999_999_999],
    ["5368709120", 5 * 1024 ** 3],
    [null, undefined],
    [undefined, undefined],
    ["", undefined],
    [" ", undefined],
    ["-1", undefined],
    ["+1", undefined],
    ["1.5", undefined],
    ["1e9", undefined],
    ["0x10", undefined],
    ["12abc", undefined],
    ["5, 5", undefined],
    ["Infinity", undefined],
    ["NaN", undefined],
    ["1000000000000000", undefined], // 16 digits: refused, not rounded
  ];
  for (const [input, expected] of cases) {
    await t.step(String(JSON.stringify(input)), () => {
      assertEquals(parseLength(input), expected);
    });
  }
});

Deno.test("contentLength() reads the Content-Length header", () => {
  assertEquals(contentLength(new Headers({ "content-length": "11" })), 11);
  assertEquals(contentLength(new Headers()), undefined);
  assertEquals(
    contentLength(new Headers({ "content-length": "eleven" })),
    undefined,
  );
  const twice = new Headers();
  twice.append("content-length", "3");
  twice.append("content-length", "3");
  assertEquals(contentLength(twice), undefined);
});
