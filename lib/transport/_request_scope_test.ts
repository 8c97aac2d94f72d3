import { assertEquals } from "@std/assert";
import { formatScope } from "../ref/scope.ts";
import { scopesForRequest } from "./_request_scope.ts";

const scopes = (method: string, path: string) =>
  scopesForRequest(method, new URL(`http://127.0.0.1:5000${path}`)).map(
    formatScope,
  );

Deno.test("scopesForRequest() reads the repository from every route", async (t) => {
  const digest = `sha256:${"a".repeat(64)}`;
  const cases: [string, string, string[]][] = [
    ["GET", "/v2/", []],
    ["GET", "/v2/_catalog?n=10", ["registry:catalog:*"]],
    ["GET", "/v2/library/alpine/tags/list", ["repository:library/alpine:pull"]],
    ["HEAD", "/v2/a/b/c/manifests/v1", ["repository:a/b/c:pull"]],
    ["PUT", "/v2/app/manifests/v1", ["repository:app:pull,push"]],
    ["DELETE", `/v2/app/manifests/${digest}`, ["repository:app:delete"]],
    ["GET", `/v2/app/blobs/${digest}`, ["repository:app:pull"]],
    ["POST", "/v2/app/blobs/uploads/", ["repository:app:pull,push"]],
    ["PATCH", "/v2/app/blobs/uploads/5f0c?_state=x", [
      "repository:app:pull,push",
    ]],
    // Cancelling an upload is part of a push, not a delete.
    ["DELETE", "/v2/app/blobs/uploads/5f0c?_state=x", [
      "repository:app:pull,push",
    ]],
    ["DELETE", `/v2/app/blobs/${digest}`, ["repository:app:delete"]],
    ["GET", `/v2/app/referrers/${digest}`, ["repository:app:pull"]],
    ["POST", `/v2/app/blobs/uploads/?mount=${digest}&from=base/img`, [
      "repository:app:pull,push",
      "repository:base/img:pull",
    ]],
    // Path parts named like the API's own routes belong to the name.
    ["GET", "/v2/bench/tags/tags/list", ["repository:bench/tags:pull"]],
    ["GET", "/v2/x/manifests/manifests/v1", ["repository:x/manifests:pull"]],
    ["POST", "/v2/a/blobs/blobs/uploads/", ["repository:a/blobs:pull,push"]],
    ["GET", `/v2/r/referrers/blobs/${digest}`, ["repository:r/referrers:pull"]],
    ["GET", "/v2/app/other", []],
  ];
  for (const [method, path, expected] of cases) {
    await t.step(`${method} ${path}`, () => {
      assertEquals(scopes(method, path), expected);
    });
  }
});
