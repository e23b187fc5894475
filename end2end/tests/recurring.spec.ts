import { test, expect, Page } from "@playwright/test";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { bastion, hydrated } from "./cli";
import { expectAccessible } from "./axe";

// Issue 20's recurring tasks, through the pages: a monthly task completed makes the next one a
// month on, across the October summer-time change; a rule that waits for its date makes it when
// the clock — moved in the database — reaches that date, and not before.

const PASSWORD = "a long private passphrase for repeats";
const SLUG = "repeat-works";
const EMAIL = "rosa.repeat@example.eu";

/** The psql beside the server binaries the embedded cluster runs (as `./x` finds them). */
function psqlBinary(): string {
  const dirs = process.env.BASTION_PG_BIN ? [process.env.BASTION_PG_BIN] : [];
  if (fs.existsSync("/usr/lib/postgresql")) {
    dirs.push(...fs.readdirSync("/usr/lib/postgresql").sort().reverse().map((v) => `/usr/lib/postgresql/${v}/bin`));
  }
  return dirs.map((d) => path.join(d, "psql")).find((p) => fs.existsSync(p)) ?? "psql";
}

/** SQL as the embedded cluster's superuser, over the server's own Unix socket. */
function psql(sql: string) {
  const data = process.env.BASTION_E2E_DATA ?? "/tmp/bastion-e2e";
  execFileSync(psqlBinary(), ["-X", "-q", "-h", path.join(data, "postgres", "run"), "-U", "bastion_admin", "-d", "postgres", "-c", sql], {
    encoding: "utf8",
  });
}

/** Moves the database's clock, as the recurring-task sweep reads it, to `instant`. Debug builds
 * only (see `recurrence::brussels_today`); a role's setting reaches new sessions, and the sweep
 * opens one each pass. */
function moveClockTo(instant: Date) {
  const seconds = Math.round((instant.getTime() - Date.now()) / 1000);
  psql(`ALTER ROLE bastion_app SET bastion.clock_shift = '${seconds} seconds'`);
}

function resetClock() {
  psql("ALTER ROLE bastion_app RESET bastion.clock_shift");
}

async function signIn(page: Page) {
  await page.goto("/sign-in");
  await hydrated(page);
  await page.getByLabel("Email").fill(EMAIL);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/account$/);
}

async function newTask(page: Page, title: string, due: string) {
  await page.goto(`/w/${SLUG}/tasks`);
  await hydrated(page);
  await page.getByText("New task", { exact: true }).click();
  const form = page.locator("details.new-task");
  await form.getByLabel("Title", { exact: true }).fill(title);
  await form.getByLabel("Project", { exact: true }).selectOption({ label: "Rent and reports" });
  await form.getByLabel("Due date", { exact: true }).fill(due);
  await form.getByRole("button", { name: "Create task" }).click();
  await expect(page).toHaveURL(/\/tasks\/[0-9a-f-]{36}$/);
  await hydrated(page);
}

test.beforeAll(() => {
  bastion(["user", "create", EMAIL, "--name", "Rosa Repeat"], { BASTION_PASSWORD: PASSWORD });
  bastion(["workspace", "create", SLUG, "--name", "Repeat Works"]);
  bastion(["workspace", "add-member", SLUG, EMAIL, "--role", "admin"]);
});

test.afterAll(() => resetClock());

test("a monthly task completed makes the next one a month on, across the October change", async ({ page }) => {
  await signIn(page);
  await page.goto(`/w/${SLUG}`);
  await hydrated(page);
  await page.getByLabel("New project").fill("Rent and reports");
  await page.getByLabel("Key prefix (optional)").fill("RENT");
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page.getByRole("status")).toHaveText("Project created.");

  // Due on Sunday 25 October 2026, the night the clocks go back.
  await newTask(page, "Pay the rent", "2026-10-25");
  const repeat = page.getByRole("region", { name: "Repeat" });
  await expect(repeat).toContainText("This task does not repeat.");
  await repeat.getByLabel("Every", { exact: true }).fill("1");
  await repeat.getByLabel("Unit", { exact: true }).selectOption({ label: "months" });
  await repeat.getByLabel("Day of the month (monthly)").fill("25");
  await repeat.getByLabel("Make the next one").selectOption({ label: "when this one is done" });
  await repeat.getByRole("button", { name: "Save repeat" }).click();
  await expect(page.getByRole("status")).toHaveText("Repeat saved.");
  await expect(repeat.getByTestId("repeat-rule")).toHaveText("Every month on day 25");
  await expect(repeat.getByTestId("repeat-next-on")).toHaveText("Next date: 2026-11-25");
  await expectAccessible(page, "task page with a monthly rule");

  // Completing it makes RENT-2, due 25 November, which carries the rule on.
  await page.getByText("Edit task", { exact: true }).click();
  await page.getByLabel("Status", { exact: true }).selectOption({ label: "Done" });
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByRole("status")).toHaveText("Task saved.");
  await expect(repeat).toContainText("This task does not repeat.");
  const next = repeat.getByTestId("repeat-next-task").getByRole("link");
  await expect(next).toHaveText("RENT-2 Pay the rent");
  await next.click();
  await expect(page).toHaveURL(new RegExp(`/w/${SLUG}/t/RENT-2$`));
  await hydrated(page);
  await expect(page.locator(".facts")).toContainText("2026-11-25");
  await expect(repeat.getByTestId("repeat-rule")).toHaveText("Every month on day 25");
  await expect(repeat.getByTestId("repeat-next-on")).toHaveText("Next date: 2026-12-25");

  // The list marks it as repeating; the done one is not any more. Admins see it in history.
  await page.goto(`/w/${SLUG}/tasks?q=rent`);
  await hydrated(page);
  const row = page.locator("tbody tr", { hasText: "RENT-2" });
  await expect(row.locator(".recurring")).toHaveText("↻ Repeats");
  await expect(page.locator("tbody tr", { hasText: "RENT-1" }).locator(".recurring")).toHaveCount(0);
  await expectAccessible(page, "list with a recurring task");
  await page.goto(`/w/${SLUG}/t/RENT-2`);
  await hydrated(page);
  await expect(page.getByRole("region", { name: "Activity", exact: true })).toContainText("Created from recurring task");
});

test("a rule that waits for its date makes the next task when the clock reaches it", async ({ page }) => {
  await signIn(page);
  // Saturday 23 October 2027, weekly on Saturdays: next Saturday 30 October, the day before the
  // clocks go back.
  await newTask(page, "Weekly report", "2027-10-23");
  const repeat = page.getByRole("region", { name: "Repeat" });
  await repeat.getByLabel("Every", { exact: true }).fill("1");
  await repeat.getByLabel("Unit", { exact: true }).selectOption({ label: "weeks" });
  await repeat.getByRole("checkbox", { name: "Sat" }).check();
  await repeat.getByLabel("Make the next one").selectOption({ label: "on its date" });
  await repeat.getByRole("button", { name: "Save repeat" }).click();
  await expect(page.getByRole("status")).toHaveText("Repeat saved.");
  await expect(repeat.getByTestId("repeat-rule")).toHaveText("Every week on Sat");
  await expect(repeat.getByTestId("repeat-next-on")).toHaveText("Next date: 2027-10-30");
  const taskPage = page.url();

  // Today (by the real clock) nothing is made: the sweep runs every five seconds in this build.
  await page.waitForTimeout(8_000);
  await page.reload();
  await hydrated(page);
  await expect(repeat.getByTestId("repeat-next-task")).toHaveCount(0);

  // The clock moves to noon on Friday 29 October 2027 in Brussels: still nothing.
  moveClockTo(new Date("2027-10-29T10:00:00Z"));
  await page.waitForTimeout(8_000);
  await page.reload();
  await hydrated(page);
  await expect(repeat.getByTestId("repeat-next-task")).toHaveCount(0);

  // Half past midnight on Saturday 30 October in Brussels (22:30 UTC the evening before): the
  // Brussels date has come, and the next report appears, due that Saturday.
  moveClockTo(new Date("2027-10-29T22:30:00Z"));
  await expect(async () => {
    await page.goto(taskPage);
    await expect(page.getByTestId("repeat-next-task")).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
  await hydrated(page);
  await expect(repeat).toContainText("This task does not repeat.");
  await repeat.getByTestId("repeat-next-task").getByRole("link").click();
  await hydrated(page);
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Weekly report");
  await expect(page.locator(".facts")).toContainText("2027-10-30");
  await expect(repeat.getByTestId("repeat-next-on")).toHaveText("Next date: 2027-11-06");
  resetClock();

  // Only one was made, however many passes ran since.
  await page.goto(`/w/${SLUG}/tasks?q=weekly`);
  await hydrated(page);
  await expect(page.locator("tbody tr")).toHaveCount(2);
});
