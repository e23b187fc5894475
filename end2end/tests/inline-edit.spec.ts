import { test, expect, Page, Browser, Locator } from "@playwright/test";
import { bastion, hydrated, once } from "./cli";
import { expectAccessible } from "./axe";

// Issue 21: status, priority, assignee, due date and tags change where they are shown, on the
// task page, the task list and the board, each from a small menu that works with the mouse and the
// keyboard (and, before the script, as a plain form).

const PASSWORD = "a long passphrase for editing in place";
const SLUG = "in-place";
const API = `/api/v1/workspaces/${SLUG}`;
const ADMIN = "ada.inline@example.eu";

test.beforeAll(() => {
  once(["user", "create", ADMIN, "--name", "Ada Inline"], { BASTION_PASSWORD: PASSWORD });
  once(["workspace", "create", SLUG, "--name", "In Place"]);
  bastion(["workspace", "add-member", SLUG, ADMIN, "--role", "admin"]);
});

async function signIn(browser: Browser): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto("/sign-in");
  await hydrated(page);
  await page.getByLabel("Email").fill(ADMIN);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).not.toHaveURL(/\/sign-in/);
  return page;
}

/** The menu whose button reads `name` (its hidden label, "Status of KEY", or "Status"). */
function menu(scope: Locator, name: string): Locator {
  return scope.locator("details.prop-menu", { has: scope.page().locator("summary", { hasText: `${name}: ` }) });
}

/** Opens a menu and runs `pick`, retried until `shown` holds: each save reloads the page's data
 *  (and a live update may too), which redraws the menus closed under a click just made. */
async function change(target: () => Locator, pick: (m: Locator) => Promise<unknown>, shown: () => Promise<unknown>) {
  await expect(async () => {
    const m = target();
    if ((await m.getAttribute("open")) === null) await m.locator("summary").click();
    await pick(m);
    await shown();
  }).toPass({ timeout: 30_000 });
}

test("status, priority, assignee and due date change in place on the task page, the list and the board", async ({ browser }) => {
  test.setTimeout(120_000);
  const page = await signIn(browser);
  const project = await page.request.post(`${API}/projects`, { data: { name: "Inline Corp", key_prefix: "INL" } });
  expect(project.status()).toBe(201);
  const projectId = (await project.json()).id;
  const task = await page.request.post(`${API}/tasks`, { data: { project_id: projectId, title: "Edit me in place", due_on: "2026-12-20" } });
  expect(task.status()).toBe(201);
  const id = (await task.json()).id;
  const saved = async () => (await page.request.get(`${API}/tasks/${id}`)).json();
  const tag = await page.request.post(`${API}/tags`, { data: { name: "on-site", colour: "#fde047" } });
  expect(tag.status()).toBe(201);
  const tagId = (await tag.json()).id;

  // The task page: its Details card on the right.
  await page.goto(`/w/${SLUG}/tasks/${id}`);
  await hydrated(page);
  const details = page.getByRole("region", { name: "Details", exact: true });
  await change(
    () => menu(details, "Status"),
    (m) => m.getByRole("button", { name: "In progress" }).click({ timeout: 3_000 }),
    () => expect(details.locator("span.status")).toHaveText("In progress", { timeout: 3_000 }),
  );
  // By the keyboard: Enter opens the menu, End goes to its last entry, Enter picks it.
  await expect(async () => {
    await menu(details, "Priority").locator("summary").focus({ timeout: 3_000 });
    await page.keyboard.press("Enter");
    await page.keyboard.press("End");
    await expect(menu(details, "Priority").getByRole("button", { name: "Urgent" })).toBeFocused({ timeout: 1_000 });
    await page.keyboard.press("Enter");
    await expect(details.locator("span.priority")).toHaveText("Urgent", { timeout: 3_000 });
  }).toPass({ timeout: 30_000 });
  // Escape closes a menu and gives the focus back to its button (retried like a change: the
  // previous save's reload can redraw the menu closed under the click).
  await expect(async () => {
    const m = menu(details, "Assignee");
    if ((await m.getAttribute("open")) === null) await m.locator("summary").click({ timeout: 1_000 });
    await expect(m).toHaveAttribute("open", "", { timeout: 1_000 });
    await page.keyboard.press("ArrowDown");
    await expect(m.getByRole("button", { name: "Nobody" })).toBeFocused({ timeout: 1_000 });
    await page.keyboard.press("Escape");
    await expect(m).not.toHaveAttribute("open", "", { timeout: 1_000 });
    await expect(m.locator("summary")).toBeFocused({ timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
  await change(
    () => menu(details, "Assignee"),
    (m) => m.getByRole("button", { name: "Ada Inline" }).click({ timeout: 3_000 }),
    () => expect.poll(async () => (await saved()).assignee_id, { timeout: 3_000 }).not.toBeNull(),
  );
  await change(
    () => menu(details, "Due"),
    async (m) => {
      await m.getByLabel("Due", { exact: true }).fill("2026-12-24", { timeout: 3_000 });
      await m.getByRole("button", { name: "Save", exact: true }).click({ timeout: 3_000 });
    },
    () => expect.poll(async () => (await saved()).due_on, { timeout: 3_000 }).toBe("2026-12-24"),
  );
  const now = await saved();
  expect([now.status, now.priority]).toEqual(["in_progress", "urgent"]);
  // One event per change, as the edit form writes.
  await page.reload();
  await hydrated(page);
  const activity = page.getByRole("region", { name: "Activity", exact: true });
  await expect(activity.locator("ol.history > li").filter({ hasText: "changed the task" })).toHaveCount(4);
  await expectAccessible(page, "task page with properties edited in place");

  // The list: the same menus in the row's cells, named after the task.
  await page.goto(`/w/${SLUG}/tasks?project=${projectId}`);
  await hydrated(page);
  const row = page.locator("table.task-table tbody tr", { hasText: "Edit me in place" });
  await change(
    () => menu(row, "Status of INL-1"),
    (m) => m.getByRole("button", { name: "Done" }).click({ timeout: 3_000 }),
    () => expect(row.locator("span.status")).toHaveText("Done", { timeout: 3_000 }),
  );
  await change(
    () => menu(row, "Due of INL-1"),
    (m) => m.getByRole("button", { name: "Clear date" }).click({ timeout: 3_000 }),
    () => expect.poll(async () => (await saved()).due_on, { timeout: 3_000 }).toBeNull(),
  );
  // A tag put on from the row's tag menu.
  await change(
    () => menu(row, "Tags of INL-1"),
    (m) => m.getByRole("button", { name: "on-site", pressed: false }).click({ timeout: 3_000 }),
    () => expect.poll(async () => (await saved()).tag_ids, { timeout: 3_000 }).toEqual([tagId]),
  );
  await menu(row, "Priority of INL-1").locator("summary").click();
  await expectAccessible(page, "task list with a property menu open");

  // The board: priority and assignee on the card.
  await page.goto(`/w/${SLUG}/board?project=${projectId}`);
  await hydrated(page);
  const card = page.locator(".task-card", { hasText: "Edit me in place" });
  await change(
    () => menu(card, "Priority of INL-1"),
    (m) => m.getByRole("button", { name: "Low" }).click({ timeout: 3_000 }),
    () => expect(card.locator("span.priority")).toHaveText("Low", { timeout: 3_000 }),
  );
  await change(
    () => menu(card, "Assignee of INL-1"),
    (m) => m.getByRole("button", { name: "Nobody" }).click({ timeout: 3_000 }),
    () => expect.poll(async () => (await saved()).assignee_id, { timeout: 3_000 }).toBeNull(),
  );
  // And taken off from the card's.
  await change(
    () => menu(card, "Tags of INL-1"),
    (m) => m.getByRole("button", { name: "on-site", pressed: true }).click({ timeout: 3_000 }),
    () => expect.poll(async () => (await saved()).tag_ids, { timeout: 3_000 }).toEqual([]),
  );
  await expectAccessible(page, "board with property menus");
  expect((await saved()).status).toBe("done");
  expect((await saved()).priority).toBe("low");
});

test("without the script, a property menu is a plain form that saves and comes back to the page", async ({ browser }) => {
  const page = await signIn(browser);
  const project = await page.request.post(`${API}/projects`, { data: { name: "Plain Corp", key_prefix: "PLN" } });
  const task = await page.request.post(`${API}/tasks`, { data: { project_id: (await project.json()).id, title: "No script here" } });
  const id = (await task.json()).id;
  const context = await browser.newContext({ javaScriptEnabled: false, storageState: await page.context().storageState() });
  const plain = await context.newPage();
  await plain.goto(`/w/${SLUG}/tasks/${id}`);
  const details = plain.getByRole("region", { name: "Details", exact: true });
  await menu(details, "Status").locator("summary").click();
  await menu(details, "Status").getByRole("button", { name: "Done" }).click();
  await expect(plain).toHaveURL(new RegExp(`/tasks/${id}`));
  await expect(details.locator("span.status")).toHaveText("Done");
  expect((await (await page.request.get(`${API}/tasks/${id}`)).json()).status).toBe("done");
  await context.close();
});
