import assert from "node:assert/strict";
import { CredentialsError } from "../errors.ts";
import {
  credentialHelperProvider,
  dockerServerUrl,
} from "./credential_helper.ts";
import {
  assertNoSecret,
  CAN_RUN_SCRIPTS,
  fakeHelpers,
  HELPER_SECRETS,
} from "./testdata/fake_helpers.ts";

const SECRETS = Object.values(HELPER_SECRETS);
const ignore = !CAN_RUN_SCRIPTS;

Deno.test("dockerServerUrl() gives docker's key for Docker Hub and the host otherwise", async (t) => {
  for (
    const [registry, expected] of [
      ["docker.io", "https://index.docker.io/v1/"],
      ["index.docker.io", "https://index.docker.io/v1/"],
      ["registry-1.docker.io", "https://index.docker.io/v1/"],
      ["quay.io", "quay.io"],
      ["127.0.0.1:5000", "127.0.0.1:5000"],
      ["https://quay.io/v2/", "quay.io"],
    ]
  ) {
    await t.step(registry, () => {
      assert.equal(dockerServerUrl(registry), expected);
    });
  }
});

Deno.test({
  name:
    "credentialHelperProvider() sends Docker Hub's server URL and reads the answer",
  ignore,
  async fn() {
    await using helpers = await fakeHelpers();
    const provider = credentialHelperProvider("test", {
      env: { PATH: helpers.path },
    });
    assert.equal(provider.name, "docker-credential-test");
    assert.deepEqual(await provider.resolve({ registry: "docker.io" }), {
      username: "hubuser",
      password: HELPER_SECRETS.hub,
    });
    assert.equal(await helpers.lastGet(), "https://index.docker.io/v1/");
  },
});

Deno.test({
  name:
    "credentialHelperProvider() turns the user name <token> into an identity token",
  ignore,
  async fn() {
    await using helpers = await fakeHelpers();
    const provider = credentialHelperProvider("test", {
      env: { PATH: helpers.path },
    });
    assert.deepEqual(await provider.resolve({ registry: "quay.io" }), {
      identityToken: HELPER_SECRETS.quayToken,
    });
    assert.equal(await helpers.lastGet(), "quay.io");
  },
});

Deno.test({
  name: "credentialHelperProvider() sends what serverUrl() gives",
  ignore,
  async fn() {
    await using helpers = await fakeHelpers();
    const provider = credentialHelperProvider("test", {
      env: { PATH: helpers.path },
      serverUrl: (registry) => `https://${registry}`,
    });
    assert.equal(await provider.resolve({ registry: "ghcr.io" }), undefined);
    assert.equal(await helpers.lastGet(), "https://ghcr.io");
  },
});

Deno.test({
  name:
    "credentialHelperProvider() answers undefined when the helper has no credentials",
  ignore,
  async fn(t) {
    await using helpers = await fakeHelpers();
    for (const helper of ["test", "notfound", "empty"]) {
      await t.step(helper, async () => {
        const provider = credentialHelperProvider(helper, {
          env: { PATH: helpers.path },
        });
        assert.equal(
          await provider.resolve({ registry: "ghcr.io" }),
          undefined,
        );
      });
    }
  },
});

Deno.test({
  name: "credentialHelperProvider() reports a missing helper by name",
  ignore,
  async fn() {
    await using helpers = await fakeHelpers();
    const provider = credentialHelperProvider("missing", {
      env: { PATH: helpers.dir },
    });
    await assert.rejects(
      () => provider.resolve({ registry: "quay.io" }),
      (err) => {
        assert.ok(err instanceof CredentialsError);
        assert.equal(
          err.message,
          'Cannot get the credentials for "quay.io" from docker-credential-missing: docker-credential-missing was not found on PATH',
        );
        return true;
      },
    );
  },
});

Deno.test({
  name: "credentialHelperProvider() kills a helper that hangs",
  ignore,
  async fn() {
    await using helpers = await fakeHelpers();
    const provider = credentialHelperProvider("hang", {
      env: { PATH: helpers.path },
      timeoutMs: 200,
    });
    const started = performance.now();
    await assert.rejects(
      () => provider.resolve({ registry: "quay.io" }),
      (err) => {
        assert.ok(err instanceof CredentialsError);
        assert.equal(
          err.message,
          'Cannot get the credentials for "quay.io" from docker-credential-hang: docker-credential-hang did not answer within 200 ms and was killed',
        );
        return true;
      },
    );
    assert.ok(performance.now() - started < 3000, "the timeout was not kept");
  },
});

Deno.test({
  name:
    "credentialHelperProvider() stops reading when a killed helper's child keeps the pipes open",
  ignore,
  async fn() {
    await using helpers = await fakeHelpers();
    const provider = credentialHelperProvider("hangchild", {
      env: { PATH: helpers.path },
      timeoutMs: 200,
    });
    const started = performance.now();
    await assert.rejects(() => provider.resolve({ registry: "quay.io" }), {
      name: "CredentialsError",
      message:
        'Cannot get the credentials for "quay.io" from docker-credential-hangchild: docker-credential-hangchild did not answer within 200 ms and was killed',
    });
    assert.ok(performance.now() - started < 2000, "waited for the orphan");
  },
});

Deno.test({
  name:
    "credentialHelperProvider() takes the answer of a helper that leaves a child behind",
  ignore,
  async fn() {
    await using helpers = await fakeHelpers();
    const provider = credentialHelperProvider("daemon", {
      env: { PATH: helpers.path },
    });
    const started = performance.now();
    assert.deepEqual(await provider.resolve({ registry: "quay.io" }), {
      username: "daemon",
      password: "daemon-s3cr3t",
    });
    assert.ok(performance.now() - started < 2000, "waited for the orphan");
  },
});

Deno.test({
  name:
    "credentialHelperProvider() reports garbage without repeating the helper's output",
  ignore,
  async fn() {
    await using helpers = await fakeHelpers();
    const provider = credentialHelperProvider("garbage", {
      env: { PATH: helpers.path },
    });
    await assert.rejects(
      () => provider.resolve({ registry: "quay.io" }),
      (err) => {
        assert.ok(err instanceof CredentialsError);
        assert.equal(
          err.message,
          'Cannot get the credentials for "quay.io" from docker-credential-garbage: the answer is not valid JSON',
        );
        assertNoSecret(err, SECRETS);
        return true;
      },
    );
  },
});

Deno.test({
  name:
    "credentialHelperProvider() reports a failing helper with its stderr, never its stdout",
  ignore,
  async fn() {
    await using helpers = await fakeHelpers();
    const provider = credentialHelperProvider("fail", {
      env: { PATH: helpers.path },
    });
    await assert.rejects(
      () => provider.resolve({ registry: "docker.io" }),
      (err) => {
        assert.ok(err instanceof CredentialsError);
        assert.equal(
          err.message,
          'Cannot get the credentials for "https://index.docker.io/v1/" from docker-credential-fail: docker-credential-fail exited with code 3: gpg: decryption failed',
        );
        assertNoSecret(err, SECRETS);
        return true;
      },
    );
  },
});

Deno.test({
  name: "credentialHelperProvider() kills the helper when the signal aborts",
  ignore,
  async fn() {
    await using helpers = await fakeHelpers();
    const provider = credentialHelperProvider("hang", {
      env: { PATH: helpers.path },
    });
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new DOMException("stop", "AbortError")),
      100,
    );
    try {
      await assert.rejects(
        () =>
          provider.resolve({ registry: "quay.io", signal: controller.signal }),
        { name: "AbortError", message: "stop" },
      );
    } finally {
      clearTimeout(timer);
    }
  },
});

Deno.test("credentialHelperProvider() rejects a helper name that is a path", () => {
  for (const name of ["", "../evil", "a/b", "-x", "a b"]) {
    assert.throws(() => credentialHelperProvider(name), {
      name: "TypeError",
      message:
        `Invalid credential helper name "${name}": expected the suffix after docker-credential-, e.g. "pass"`,
    });
  }
  assert.throws(() => credentialHelperProvider("pass", { timeoutMs: 0 }), {
    name: "TypeError",
    message: "Invalid timeoutMs 0: must be positive",
  });
});
