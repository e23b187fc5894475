import { test, expect, Page, Browser } from "@playwright/test";
import * as crypto from "node:crypto";
import { bastion, hydrated, once } from "./cli";
import { expectAccessible } from "./axe";

// Workspace-enforced two-factor sign-in: an admin with two-factor sign-in requires it of every
// member; a member without it is sent to enrolment before anything of the workspace, enrols
// (the test computes the codes from the key shown, RFC 6238 with node's HMAC-SHA-1), and then
// reaches the workspace.

const SLUG = "vault-enforce";
const ADMIN = "ada.enforce@example.eu";
const MEMBER = "max.enforce@example.eu";
const PASSWORD = "a long passphrase for enforcement";

test.beforeAll(() => {
  once(["user", "create", ADMIN, "--name", "Ada Enforce"], { BASTION_PASSWORD: PASSWORD });
  once(["user", "create", MEMBER, "--name", "Max Enforce"], { BASTION_PASSWORD: PASSWORD });
  once(["workspace", "create", SLUG, "--name", "Vault"]);
  bastion(["workspace", "add-member", SLUG, ADMIN, "--role", "admin"]);
  bastion(["workspace", "add-member", SLUG, MEMBER, "--role", "member"]);
});

function base32(text: string): Buffer {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const c of text.replace(/[\s=]/g, "").toUpperCase()) {
    const index = alphabet.indexOf(c);
    if (index < 0) throw new Error(`not base32: ${c}`);
    value = ((value << 5) | index) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

function codeNow(secret: Buffer): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30_000)));
  const h = crypto.createHmac("sha1", secret).update(counter).digest();
  const o = h[19] & 0x0f;
  const n = ((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(n % 1_000_000).padStart(6, "0");
}

async function signIn(browser: Browser, email: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto("/sign-in");
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).not.toHaveURL(/\/sign-in/);
  return page;
}

/** Turns two-factor sign-in on from the account page the browser is on. */
async function enrol(page: Page) {
  await page.getByRole("button", { name: "Set up two-factor sign-in" }).click();
  const key = (await page.locator(".totp-secret").textContent())!.trim();
  await page.getByLabel("Code from your app", { exact: true }).fill(codeNow(base32(key)));
  await page.getByRole("button", { name: "Turn on two-factor sign-in" }).click();
  await expect(page.getByText("Two-factor sign-in is on.")).toBeVisible();
}

test("an admin requires two-factor sign-in; a member without it enrols before reaching the workspace", async ({
  browser,
}) => {
  test.setTimeout(120_000);
  const admin = await signIn(browser, ADMIN);

  // Without two-factor sign-in themselves, the admin is told so, and refused.
  await admin.goto(`/w/${SLUG}/settings`);
  await hydrated(admin);
  const requirement = admin.getByLabel("Require two-factor sign-in for every member");
  await expect(admin.getByText("You can turn this on once two-factor sign-in is on for your own account.")).toBeVisible();
  await requirement.check();
  await admin.getByRole("button", { name: "Save the requirement" }).click();
  await expect(admin.getByRole("alert")).toContainText(
    "The two-factor requirement can only be turned on by an admin who has two-factor sign-in on",
  );
  await expectAccessible(admin, "settings page, requirement refused");

  // With it on, the requirement is saved.
  await admin.goto("/account");
  await hydrated(admin);
  await enrol(admin);
  await admin.goto(`/w/${SLUG}/settings`);
  await hydrated(admin);
  await requirement.check();
  await admin.getByRole("button", { name: "Save the requirement" }).click();
  await expect(admin.getByText("Two-factor sign-in is now required of every member.")).toBeVisible();
  await expect(requirement).toBeChecked();
  await expectAccessible(admin, "settings page, two-factor required");

  // The members page tells the admin who has it on.
  await admin.goto(`/w/${SLUG}/members`);
  await hydrated(admin);
  await expect(admin.getByRole("columnheader", { name: "Two-factor sign-in" })).toBeVisible();
  await expect(admin.getByRole("row", { name: /Ada Enforce/ }).getByTestId("two-factor")).toHaveText("on");
  await expect(admin.getByRole("row", { name: /Max Enforce/ }).getByTestId("two-factor")).toHaveText("off");
  await expectAccessible(admin, "members page with two-factor column");

  // The member is sent to enrolment from any page of the workspace, told why.
  const member = await signIn(browser, MEMBER);
  await member.goto(`/w/${SLUG}/tasks`);
  await expect(member).toHaveURL(new RegExp(`/account\\?two_factor_required=${SLUG}`));
  await hydrated(member);
  await expect(
    member.getByText(`The workspace ${SLUG} requires two-factor sign-in. Turn it on here; then you can go on to the workspace.`),
  ).toBeVisible();
  expect((await member.request.get(`/api/v1/workspaces/${SLUG}/tasks`)).status()).toBe(403);
  await expectAccessible(member, "account page, sent to enrolment");

  // Enrolled, the way back leads into the workspace.
  await enrol(member);
  await member.getByRole("link", { name: `Go on to ${SLUG}` }).click();
  await expect(member).toHaveURL(new RegExp(`/w/${SLUG}$`));
  await hydrated(member);
  await expect(member.getByRole("heading", { level: 1 })).toBeVisible();
  expect((await member.request.get(`/api/v1/workspaces/${SLUG}/tasks`)).status()).toBe(200);
});
