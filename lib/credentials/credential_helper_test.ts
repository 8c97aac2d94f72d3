import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { FakeTime } from "@std/testing/time";
import {
  credentialHelperProvider,
  dockerServerUrl,
} from "./credential_helper.ts";
import {
  assertRejectsCredentialsError,
  CAN_RUN_SCRIPTS,
  fakeHelpers,
  HELPER_SECRETS,
  isRunning,
  killQuietly,
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
      assertEquals(dockerServerUrl(registry), expected);
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
    assertEquals(provider.name, "docker-credential-test");
    assertEquals(await provider.resolve({ registry: "docker.io" }), {
      username: "hubuser",
      password: HELPER_SECRETS.hub,
    });
    assertEquals(await helpers.lastGet(), "https://index.docker.io/v1/");
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
    assertEquals(await provider.resolve({ registry: "quay.io" }), {
      identityToken: HELPER_SECRETS.quayToken,
    });
    assertEquals(await helpers.lastGet(), "quay.io");
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
    assertEquals(await provider.resolve({ registry: "ghcr.io" }), undefined);
    assertEquals(await helpers.lastGet(), "https://ghcr.io");
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
        assertEquals(
          await provider.resolve({ registry: "ghcr.io" }),
          undefined,
        );
      });
    }
  },
});

Deno.test({
  name:
    "credentialHelperProvider() reports a failing helper by name, never with its output",
  ignore,
  async fn(t) {
    await using helpers = await fakeHelpers();
    const cases = [
      {
        step: "a missing helper is reported by name",
        helper: "missing",
        path: helpers.dir,
        registry: "quay.io",
        message:
          'Cannot get the credentials for "quay.io" from docker-credential-missing: docker-credential-missing was not found on PATH',
      },
      {
        step: "garbage is reported without repeating the helper's output",
        helper: "garbage",
        path: helpers.path,
        registry: "quay.io",
        message:
          'Cannot get the credentials for "quay.io" from docker-credential-garbage: the answer is not valid JSON',
        secrets: SECRETS,
      },
      {
        step: "a failing helper is reported with its stderr, never its stdout",
        helper: "fail",
        path: helpers.path,
        registry: "docker.io",
        message:
          'Cannot get the credentials for "https://index.docker.io/v1/" from docker-credential-fail: docker-credential-fail exited with code 3: gpg: decryption failed',
        secrets: SECRETS,
      },
    ];
    for (const { step, helper, path, registry, message, secrets } of cases) {
      await t.step(step, async () => {
        const provider = credentialHelperProvider(helper, {
          env: { PATH: path },
        });
        await assertRejectsCredentialsError(
          () => provider.resolve({ registry }),
          message,
          secrets,
        );
      });
    }
  },
});

Deno.test({
  name:
    "credentialHelperProvider() kills a helper that does not answer in time",
  ignore,
  async fn(t) {
    await using helpers = await fakeHelpers();
    // The helpers sleep for an hour: the call settling at all shows the
    // timeout and the kill worked. The clock is fake, and moves only once
    // the helper has started (and its child, if any): the timeout cannot
    // fire before, however loaded the machine.
    const message = (helper: string) =>
      `Cannot get the credentials for "quay.io" from docker-credential-${helper}: docker-credential-${helper} did not answer within 200 ms and was killed`;
    const provider = (helper: string) =>
      credentialHelperProvider(helper, {
        env: { PATH: helpers.path },
        timeoutMs: 200,
      });
    await t.step("a helper that hangs", async () => {
      using time = new FakeTime();
      const resolving = provider("hang").resolve({ registry: "quay.io" });
      const helper = await helpers.pid("hang");
      await time.tickAsync(199);
      assert(isRunning(helper), "killed before the timeout");
      await time.tickAsync(1);
      await assertRejectsCredentialsError(() => resolving, message("hang"));
      assert(!isRunning(helper), "the helper is still running");
    });
    await t.step(
      "a killed helper's child that keeps the pipes open is not waited for",
      async () => {
        using time = new FakeTime();
        const resolving = provider("hangchild").resolve({
          registry: "quay.io",
        });
        const orphan = await helpers.pid("hangchild-orphan");
        try {
          const helper = await helpers.pid("hangchild");
          await time.tickAsync(200);
          await assertRejectsCredentialsError(
            () => resolving,
            message("hangchild"),
          );
          assert(!isRunning(helper), "the helper is still running");
          assert(
            isRunning(orphan),
            "the orphan ended by itself: the test shows nothing",
          );
        } finally {
          killQuietly(orphan);
        }
      },
    );
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
    const resolving = provider.resolve({ registry: "quay.io" });
    const orphan = await helpers.pid("daemon-orphan");
    try {
      // The orphan holds the helper's stdout for an hour: the answer comes
      // while it still runs, so it was not waited for.
      assertEquals(await resolving, {
        username: "daemon",
        password: "daemon-s3cr3t",
      });
      assert(
        isRunning(orphan),
        "the orphan ended by itself: the test shows nothing",
      );
    } finally {
      killQuietly(orphan);
    }
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
    const resolving = provider.resolve({
      registry: "quay.io",
      signal: controller.signal,
    });
    // Aborted once the helper runs (it sleeps for an hour).
    const helper = await helpers.pid("hang");
    controller.abort(new DOMException("stop", "AbortError"));
    const err = await assertRejects(() => resolving, DOMException);
    assertEquals(err.name, "AbortError");
    assertEquals(err.message, "stop");
    assert(!isRunning(helper), "the helper is still running");
  },
});

Deno.test("credentialHelperProvider() rejects a helper name that is a path", () => {
  for (const name of ["", "../evil", "a/b", "-x", "a b"]) {
    const err = assertThrows(() => credentialHelperProvider(name), TypeError);
    assertEquals(
      err.message,
      `Invalid credential helper name "${name}": expected the suffix after docker-credential-, e.g. "pass"`,
    );
  }
  const err = assertThrows(
    () => credentialHelperProvider("pass", { timeoutMs: 0 }),
    TypeError,
  );
  assertEquals(err.message, "Invalid timeoutMs 0: must be positive");
});
