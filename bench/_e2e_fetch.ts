// The Deno floor of bench/e2e.ts's tags and manifest runs: one plain
// `fetch` (after a token fetch in token mode), no import at all, so the
// difference to this project's CLI is its import graph and client work.
//
//   deno run -A bench/_e2e_fetch.ts tags|manifest
//
// Reads URL, REPO, TAG, REALM, SERVICE and CREDS from the environment (the
// same as the curl runs). Private helper.

const env = (name: string) => Deno.env.get(name) ?? "";
const headers: Record<string, string> = {
  accept: "application/vnd.oci.image.manifest.v1+json",
};
if (env("REALM")) {
  const url = new URL(env("REALM"));
  url.searchParams.set("service", env("SERVICE"));
  url.searchParams.set("scope", `repository:${env("REPO")}:pull`);
  const res = await fetch(url, {
    headers: { authorization: `Basic ${btoa(env("CREDS"))}` },
  });
  if (!res.ok) throw new Error(`token: ${res.status}`);
  headers.authorization = `Bearer ${(await res.json()).token}`;
}
const path = Deno.args[0] === "tags" ? "tags/list" : `manifests/${env("TAG")}`;
const res = await fetch(`${env("URL")}/v2/${env("REPO")}/${path}`, {
  headers,
});
if (!res.ok) throw new Error(`${path}: ${res.status}`);
console.log(await res.text());
