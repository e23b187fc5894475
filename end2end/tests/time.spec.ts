import { test, expect, Page } from "@playwright/test";
import { bastion, once, hydrated } from "./cli";
import * as path from "node:path";
import * as fs from "node:fs";

/// Screenshots for a person to look at, when asked for (BASTION_SHOTS=<directory>).
async function shoot(page: Page, name: string) {
  const dir = process.env.BASTION_SHOTS;
  if (!dir) return;
  fs.mkdirSync(dir, { recursive: true });
  for (const [label, width] of [["desktop", 1280], ["narrow", 390]] as const) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: path.join(dir, `${name}-${label}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

const PASSWORD = "a long and private passphrase";

test.beforeAll(() => {
  once(["user", "create", "grace@example.eu", "--name", "Grace Hopper"], { BASTION_PASSWORD: PASSWORD });
  once(["workspace", "create", "ledger", "--name", "Ledger Co"]);
  bastion(["workspace", "add-member", "ledger", "grace@example.eu", "--role", "admin"]);
});

test("an admin logs time, sees it in the report and chart, and finds it in the audit history", async ({ page }) => {
  await page.goto("/sign-in");
  await hydrated(page);
  await page.getByLabel("Email").fill("grace@example.eu");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/account$/);

  // A project and a task, made through the REST API with the browser's session.
  const api = "/api/v1/workspaces/ledger";
  const project = await page.request.post(`${api}/projects`, { data: { name: "Website" } });
  expect(project.status()).toBe(201);
  const task = await page.request.post(`${api}/tasks`, {
    data: { project_id: (await project.json()).id, title: "Landing page" },
  });
  expect(task.status()).toBe(201);

  // The members page links to the time and audit pages.
  await page.goto("/w/ledger/members");
  await page.getByRole("navigation", { name: "Workspace" }).getByRole("link", { name: "Time" }).click();
  await expect(page).toHaveURL(/\/w\/ledger\/time$/);
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Time in Ledger Co" })).toBeVisible();
  await expect(page.getByText("No time entries yet.")).toBeVisible();
  await expect(page.getByText(/No time recorded for/)).toBeVisible();
  await shoot(page, "time-empty");

  // Money typed with a thousands separator is refused, naming the rate; nothing is recorded.
  await page.getByLabel("Task").selectOption({ label: "Landing page — Website" });
  await page.getByLabel("Duration (minutes or h:mm)").fill("1:30");
  await page.getByLabel("Hourly rate in €").fill("12,345");
  await page.getByLabel("Note (optional)").fill("Hero section");
  await page.getByRole("button", { name: "Log time" }).click();
  await expect(page.getByRole("alert")).toContainText("The rate must be an amount in euros");
  await expect(page.getByLabel("Duration (minutes or h:mm)")).toHaveValue("1:30");

  await page.getByLabel("Hourly rate in €").fill("90,50");
  await page.getByRole("button", { name: "Log time" }).click();
  await expect(page.getByRole("status")).toHaveText("Logged 1:30 hours.");

  // 1.5 h at €90.50 is €135.75, in the table and in the chart.
  const report = page.locator(".report-table");
  const row = report.getByRole("row", { name: /Website/ });
  await expect(row).toContainText("1:30");
  await expect(row).toContainText(/135[.,]75/);
  await expect(report.locator("tfoot")).toContainText(/135[.,]75/);
  const chart = page.getByRole("img", { name: /Hours per project/ });
  await expect(chart).toBeVisible();
  await expect(chart.locator("rect")).toHaveCount(1);
  await expect(chart).toContainText("Website");

  const entries = page.locator(".entries-table");
  await expect(entries.getByRole("row", { name: /Landing page/ })).toContainText("Hero section");

  // Grouped by week, the same total.
  await page.getByLabel("Group by").selectOption("week");
  await page.getByRole("button", { name: "Show report" }).click();
  await expect(page).toHaveURL(/group=week/);
  await expect(page.getByRole("img", { name: /Hours per week/ })).toBeVisible();
  await expect(page.locator(".report-table tfoot")).toContainText(/135[.,]75/);
  await shoot(page, "time");

  // The audit history lists the entry's creation, by Grace, with its fields.
  await page.getByRole("navigation", { name: "Workspace" }).getByRole("link", { name: "Audit" }).click();
  await expect(page).toHaveURL(/\/w\/ledger\/audit$/);
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Audit history of Ledger Co" })).toBeVisible();
  const event = page.locator(".audit-event").filter({ hasText: "Time entry" }).first();
  await expect(event).toContainText("Grace Hopper");
  await expect(event).toContainText("created");
  await expect(event).toContainText("Hero section");
  await expect(page.getByText(/part of the Business plan/)).toBeVisible();
  await expect(page.getByRole("link", { name: "Export CSV" })).toHaveCount(0);

  await page.getByLabel("Entity").selectOption("time_entry");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/entity=time_entry/);
  await expect(page.locator(".audit-event")).toHaveCount(1);
  await page.getByLabel("Entity").selectOption("comment");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page.getByText("No events match these filters.")).toBeVisible();
  await page.getByRole("link", { name: "Clear filters" }).click();
  await expect(page.locator(".audit-event").first()).toBeVisible();
  await shoot(page, "audit");
});
