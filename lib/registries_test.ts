import { assert, assertEquals, assertThrows } from "@std/assert";
import {
  chunkSizeFor,
  DOCKER_HUB,
  isDockerHubHost,
  quirksFor,
  REGISTRIES,
  registryFor,
} from "./registries.ts";

Deno.test("quirksFor() finds registries by name or host suffix", () => {
  assertEquals(quirksFor("docker.io").apiHost, "registry-1.docker.io");
  assertEquals(
    quirksFor("123456789012.dkr.ecr.eu-west-1.amazonaws.com").maxPageSize,
    1000,
  );
  assertEquals(quirksFor("GHCR.IO").maxChunkSize, 4 * 1024 * 1024);
  assertEquals(quirksFor("127.0.0.1:5000"), {});
});

Deno.test("quirksFor() knows Docker Hub by every alias", () => {
  for (const host of ["docker.io", "index.docker.io", "Registry-1.Docker.IO"]) {
    assertEquals(quirksFor(host).apiHost, "registry-1.docker.io", host);
    assertEquals(
      quirksFor(host).credentialKey,
      "https://index.docker.io/v1/",
      host,
    );
  }
  assertEquals(quirksFor("registry.hub.docker.com"), {});
});

Deno.test("chunkSizeFor() caps chunks where a registry limits them", () => {
  assertEquals(chunkSizeFor("ghcr.io", 16 << 20), 4 << 20);
  assertEquals(chunkSizeFor("ghcr.io", 1 << 20), 1 << 20);
  assertEquals(chunkSizeFor("ghcr.io", undefined), undefined);
  assertEquals(chunkSizeFor("quay.io", 16 << 20), 16 << 20);
});

Deno.test("isDockerHubHost() accepts the Docker Hub hosts in any case, nothing else", () => {
  for (const host of DOCKER_HUB.hosts) {
    assert(isDockerHubHost(host), host);
    assert(isDockerHubHost(host.toUpperCase()), host);
  }
  for (
    const host of [
      "registry.hub.docker.com",
      "hub.docker.com",
      "docker.io:443",
      "xdocker.io",
      "https://index.docker.io/v1/",
      "",
    ]
  ) {
    assert(!isDockerHubHost(host), host);
  }
});

Deno.test("DOCKER_HUB holds the facts docker uses", () => {
  assertEquals(DOCKER_HUB.name, "docker.io");
  assertEquals(DOCKER_HUB.hosts, [
    "docker.io",
    "index.docker.io",
    "registry-1.docker.io",
  ]);
  assertEquals(DOCKER_HUB.apiHost, "registry-1.docker.io");
  assertEquals(DOCKER_HUB.credentialKey, "https://index.docker.io/v1/");
  assertEquals(DOCKER_HUB.officialNamespace, "library/");
});

Deno.test("registryFor() names the registry of an index name", () => {
  assertEquals(registryFor("docker.io")?.name, "Docker Hub");
  assertEquals(registryFor("quay.io")?.name, "Quay");
  assertEquals(registryFor("gcr.io")?.name, registryFor("eu.gcr.io")?.name);
  assertEquals(
    registryFor("europe-west1-docker.pkg.dev")?.name,
    "Google Container Registry / Artifact Registry",
  );
  assertEquals(
    registryFor("myreg.azurecr.io")?.name,
    "Azure Container Registry",
  );
  assertEquals(registryFor("quay.io.example.com"), undefined);
  assertEquals(registryFor("localhost:5000"), undefined);
});

Deno.test("REGISTRIES is one consistent, frozen table", () => {
  const seen = new Set<string>();
  for (const entry of REGISTRIES) {
    assert(entry.hosts || entry.hostPattern, entry.name);
    assert(!seen.has(entry.name), `${entry.name} listed twice`);
    seen.add(entry.name);
    for (const host of entry.hosts ?? []) {
      assertEquals(host, host.toLowerCase());
      // Each host belongs to exactly one row.
      assertEquals(registryFor(host), entry);
    }
    assert(Object.isFrozen(entry) && Object.isFrozen(entry.quirks));
  }
  assert(Object.isFrozen(REGISTRIES) && Object.isFrozen(DOCKER_HUB));
  assertThrows(() => {
    (REGISTRIES as RegistryEntryLike[]).push({ name: "x", quirks: {} });
  }, TypeError);
});

type RegistryEntryLike = { name: string; quirks: Record<string, unknown> };
