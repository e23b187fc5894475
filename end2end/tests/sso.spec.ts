import { test, expect, Browser, Page } from "@playwright/test";
import { spawn, ChildProcess } from "node:child_process";
import * as net from "node:net";
import * as path from "node:path";
import { bastion, hydrated, once } from "./cli";
import { expectAccessible } from "./axe";

// Single sign-on with OpenID Connect against a real provider: the npm `oidc-provider` package
// (end2end/oidc/provider.mjs), started here on 127.0.0.1. An admin connects it on the settings
// page; people at the workspace's domain sign in through it from the sign-in page and land in the
// workspace; with "single sign-on only" a member's password is refused while the break-glass
// admin's still works.

const DOMAIN = "acme-sso.example";
const SLUG = "acme-sso";
const ADMIN = `ada@${DOMAIN}`;
const MEMBER = `max@${DOMAIN}`;
const NEWCOMER = `nia@${DOMAIN}`;
const PASSWORD = "a long passphrase for single sign-on";
const CLIENT_ID = "bastion-e2e";
const CLIENT_SECRET = "e2e-client-secret-4kT9wQ7pLx";

let provider: ChildProcess | undefined;
let issuer = "";

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

test.beforeAll(async ({}, testInfo) => {
  once(["user", "create", ADMIN, "--name", "Ada Sso"], { BASTION_PASSWORD: PASSWORD });
  once(["user", "create", MEMBER, "--name", "Max Sso"], { BASTION_PASSWORD: PASSWORD });
  once(["workspace", "create", SLUG, "--name", "Acme SSO"]);
  bastion(["workspace", "add-member", SLUG, ADMIN, "--role", "admin"]);
  bastion(["workspace", "add-member", SLUG, MEMBER, "--role", "member"]);
  const base = testInfo.project.use.baseURL!;
  const port = await freePort();
  const child = spawn(
    "node",
    [path.resolve(__dirname, "../oidc/provider.mjs"), String(port), CLIENT_ID, CLIENT_SECRET, `${base}/api/v1/auth/sso/callback`],
    { stdio: ["ignore", "pipe", "ignore"] },
  );
  provider = child;
  issuer = await new Promise<string>((resolve, reject) => {
    child.on("exit", (code) => reject(new Error(`the test provider exited (${code}); is oidc-provider installed?`)));
    // The listener stays: it keeps draining the provider's output.
    child.stdout!.on("data", (chunk) => {
      const ready = /ready (\S+)/.exec(String(chunk));
      if (ready) resolve(ready[1]);
    });
  });
});

test.afterAll(() => {
  provider?.kill();
});

async function passwordSignIn(browser: Browser, email: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto("/sign-in");
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  return page;
}

/** From the sign-in page, through the provider's own sign-in form, and back. */
async function ssoSignIn(browser: Browser, email: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto("/sign-in");
  await hydrated(page);
  await page.getByLabel("Work address").fill(email);
  await page.getByRole("button", { name: "Continue with single sign-on" }).click();
  await expect(page.getByRole("heading", { name: "Test identity provider" })).toBeVisible();
  expect(page.url().startsWith(issuer)).toBe(true);
  // The provider got the address as a hint.
  await expect(page.getByLabel("Email")).toHaveValue(email);
  await page.getByRole("button", { name: "Continue" }).click();
  return page;
}

test("an admin connects the provider; people sign in through it; single sign-on only refuses a member's password", async ({
  browser,
}) => {
  test.setTimeout(120_000);
  const admin = await passwordSignIn(browser, ADMIN);
  await expect(admin).not.toHaveURL(/\/sign-in/);
  await admin.goto(`/w/${SLUG}/settings`);
  await hydrated(admin);
  const panel = admin.getByRole("region", { name: "Single sign-on", exact: true });
  await expect(panel.getByTestId("sso-redirect-uri")).toHaveText(/\/api\/v1\/auth\/sso\/callback$/);
  await expect(panel.getByTestId("sso-sign-in-url")).toHaveText(new RegExp(`workspace=${SLUG}$`));

  // A domain no admin has an address at is refused, naming it.
  await panel.getByLabel("Members can sign in with single sign-on").check();
  await panel.getByLabel("Issuer URL").fill(issuer);
  await panel.getByLabel("Client ID").fill(CLIENT_ID);
  await panel.getByLabel("Client secret").fill(CLIENT_SECRET);
  await panel.getByLabel("Email domains").fill("elsewhere.example");
  await panel.getByRole("button", { name: "Save single sign-on" }).click();
  await expect(panel.getByRole("alert")).toContainText("elsewhere.example");

  await panel.getByLabel("Client secret").fill(CLIENT_SECRET);
  await panel.getByLabel("Email domains").fill(DOMAIN);
  await panel.getByLabel("People at these domains without an account here may join as members").check();
  await panel.getByRole("button", { name: "Save single sign-on" }).click();
  await expect(panel.getByText("Single sign-on is on.")).toBeVisible();
  await expect(panel.getByText("A secret is stored and never shown again.", { exact: false })).toBeVisible();
  await expectAccessible(admin, "settings page with single sign-on");

  // The member signs in through the provider and lands in the workspace.
  const member = await ssoSignIn(browser, MEMBER);
  await expect(member).toHaveURL(new RegExp(`/w/${SLUG}$`));
  await hydrated(member);
  await expect(member.getByRole("heading", { level: 1 })).toBeVisible();
  await member.goto("/account");
  await hydrated(member);
  await expect(member.getByRole("row", { name: /This session/ })).toContainText("Single sign-on");

  // A newcomer at the domain joins as a member.
  const newcomer = await ssoSignIn(browser, NEWCOMER);
  await expect(newcomer).toHaveURL(new RegExp(`/w/${SLUG}$`));

  // An address the provider did not verify is refused on the sign-in page, in words.
  const unverified = await ssoSignIn(browser, `unverified@${DOMAIN}`);
  await expect(unverified).toHaveURL(/\/sign-in\?sso_error=unverified_email/);
  await hydrated(unverified);
  await expect(unverified.getByRole("alert")).toContainText("did not confirm your email address");
  await expectAccessible(unverified, "sign-in page with a single sign-on refusal");

  // Single sign-on only, with the admin as break-glass.
  await admin.reload();
  await hydrated(admin);
  await panel.getByLabel("Single sign-on only").check();
  await panel.getByLabel("Break-glass admin (may still sign in with a password)").selectOption({ label: `Ada Sso (${ADMIN})` });
  await panel.getByRole("button", { name: "Save single sign-on" }).click();
  await expect(panel.getByText("Single sign-on is on.")).toBeVisible();

  // The member's password form refuses them, and says how to sign in.
  const refused = await passwordSignIn(browser, MEMBER);
  await expect(refused.getByRole("alert")).toContainText("Members of Acme SSO sign in with single sign-on");
  await expect(refused).toHaveURL(/\/sign-in/);
  // The break-glass admin still signs in with the password; the member with the provider.
  const again = await passwordSignIn(browser, ADMIN);
  await expect(again).not.toHaveURL(/\/sign-in/);
  const through = await ssoSignIn(browser, MEMBER);
  await expect(through).toHaveURL(new RegExp(`/w/${SLUG}$`));
});
