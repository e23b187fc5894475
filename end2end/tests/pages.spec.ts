import { test, expect, Page, TestInfo } from "@playwright/test";
import { bastion, once, hydrated } from "./cli";

// Every main page at a phone's width and a desktop's: nothing runs off the side, every table
// cell says which column it is in once the tables stack, and no page asks another host for
// anything. Screenshots of both widths go into the test output for a person to look at.

const PASSWORD = "a long private passphrase for pages";
const SLUG = "atlas";
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1366, height: 900 };

test.beforeAll(() => {
  once(["user", "create", "lind@example.eu", "--name", "Ada Lindqvist"], { BASTION_PASSWORD: PASSWORD });
  once(["workspace", "create", SLUG, "--name", "Atlas Logistics"]);
  bastion(["workspace", "add-member", SLUG, "lind@example.eu", "--role", "admin"]);
});

async function signIn(page: Page) {
  await page.goto("/sign-in");
  await hydrated(page);
  await page.getByLabel("Email").fill("lind@example.eu");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/account$/);
}

/** A project, a tagged task with a long unbroken word, and an hour logged on it. */
async function seed(page: Page, tagName: string): Promise<string> {
  const api = `/api/v1/workspaces/${SLUG}`;
  const project = await page.request.post(`${api}/projects`, { data: { name: "Warehouse move" } });
  expect(project.status()).toBe(201);
  const task = await page.request.post(`${api}/tasks`, {
    data: {
      project_id: (await project.json()).id,
      title: "Label every shelf in the north hall",
      due_on: "2026-12-15",
      description: "Use the https://example.eu/a-very-long-address-that-does-not-break-anywhere-at-all labels.",
    },
  });
  expect(task.status()).toBe(201);
  const taskId = (await task.json()).id;
  // A custom € field with a value, for the fields page and the task page's Fields section.
  const field = await page.request.post(`${api}/projects/${(await project.json()).id}/fields`, {
    data: { name: "Budget", kind: "money" },
  });
  expect(field.status()).toBe(201);
  const filled = await page.request.put(`${api}/tasks/${taskId}/fields`, {
    data: { values: [{ field_id: (await field.json()).id, value: "1250,50" }] },
  });
  expect(filled.status()).toBe(200);
  const tag = await page.request.post(`${api}/tags`, { data: { name: tagName, colour: "#fde047" } });
  expect(tag.status()).toBe(201);
  expect((await page.request.post(`${api}/tasks/${taskId}/tags`, { data: { tag_id: (await tag.json()).id } })).status()).toBe(201);
  const entry = await page.request.post(`${api}/time-entries`, {
    data: { task_id: taskId, started_at: "2026-11-30T09:00:00Z", minutes: 60, rate_cents: 8000, billable: true, note: "Counting shelves" },
  });
  expect(entry.status()).toBe(201);
  return taskId;
}

function mainPages(taskId: string): [string, string][] {
  return [
    ["landing", "/"],
    ["account", "/account"],
    ["projects", `/w/${SLUG}`],
    ["tasks", `/w/${SLUG}/tasks`],
    ["board", `/w/${SLUG}/board`],
    ["calendar", `/w/${SLUG}/calendar?month=2026-12`],
    ["task", `/w/${SLUG}/tasks/${taskId}`],
    ["members", `/w/${SLUG}/members`],
    ["time", `/w/${SLUG}/time?from=2026-11-01&to=2026-11-30`],
    ["audit", `/w/${SLUG}/audit`],
    ["settings", `/w/${SLUG}/settings`],
    ["fields", `/w/${SLUG}/fields`],
    ["inbox", `/w/${SLUG}/inbox`],
    ["activity", `/w/${SLUG}/activity`],
    ["privacy", "/privacy"],
  ];
}

async function shot(page: Page, info: TestInfo, name: string) {
  const file = info.outputPath(`${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  await info.attach(name, { path: file, contentType: "image/png" });
}

test("every main page fits a phone, labels its stacked table cells, and has desktop and phone screenshots", async ({ page }, info) => {
  await signIn(page);
  const taskId = await seed(page, "on-site");
  for (const [name, url] of mainPages(taskId)) {
    await page.setViewportSize(DESKTOP);
    await page.goto(url);
    await hydrated(page);
    await shot(page, info, `${name}-desktop`);

    await page.setViewportSize(PHONE);
    await page.reload();
    await hydrated(page);
    await shot(page, info, `${name}-phone`);
    const widths = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      inner: window.innerWidth,
    }));
    expect.soft(widths.scroll, `${name} (${url}) scrolls sideways on a phone`).toBeLessThanOrEqual(widths.inner);
    // Stacked tables hide their header row, so each data cell carries its column's name.
    const unlabelled = await page.evaluate(() =>
      Array.from(document.querySelectorAll("table tbody td, table tfoot td"))
        .filter((td) => !(td.getAttribute("data-label") ?? "").trim())
        .map((td) => `${td.closest("table")?.className}: ${td.textContent?.trim().slice(0, 40)}`),
    );
    expect.soft(unlabelled, `${name} (${url}) has table cells without a label`).toEqual([]);
  }
});

test("no page asks another host for anything, the API references included", async ({ page }) => {
  const outside: string[] = [];
  const base = new URL(test.info().project.use.baseURL ?? "http://127.0.0.1");
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (!["data:", "blob:"].includes(url.protocol) && url.host !== base.host) outside.push(request.url());
  });
  // A request the page's policy stops is still one the page tried to make.
  page.on("console", (message) => {
    if (/Refused to (load|connect)/.test(message.text())) outside.push(message.text());
  });
  await signIn(page);
  const taskId = await seed(page, "off-site");
  for (const [, url] of mainPages(taskId)) {
    await page.goto(url);
    await hydrated(page);
  }
  for (const url of ["/api/redoc/", "/api/docs/"]) {
    await page.goto(url);
    await page.waitForLoadState("networkidle");
    // The reference pages lead back to the app.
    await expect.soft(page.getByRole("link", { name: "Back to Bastion" })).toBeVisible();
  }
  await expect(page.locator("redoc, .swagger-ui").first()).toBeVisible();
  expect(outside).toEqual([]);
});
