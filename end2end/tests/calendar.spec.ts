import { test, expect, Page } from "@playwright/test";
import { bastion, hydrated, once } from "./cli";
import { expectAccessible } from "./axe";

// Issue 20: a calendar of tasks by due date, a month at a time in Monday-to-Sunday weeks with
// their ISO numbers. A task moves to another day with the mouse, with the keyboard alone (every
// step said in the live region) or, without script, by a date in its menu; each is a change of
// the task's due date, as the API then reads it.

const PASSWORD = "a long private passphrase for calendars";
const EMAIL = "cal.admin@example.eu";
const SLUG = "calendar-works";
const API = `/api/v1/workspaces/${SLUG}`;

async function signIn(page: Page) {
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(EMAIL);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/account$/);
}

/** The keys shown on a day (`YYYY-MM-DD`). */
async function keysOn(page: Page, day: string): Promise<string[]> {
  return page.locator(`td[data-day="${day}"] .task-key`).allTextContents();
}

// Idempotent: after a failed test Playwright runs the file's other tests in a fresh worker.
test.beforeAll(() => {
  once(["user", "create", EMAIL, "--name", "Cato Calendar"], { BASTION_PASSWORD: PASSWORD });
  once(["workspace", "create", SLUG, "--name", "Calendar Works"]);
  bastion(["workspace", "add-member", SLUG, EMAIL, "--role", "admin"]);
});

test("tasks move to another day with the mouse and the keyboard", async ({ page }) => {
  await signIn(page);
  const project = await page.request.post(`${API}/projects`, { data: { name: "Cal Corp", key_prefix: "CAL" } });
  expect(project.status()).toBe(201);
  const projectId = (await project.json()).id;
  const ids: Record<string, string> = {};
  for (const [n, due] of [[1, "2027-03-10"], [2, "2027-03-10"], [3, "2027-03-31"]] as const) {
    const task = await page.request.post(`${API}/tasks`, {
      data: { project_id: projectId, title: `Deadline ${n}`, due_on: due },
    });
    expect(task.status()).toBe(201);
    ids[`CAL-${n}`] = (await task.json()).id;
  }
  const dueOf = async (key: string) => (await (await page.request.get(`${API}/tasks/${ids[key]}`)).json()).due_on;

  await page.goto(`/w/${SLUG}/calendar?month=2027-03`);
  await hydrated(page);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("March 2027");
  // 1 March 2027 is a Monday in ISO week 9; the month ends in week 13, on a Wednesday.
  const weeks = page.locator("table.calendar tbody th.week-number");
  await expect(weeks).toHaveText(["9", "10", "11", "12", "13"]);
  expect(await keysOn(page, "2027-03-10")).toEqual(["CAL-1", "CAL-2"]);
  expect(await keysOn(page, "2027-03-31")).toEqual(["CAL-3"]);
  await expectAccessible(page, "calendar, light");
  await page.emulateMedia({ colorScheme: "dark" });
  await expectAccessible(page, "calendar, dark");
  await page.emulateMedia({ colorScheme: "light" });

  // The keyboard alone: pick up, a day right, a week down, put down; every step announced.
  const live = page.getByTestId("calendar-live");
  const handle = page.getByRole("button", { name: "Move CAL-1 in the calendar" });
  await handle.focus();
  await page.keyboard.press("Space");
  await expect(live).toHaveText("Picked up CAL-1, due Wednesday 2027-03-10.");
  await expect(handle).toHaveAttribute("aria-pressed", "true");
  await expectAccessible(page, "calendar with a task picked up");
  await page.keyboard.press("ArrowRight");
  await expect(live).toHaveText("CAL-1: Thursday 2027-03-11.");
  await page.keyboard.press("ArrowDown");
  await expect(live).toHaveText("CAL-1: Thursday 2027-03-18.");
  await page.keyboard.press("Enter");
  await expect(live).toHaveText("CAL-1 put down on Thursday 2027-03-18.");
  await expect(page.getByRole("status")).toHaveText("Due date changed.");
  // A locator assertion, which retries across a page load: in the islands build a move posts
  // the task's form and the calendar comes back from the server.
  await expect(page.locator('td[data-day="2027-03-18"] .task-key')).toHaveText(["CAL-1"]);
  expect(await keysOn(page, "2027-03-10")).toEqual(["CAL-2"]);
  expect(await dueOf("CAL-1")).toBe("2027-03-18");
  // The moved task keeps the focus, so the next move can follow.
  await expect(page.getByRole("button", { name: "Move CAL-1 in the calendar" })).toBeFocused();

  // Escape puts it back.
  await page.keyboard.press("Space");
  await page.keyboard.press("ArrowUp");
  await expect(live).toHaveText("CAL-1: Thursday 2027-03-11.");
  await page.keyboard.press("Escape");
  await expect(live).toHaveText("Move of CAL-1 cancelled; still due Thursday 2027-03-18.");
  expect(await dueOf("CAL-1")).toBe("2027-03-18");

  // The mouse: from the last day of the month onto the first Friday.
  await page.locator(".calendar-task", { hasText: "CAL-3" }).dragTo(page.locator('td[data-day="2027-03-05"]'));
  await expect(page.locator('td[data-day="2027-03-05"] .task-key')).toHaveText(["CAL-3"]);
  expect(await dueOf("CAL-3")).toBe("2027-03-05");
  // Every move is a change of the task, in its history.
  const history = await (await page.request.get(`${API}/tasks/${ids["CAL-3"]}/history`)).json();
  expect(JSON.stringify(history)).toContain("2027-03-05");

  // The months around it.
  await page.getByRole("link", { name: "Next month →" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("April 2027");
  await page.getByRole("link", { name: "← Previous month" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("March 2027");

  // An empty month says so.
  await page.goto(`/w/${SLUG}/calendar?month=2031-02`);
  await expect(page.getByText("No task you can see is due this month.")).toBeVisible();
  await expectAccessible(page, "calendar, empty month");
});

test("without script a task's menu moves it to a date", async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await signIn(page);
  await page.goto(`/w/${SLUG}/calendar?month=2027-03`);
  // No handle before the script: nothing that would do nothing.
  await expect(page.getByRole("button", { name: "Move CAL-2 in the calendar" })).toHaveCount(0);
  const task = page.locator(".calendar-task", { hasText: "CAL-2" });
  await task.locator("summary").click();
  await task.getByLabel("New due date of “Deadline 2”").fill("2027-03-22");
  await task.getByRole("button", { name: "Move", exact: true }).click();
  await expect(page.locator('td[data-day="2027-03-22"] .task-key')).toHaveText(["CAL-2"]);
  await context.close();
});

test("on a phone the calendar is a list of the days with tasks", async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await signIn(page);
  const project = await page.request.post(`${API}/projects`, { data: { name: "Phone Corp", key_prefix: "PHONE" } });
  expect(project.status()).toBe(201);
  const task = await page.request.post(`${API}/tasks`, {
    data: { project_id: (await project.json()).id, title: "Seen on a phone", due_on: "2027-03-24" },
  });
  expect(task.status()).toBe(201);
  await page.goto(`/w/${SLUG}/calendar?month=2027-03`);
  await hydrated(page);
  const day = page.locator('td[data-day="2027-03-24"]');
  await expect(day).toBeVisible();
  await expect(day).toContainText("Wednesday 2027-03-24");
  await expect(day).toContainText("Seen on a phone");
  // A day without tasks is left out; nothing is wider than the screen.
  await expect(page.locator('td[data-day="2027-03-23"]')).toBeHidden();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await expectAccessible(page, "calendar on a phone");
  await context.close();
});
