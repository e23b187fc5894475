import { test, expect, Page } from "@playwright/test";
import * as crypto from "node:crypto";
import { hydrated, once } from "./cli";
import { expectAccessible } from "./axe";

// Two-factor sign-in in the browser: turn it on from the account page (the test reads the key
// shown and computes the codes itself, RFC 6238 with node's HMAC-SHA-1), sign out, sign in with
// password and code; the same code is refused the second time; a recovery code signs in once.

const EMAIL = "zoe.totp@example.eu";
const PASSWORD = "a long passphrase for two factors";

test.beforeAll(() => {
  once(["user", "create", EMAIL, "--name", "Zoë Totp"], { BASTION_PASSWORD: PASSWORD });
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

function codeAt(secret: Buffer, step: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const h = crypto.createHmac("sha1", secret).update(counter).digest();
  const o = h[19] & 0x0f;
  const n = ((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(n % 1_000_000).padStart(6, "0");
}

const nowStep = () => Math.floor(Date.now() / 30_000);

/** A code the server has not accepted yet (each step's code works once, and only newer ones
 * after it): waits for the next step when the window is used up. */
let lastUsed = 0;
async function freshCode(page: Page, secret: Buffer): Promise<string> {
  let step = Math.max(nowStep(), lastUsed + 1);
  if (step > nowStep() + 1) {
    await page.waitForTimeout((step - 1) * 30_000 - Date.now() + 500);
    step = Math.max(nowStep(), lastUsed + 1);
  }
  lastUsed = step;
  return codeAt(secret, step);
}

async function password(page: Page) {
  await page.goto("/sign-in");
  await hydrated(page);
  await page.getByLabel("Email").fill(EMAIL);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

async function signOut(page: Page) {
  await page.goto("/account");
  await hydrated(page);
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
}

test("the test's own TOTP is RFC 6238's", () => {
  // Appendix B, T = 59 s and 1111111109 s (the last six of 94287082 and 07081804).
  const seed = Buffer.from("12345678901234567890");
  expect(codeAt(seed, 1)).toBe("287082");
  expect(codeAt(seed, Math.floor(1111111109 / 30))).toBe("081804");
  expect(base32("GEZDGNBVGY3TQOJQ").toString()).toBe("1234567890");
});

test("enrol, sign in with a code, a replay is refused, a recovery code works once", async ({ page }) => {
  test.setTimeout(120_000);
  await password(page);
  await expect(page).toHaveURL(/\/account$/);
  await hydrated(page);

  // Enrolment: the QR code is drawn inline and the key is shown as text.
  await page.getByRole("button", { name: "Set up two-factor sign-in" }).click();
  const qr = page.getByRole("img", { name: "QR code to add Bastion to your authenticator app" });
  await expect(qr).toBeVisible();
  const key = (await page.locator(".totp-secret").textContent())!.trim();
  expect(key).toMatch(/^[A-Z2-7]{32}$/);
  const secret = base32(key);
  await expectAccessible(page, "account page, enrolment");

  // A wrong first code turns nothing on.
  await page.getByLabel("Code from your app", { exact: true }).fill(codeAt(secret, nowStep() + 20));
  await page.getByRole("button", { name: "Turn on two-factor sign-in" }).click();
  await expect(page.getByRole("alert")).toHaveText("The code is wrong or was already used.");

  await page.getByLabel("Code from your app", { exact: true }).fill(await freshCode(page, secret));
  await page.getByRole("button", { name: "Turn on two-factor sign-in" }).click();
  const codes = page.locator(".recovery-codes li code");
  await expect(codes).toHaveCount(10);
  const recovery = (await codes.allTextContents()).map((c) => c.trim());
  expect(recovery[0]).toMatch(/^[a-z2-7]{4}(-[a-z2-7]{4}){3}$/);
  await expect(page.getByText("Two-factor sign-in is on.")).toBeVisible();
  await expect(page.getByRole("cell", { name: "Two-factor sign-in turned on" })).toBeVisible();
  await expectAccessible(page, "account page, recovery codes shown");

  // Signed out, the password alone leads to the code form, not into the account.
  await signOut(page);
  await password(page);
  await expect(page).toHaveURL(/\/sign-in\/code$/);
  await hydrated(page);
  const codeField = page.getByLabel("Code from your app, or a recovery code");
  await expect(codeField).toBeVisible();
  expect((await page.request.get("/api/v1/me")).status()).toBe(401);
  const code = await freshCode(page, secret);
  await codeField.fill(code);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/account$/);
  await hydrated(page);
  await expect(page.getByRole("cell", { name: "Password and app code" })).toBeVisible();

  // The same code again: refused, and nothing opens.
  await signOut(page);
  await password(page);
  await expect(page).toHaveURL(/\/sign-in\/code$/);
  await hydrated(page);
  await page.getByLabel("Code from your app, or a recovery code").fill(code);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("alert")).toHaveText("The code is wrong or was already used.");
  await expect(page).toHaveURL(/\/sign-in\/code$/);
  expect((await page.request.get("/api/v1/me")).status()).toBe(401);
  await expectAccessible(page, "second step, code refused");

  // A recovery code instead (typed in capitals, without dashes): signed in.
  await page
    .getByLabel("Code from your app, or a recovery code")
    .fill(recovery[0].replace(/-/g, "").toUpperCase());
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/account$/);
  await hydrated(page);
  await expect(page.getByRole("cell", { name: "Password and recovery code" })).toBeVisible();
  await expect(page.getByText(/Unused recovery codes:\s*9/)).toBeVisible();
  await expect(page.getByRole("cell", { name: "A recovery code was used to sign in" })).toBeVisible();
  await expectAccessible(page, "account page, two-factor on");

  // It works once.
  await signOut(page);
  await password(page);
  await expect(page).toHaveURL(/\/sign-in\/code$/);
  await hydrated(page);
  await page.getByLabel("Code from your app, or a recovery code").fill(recovery[0]);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("alert")).toHaveText("The code is wrong or was already used.");
  expect((await page.request.get("/api/v1/me")).status()).toBe(401);
});
