import { test, expect, Page } from "@playwright/test";
import { bastion, once, hydrated, signInWithoutScript } from "./cli";
import * as fs from "node:fs";

const PASSWORD = "an exporting admin's passphrase";

test.beforeAll(() => {
  once(["user", "create", "erin@example.eu", "--name", "Erin Export"], { BASTION_PASSWORD: PASSWORD });
  once(["workspace", "create", "exporters", "--name", "Exporters"]);
  bastion(["workspace", "add-member", "exporters", "erin@example.eu", "--role", "admin"]);
});

test("an admin exports the workspace from the settings page and downloads the archive", async ({ page }) => {
  await page.goto("/sign-in");
  await hydrated(page);
  await page.getByLabel("Email").fill("erin@example.eu");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/account$/);

  await page.goto("/w/exporters/settings");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Settings of Exporters" })).toBeVisible();
  await expect(page.getByTestId("plan")).toHaveText("Starter");
  await expect(page.getByTestId("clock")).toHaveText("Europe/Brussels");
  await expect(page.getByTestId("currency")).toContainText("EUR");

  // The plan changes, and the table says what it includes.
  await page.getByLabel("Change the plan").selectOption("business");
  await page.getByRole("button", { name: "Save plan" }).click();
  await expect(page.getByRole("status").filter({ hasText: "The plan is now Business." })).toBeVisible();
  await expect(page.getByTestId("plan")).toHaveText("Business");

  // Export: progress is followed until the download link appears.
  await page.getByRole("button", { name: "Export workspace" }).click();
  const link = page.getByRole("link", { name: "Download the archive" });
  await expect(link).toBeVisible({ timeout: 30_000 });
  const downloadPromise = page.waitForEvent("download");
  await link.click();
  const download = await downloadPromise;
  expect(download.suggestedFilename()).toMatch(/^bastion-exporters-.*\.zip$/);
  const file = await download.path();
  const bytes = fs.readFileSync(file!);
  // A zip archive starts with the local file header signature "PK\x03\x04".
  expect(bytes.subarray(0, 4).toString("latin1")).toBe("PK\u0003\u0004");
  expect(bytes.includes(Buffer.from("manifest.json"))).toBe(true);

  // The danger zone stays shut until the name is typed.
  const erase = page.getByRole("button", { name: "Erase this workspace" });
  await expect(erase).toBeDisabled();
  await page.getByLabel("Type Exporters to confirm").fill("exporters");
  await expect(erase).toBeDisabled();

  // Every page's footer leads to the privacy records and the request form.
  await page.getByRole("link", { name: "Privacy and lawful basis" }).click();
  await expect(page).toHaveURL(/\/privacy$/);
  await expect(page.getByRole("rowheader", { name: /Integration secrets/ })).toBeVisible();
  await page.getByRole("link", { name: "Request a DPA or the security pack" }).click();
  await expect(page).toHaveURL(/\/security\/request$/);
});

test("without script an admin removes a member and erases the workspace", async ({ browser }) => {
  once(["user", "create", "max@example.eu", "--name", "Max Leaver"], { BASTION_PASSWORD: PASSWORD });
  once(["workspace", "create", "leavers", "--name", "Leavers"]);
  bastion(["workspace", "add-member", "leavers", "erin@example.eu", "--role", "admin"]);
  bastion(["workspace", "add-member", "leavers", "max@example.eu", "--role", "member"]);
  const { context, page } = await signInWithoutScript(browser, "erin@example.eu", PASSWORD);

  await page.goto("/w/leavers/members");
  const max = page.getByRole("row", { name: /Max Leaver/ });
  await max.getByText("Remove", { exact: true }).click();
  await expect(max.getByText("Remove Max Leaver from this workspace?")).toBeVisible();
  await max.getByRole("button", { name: "Yes, remove" }).click();
  await expect(page).toHaveURL(/\/w\/leavers\/members$/);
  await expect(page.getByRole("row", { name: /Max Leaver/ })).toHaveCount(0);

  await page.goto("/w/leavers/settings");
  const erase = page.getByRole("button", { name: "Erase this workspace" });
  await page.getByLabel("Type Leavers to confirm").fill("leavers");
  await erase.click();
  await expect(page.getByRole("alert")).toContainText("must be the workspace's name");
  await page.getByLabel("Type Leavers to confirm").fill("Leavers");
  await page.getByRole("button", { name: "Erase this workspace" }).click();
  await expect(page).toHaveURL(/\/$/);
  const gone = await page.goto("/w/leavers");
  expect(gone?.status()).toBe(404);
  await context.close();
});
