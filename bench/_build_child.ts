// Child of build_memory.ts: one pushLayer() of DIR, timed, printed as JSON.
// Usage: _build_child.ts layout|registry DIR TARGET
//   layout    into the OCI layout TARGET (created)
//   registry  into the registry repository TARGET (HOST/REPO)
// Only the store used is loaded, so that the child's RSS counts little else.

import { pushLayer } from "../lib/build/layer.ts";

const [kind, dir, target] = Deno.args;
const start = performance.now();
const store = kind === "layout"
  ? await (await import("../lib/layout/oci_layout.ts")).OciLayout.open(
    target,
    { create: true },
  )
  : new (await import("../lib/registry/store.ts")).RegistryStore(target, {
    access: "push",
  });
const layer = await pushLayer(store, dir);
await store.close();
const seconds = (performance.now() - start) / 1000;
let bytes = 0;
for await (const e of Deno.readDir(dir)) {
  bytes += (await Deno.stat(`${dir}/${e.name}`)).size;
}
console.log(JSON.stringify({
  digest: layer.descriptor.digest,
  diffId: layer.diffId,
  size: layer.descriptor.size,
  seconds: +seconds.toFixed(1),
  MiBps: +(bytes / 1048576 / seconds).toFixed(0),
}));
