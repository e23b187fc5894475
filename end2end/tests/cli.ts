import { expect, Browser, BrowserContext, Page } from "@playwright/test";
import { execFileSync } from "node:child_process";
import * as path from "node:path";

// What the browser specs share: seeding through the operator command line, against the test
// server's data directory (the command reuses the server's running embedded PostgreSQL), and
// waiting for hydration.

const root = path.resolve(__dirname, "../..");
const bin = path.resolve(root, process.env.BASTION_BIN ?? "target/debug/bastion");
const port = Number(process.env.BASTION_E2E_PORT ?? 3100);

/** Runs the operator command against the test server's data directory. */
export function bastion(args: string[], extraEnv: Record<string, string> = {}): string {
  return execFileSync(bin, args, {
    cwd: root,
    env: {
      ...process.env,
      BASTION_ADDR: `127.0.0.1:${port}`,
      BASTION_DATA_DIR: process.env.BASTION_E2E_DATA ?? "/tmp/bastion-e2e",
      RUST_LOG: "warn",
      ...extraEnv,
    },
    encoding: "utf8",
  }).trim();
}

/** [`bastion`] for seeding that may already exist: Playwright runs a spec file again in a fresh
 * worker after a failed test, and what the first attempt created is fine. */
export function once(args: string[], extraEnv: Record<string, string> = {}) {
  try {
    bastion(args, extraEnv);
  } catch (e) {
    if (!String(e).includes("already exists")) throw e;
  }
}

/** A click before hydration is lost: wait until the app marks the page hydrated. */
export async function hydrated(page: Page) {
  await page.locator('html[data-hydrated="true"]').waitFor({ state: "attached" });
}

/** A workspace with an admin and an API token of theirs, made through the CLI. */
export function seedWorkspaceWithToken(slug: string): string {
  const email = `${slug}-admin@example.eu`;
  bastion(["user", "create", email, "--name", `${slug} admin`], {
    BASTION_PASSWORD: "a long enough test passphrase",
  });
  bastion(["workspace", "create", slug, "--name", slug]);
  bastion(["workspace", "add-member", slug, email, "--role", "admin"]);
  const token = bastion(["token", "create", slug, email, "--name", "e2e"]);
  expect(token).toMatch(/^bst_[A-Za-z0-9_-]{43}$/);
  return token;
}

/** A browser without script, signed in as `email` by the sign-in page's plain form. */
export async function signInWithoutScript(
  browser: Browser,
  email: string,
  password: string,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/account$/);
  return { context, page };
}
