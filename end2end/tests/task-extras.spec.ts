import { test, expect, Page } from "@playwright/test";
import { bastion, hydrated } from "./cli";
import * as fs from "node:fs";

async function signIn(page: Page, email: string) {
  await page.goto("/sign-in");
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/account$/);
}

const PASSWORD = "a long private passphrase for extras";
const TITLE = "Prepare the quarterly invoice";
const FILE = Buffer.from("Bastion attachment ✓ — bytes kept exactly\n", "utf8");

test.beforeAll(() => {
  bastion(["user", "create", "dana@example.eu", "--name", "Dana Peeters"], { BASTION_PASSWORD: PASSWORD });
  bastion(["user", "create", "eli@example.eu", "--name", "Eli Janssens"], { BASTION_PASSWORD: PASSWORD });
  bastion(["workspace", "create", "atelier", "--name", "Atelier Zuid"]);
  bastion(["workspace", "add-member", "atelier", "dana@example.eu", "--role", "admin"]);
  bastion(["workspace", "add-member", "atelier", "eli@example.eu", "--role", "member"]);
});

test("time, attachments and history on the task page", async ({ page, browser }) => {
  await signIn(page, "dana@example.eu");
  await page.goto("/w/atelier");
  await hydrated(page);
  await page.getByLabel("New project").fill("Finance");
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page.getByRole("link", { name: "Finance" })).toBeVisible();
  await page.goto("/w/atelier/tasks");
  await hydrated(page);
  await page.getByText("New task", { exact: true }).click();
  const form = page.locator("details.new-task");
  await form.getByLabel("Title", { exact: true }).fill(TITLE);
  await form.getByLabel("Project", { exact: true }).selectOption({ label: "Finance" });
  await form.getByRole("button", { name: "Create task" }).click();
  await expect(page).toHaveURL(/\/w\/atelier\/tasks\/[0-9a-f-]{36}$/);
  const taskUrl = page.url();
  await hydrated(page);

  // A tag and a comment, for the history.
  const tags = page.getByRole("region", { name: "Tags" });
  await tags.getByLabel("New tag").fill("billing");
  await tags.getByRole("button", { name: "Create and add" }).click();
  await expect(page.getByRole("status")).toHaveText("Tag created and added.");
  const comments = page.getByRole("region", { name: "Comments" });
  await comments.getByLabel("Add a comment (Markdown)").fill("Numbers checked.");
  await comments.getByRole("button", { name: "Post comment" }).click();
  await expect(page.getByRole("status")).toHaveText("Comment posted.");

  // Log time: a rate with three decimals is refused naming the field, then 90 minutes at €85,50.
  const time = page.getByRole("region", { name: "Time" });
  await expect(time.getByText("No time logged yet.")).toBeVisible();
  const logTime = time.locator("summary", { hasText: "Log time" });
  await logTime.click();
  await time.getByLabel("Minutes").fill("90");
  await time.getByLabel("Hourly rate (€)").fill("85.505");
  await time.getByRole("button", { name: "Log time" }).click();
  await expect(time.getByRole("alert")).toContainText("The hourly rate (€) must be an amount in euros");
  // The page reloads its data after any change attempt; the form may have been rebuilt.
  await page.waitForLoadState("networkidle");
  if (!(await time.getByLabel("Minutes").isVisible())) await logTime.click();
  await time.getByLabel("Minutes").fill("90");
  await time.getByLabel("Hourly rate (€)").fill("85,50");
  await time.getByLabel("Note").fill("Reconciliation");
  await time.getByRole("button", { name: "Log time" }).click();
  await expect(page.getByRole("status")).toHaveText("Time logged.");
  const row = time.locator("tbody tr", { hasText: "Reconciliation" });
  await expect(row).toContainText("1:30");
  await expect(row).toContainText("128.25");
  await expect(row).toContainText("Dana Peeters");
  await expect(time.locator(".totals")).toContainText("1:30");
  await expect(time.locator(".totals")).toContainText("128.25");

  // Upload a file through the plain form; the page comes back saying so.
  const attachments = page.getByRole("region", { name: "Attachments" });
  await attachments.getByLabel("Attach a file").setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: FILE });
  await attachments.getByRole("button", { name: "Upload" }).click();
  await expect(page).toHaveURL(/\?attachment=uploaded/);
  await hydrated(page);
  await expect(attachments.getByText("File uploaded.")).toBeVisible();
  const link = attachments.getByRole("link", { name: "notes.txt" });
  await expect(link).toBeVisible();
  await expect(attachments).toContainText("Dana Peeters");

  // Download it: the very bytes come back.
  const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
  expect(download.suggestedFilename()).toBe("notes.txt");
  const saved = await download.path();
  expect(Buffer.compare(fs.readFileSync(saved!), FILE)).toBe(0);

  // The history, newest first, names every change.
  const history = page.getByRole("region", { name: "Activity", exact: true });
  const events = history.locator(".history > li");
  await expect(events.first()).toContainText("attached a file");
  await expect(events.first()).toContainText("notes.txt");
  await expect(history.locator("li", { hasText: "logged time" })).toContainText("Reconciliation");
  await expect(history.locator("li", { hasText: "logged time" })).toContainText("85.50");
  await expect(history.locator("li", { hasText: "added a tag" })).toContainText("billing");
  await expect(history.locator("li", { hasText: "commented" })).toContainText("Numbers checked.");
  await expect(history.locator("li", { hasText: "created the task" })).toContainText(TITLE);
  await expect(history).toContainText("Dana Peeters");

  // For looking at the page (not asserted): wide and narrow.
  if (process.env.BASTION_SCREENSHOTS) {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.screenshot({ path: `${process.env.BASTION_SCREENSHOTS}/task-1280.png`, fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: `${process.env.BASTION_SCREENSHOTS}/task-390.png`, fullPage: true });
    await page.setViewportSize({ width: 1280, height: 720 });
  }

  // A member sees only their own time, no history, and may not delete the admin's file.
  const other = await browser.newContext();
  const eli = await other.newPage();
  await signIn(eli, "eli@example.eu");
  await eli.goto(taskUrl);
  await hydrated(eli);
  await expect(eli.getByRole("region", { name: "Time" })).toContainText("No time logged yet.");
  await expect(eli.getByRole("region", { name: "Activity", exact: true })).toHaveCount(0);
  await expect(eli.getByRole("region", { name: "Attachments" }).getByRole("link", { name: "notes.txt" })).toBeVisible();
  await expect(eli.getByText("Delete notes.txt…")).toHaveCount(0);
  await other.close();

  // Deleting the file asks first; then the entry goes too, and both show in the history.
  await attachments.getByText("Delete notes.txt…").click();
  await attachments.getByRole("button", { name: "Yes, delete notes.txt" }).click();
  // The page's own notice (the upload's message stays while the address says so).
  await expect(page.locator("p.notice")).toHaveText("Attachment deleted.");
  await expect(attachments.getByText("No files attached.")).toBeVisible();
  await time.getByRole("button", { name: /^Delete the entry of 1:30/ }).click();
  await expect(page.locator("p.notice")).toHaveText("Time entry deleted.");
  await expect(time.getByText("No time logged yet.")).toBeVisible();
  await expect(events.first()).toContainText("deleted a time entry");
  await expect(history.locator("li", { hasText: "deleted an attachment" })).toContainText("notes.txt");
});
