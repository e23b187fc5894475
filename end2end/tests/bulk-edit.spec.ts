import { test, expect, Page } from "@playwright/test";
import { bastion, hydrated } from "./cli";
import { expectAccessible } from "./axe";

// Issue 20: bulk edit on the task list — select with the mouse and the keyboard, change five
// tasks' status at once, and find one history event on each.

const PASSWORD = "a long private passphrase for bulk";
const SLUG = "bulk-works";
const API = `/api/v1/workspaces/${SLUG}`;

async function signIn(page: Page, email: string) {
  await page.goto("/sign-in");
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/account$/);
}

test.beforeAll(() => {
  bastion(["user", "create", "ada.bulk@example.eu", "--name", "Ada Bulk"], { BASTION_PASSWORD: PASSWORD });
  bastion(["workspace", "create", SLUG, "--name", "Bulk Works"]);
  bastion(["workspace", "add-member", SLUG, "ada.bulk@example.eu", "--role", "admin"]);
});

test("bulk-change five tasks' status: five history events, the sixth untouched", async ({ page }) => {
  await signIn(page, "ada.bulk@example.eu");
  const project = await page.request.post(`${API}/projects`, { data: { name: "Bulk Corp", key_prefix: "BULK" } });
  expect(project.status()).toBe(201);
  const projectId = (await project.json()).id;
  for (const n of [1, 2, 3, 4, 5, 6]) {
    const task = await page.request.post(`${API}/tasks`, { data: { project_id: projectId, title: `Invoice ${n}` } });
    expect(task.status()).toBe(201);
  }

  await page.goto(`/w/${SLUG}/tasks`);
  await hydrated(page);
  const bar = page.getByRole("form", { name: "Bulk edit" });
  // Four with the mouse, one with the keyboard.
  for (const n of [1, 2, 3, 4]) {
    await page.getByRole("checkbox", { name: `Select BULK-${n} Invoice ${n}` }).check();
  }
  const fifth = page.getByRole("checkbox", { name: "Select BULK-5 Invoice 5" });
  await fifth.focus();
  await page.keyboard.press("Space");
  await expect(fifth).toBeChecked();
  await expect(bar.getByText("Selected: 5")).toBeVisible();
  await expect(page.getByRole("checkbox", { name: "Select all on this page" })).not.toBeChecked();

  await bar.getByLabel("Change", { exact: true }).selectOption({ label: "Status" });
  await bar.getByLabel("New value").selectOption({ label: "Done" });
  await expectAccessible(page, "task list with a selection");
  await bar.getByRole("button", { name: "Apply to selected" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Tasks changed" })).toHaveText("Tasks changed: 5.");
  await expect(bar.getByText("Selected: 0")).toBeVisible();

  const rows = page.locator("tbody tr");
  for (const n of [1, 2, 3, 4, 5]) {
    await expect(rows.filter({ hasText: `BULK-${n}` }).locator(".status")).toHaveText("Done");
  }
  await expect(rows.filter({ hasText: "BULK-6" }).locator(".status")).toHaveText("To do");

  // "Select all on this page" ticks every row; unticking it clears them.
  const all = page.getByRole("checkbox", { name: "Select all on this page" });
  await all.check();
  await expect(bar.getByText("Selected: 6")).toBeVisible();
  await expect(page.getByRole("checkbox", { name: "Select BULK-6 Invoice 6" })).toBeChecked();
  await all.uncheck();
  await expect(bar.getByText("Selected: 0")).toBeVisible();

  // One history event on each changed task, saying the status changed.
  for (const n of [1, 2, 3, 4, 5]) {
    await page.goto(`/w/${SLUG}/t/BULK-${n}`);
    await hydrated(page);
    const changes = page.getByRole("region", { name: "Activity", exact: true }).locator("ol.history > li").filter({ hasText: "changed the task" });
    await expect(changes).toHaveCount(1);
    await expect(changes).toContainText("To do → Done");
  }
  await page.goto(`/w/${SLUG}/t/BULK-6`);
  await hydrated(page);
  await expect(page.getByRole("region", { name: "Activity", exact: true }).locator("ol.history > li").filter({ hasText: "changed the task" })).toHaveCount(0);
});
