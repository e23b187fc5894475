import { test, expect, BrowserContext, Page, CDPSession } from "@playwright/test";
import { hydrated, once } from "./cli";
import { expectAccessible } from "./axe";

// Passkeys in the browser, with Chromium's virtual authenticator (CDP WebAuthn domain): add one
// on the account page, sign out, sign in with it and no password; then a password sign-in asks
// for the passkey as its second step; removed, it signs in no more.

const EMAIL = "pia.passkey@example.eu";
const PASSWORD = "a long passphrase for passkeys";
const port = Number(process.env.BASTION_E2E_PORT ?? 3100);

// A relying party is a domain, never an address: the server without a public URL serves
// passkeys at http://localhost:<port> (a secure context), so these pages are opened there.
const baseURL = `http://localhost:${port}`;
test.describe.configure({ mode: "serial" });

test.beforeAll(() => {
  once(["user", "create", EMAIL, "--name", "Pia Passkey"], { BASTION_PASSWORD: PASSWORD });
});

// One page for the whole spec: the virtual authenticator, and the passkey it holds, belong to
// it.
let context: BrowserContext;
let page: Page;
let cdp: CDPSession;
let authenticatorId: string;

test.beforeAll(async ({ browser }) => {
  context = await browser.newContext({ baseURL });
  page = await context.newPage();
  cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  ({ authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  }));
});

test.afterAll(async () => {
  await context.close();
});

async function signOut() {
  await page.goto("/account");
  await hydrated(page);
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
}

/** The "Signed in with" cell of the current session's row. */
function currentFactor() {
  return page
    .getByRole("row")
    .filter({ hasText: "This session" })
    .locator('td[data-label="Signed in with"]');
}

test("a passkey is added on the account page and signs in without a password", async () => {
  await page.goto("/sign-in");
  await hydrated(page);
  await page.getByLabel("Email").fill(EMAIL);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/account$/);
  await hydrated(page);

  const section = page.locator("#passkeys-title");
  await expect(section).toHaveText("Passkeys");
  await expect(page.locator("#no-passkeys")).toBeVisible();
  await page.getByLabel("Name of the new passkey (optional)").fill("Test laptop");
  await page.getByRole("button", { name: "Add a passkey" }).click();
  // The page reloads with the list drawn by the server.
  await expect(page.getByRole("cell", { name: "Test laptop", exact: true })).toBeVisible();
  await expect(page.getByRole("cell", { name: "Passkey added", exact: true })).toBeVisible();
  const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  expect(credentials).toHaveLength(1);
  expect(credentials[0].isResidentCredential).toBe(true);
  await hydrated(page);
  await expectAccessible(page, "account page, a passkey listed");
  await page.locator("#passkeys-title").scrollIntoViewIfNeeded();
  await page.screenshot({ path: test.info().outputPath("account-passkeys.png"), fullPage: true });

  await signOut();
  await hydrated(page);
  await expectAccessible(page, "sign-in page with the passkey button");
  await page.screenshot({ path: test.info().outputPath("sign-in.png") });
  await page.setViewportSize({ width: 375, height: 740 });
  await page.screenshot({ path: test.info().outputPath("sign-in-phone.png"), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 720 });
  // No email, no password: the authenticator offers the passkey it holds for this site.
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await hydrated(page);
  await expect(currentFactor()).toHaveText("Passkey");
  await expect(page.getByRole("cell", { name: "Never", exact: true })).toHaveCount(0);
});

test("with a passkey, a password sign-in asks for it as the second step", async () => {
  await signOut();
  await page.getByLabel("Email").fill(EMAIL);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/sign-in\/code/);
  await hydrated(page);
  // No authenticator app: no code field, only the passkey.
  await expect(page.getByText("Confirm with one of your passkeys.")).toBeVisible();
  await expect(page.locator("#code")).toHaveCount(0);
  await expectAccessible(page, "second step with a passkey");
  await page.getByRole("button", { name: "Use a passkey" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await hydrated(page);
  await expect(currentFactor()).toHaveText("Password and passkey");
  await expect(
    page.getByRole("cell", { name: "A passkey was used to sign in after the password" }),
  ).toBeVisible();
});

test("a removed passkey signs in no more", async () => {
  await page.goto("/account");
  await hydrated(page);
  await page.getByRole("button", { name: "Remove Test laptop" }).click();
  await expect(page.getByText("The passkey was removed.")).toBeVisible();
  await expect(page.locator("#no-passkeys")).toBeVisible();

  await signOut();
  await hydrated(page);
  // The authenticator still holds it; the server no longer accepts it.
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await expect(page.getByText("The passkey was not accepted. Try again.")).toBeVisible();
  await expect(page).toHaveURL(/\/sign-in$/);
  // And the password alone signs in again.
  await page.getByLabel("Email").fill(EMAIL);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/account$/);
});
