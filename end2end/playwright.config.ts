import { defineConfig } from "@playwright/test";

// The server is the real release of `bastion serve` with its own embedded PostgreSQL in a
// throwaway data directory; `./x test` picks a free port and the directory.
const port = Number(process.env.BASTION_E2E_PORT ?? 3100);
const dataDir = process.env.BASTION_E2E_DATA ?? "/tmp/bastion-e2e";
const bin = process.env.BASTION_BIN ?? "target/debug/bastion";

export default defineConfig({
  testDir: "./tests",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: "off",
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  webServer: {
    command: `${bin} serve`,
    cwd: "..",
    url: `http://127.0.0.1:${port}/readyz`,
    timeout: 120_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
    // SIGTERM lets the server stop its embedded PostgreSQL.
    gracefulShutdown: { signal: "SIGTERM", timeout: 10_000 },
    env: {
      BASTION_ADDR: `127.0.0.1:${port}`,
      BASTION_DATA_DIR: dataDir,
      LEPTOS_SITE_ROOT: process.env.LEPTOS_SITE_ROOT ?? "target/site",
      RUST_LOG: "warn",
      // The fuzzer sends thousands of requests with one token; the limit itself is tested in
      // server/tests/tokens.rs.
      BASTION_TOKEN_RATE_LIMIT: "1000000",
      // Every spec and the fuzzer sign up from 127.0.0.1: at the default 10 per hour the specs
      // that run after schemathesis were refused (429). The limit is tested in
      // crates/core/tests/onboarding.rs and server/tests.
      BASTION_SIGNUP_LIMIT_PER_IP: "1000000",
      // Likewise every sign-in, password or passkey, comes from 127.0.0.1: past 100 in 15 minutes
      // the specs after the passkey spec were refused. The limit is tested in crates/core/tests.
      BASTION_LOGIN_LIMIT_PER_IP: "1000000",
      // The single sign-on spec's OpenID provider runs on 127.0.0.1 over http (sso.spec.ts).
      BASTION_SSO_ALLOW_PRIVATE_ISSUERS: "true",
      // The webhooks spec's receiver runs on 127.0.0.1 (api-access.spec.ts); the refusal of
      // private targets is tested in crates/core and server/tests/webhooks.rs.
      BASTION_WEBHOOKS_ALLOW_PRIVATE_TARGETS: "true",
    },
  },
});
