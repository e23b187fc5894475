import { test, expect, Page } from "@playwright/test";
import { bastion, once, hydrated } from "./cli";

// Defects a new user hit (issue 21), each checked the way they met it.

const PASSWORD = "a long private passphrase for defects";
const SLUG = "harbour";
const API = `/api/v1/workspaces/${SLUG}`;

test.beforeAll(() => {
  once(["user", "create", "noor@example.eu", "--name", "Noor Haddad"], { BASTION_PASSWORD: PASSWORD });
  once(["user", "create", "olek@example.eu", "--name", "Olek Nowak"], { BASTION_PASSWORD: PASSWORD });
  once(["workspace", "create", SLUG, "--name", "Harbour Works"]);
  bastion(["workspace", "add-member", SLUG, "noor@example.eu", "--role", "admin"]);
  bastion(["workspace", "add-member", SLUG, "olek@example.eu", "--role", "member"]);
});

async function signIn(page: Page) {
  await page.goto("/sign-in");
  await hydrated(page);
  await page.getByLabel("Email").fill("noor@example.eu");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/account$/);
}

test("a time report with From after To answers inside the page, with a clean address", async ({ page }) => {
  await signIn(page);
  await page.goto(`/w/${SLUG}/time`);
  await hydrated(page);
  await page.getByLabel("From (Brussels date)").fill("2026-11-30");
  await page.getByLabel("To (Brussels date)").fill("2026-11-01");
  await page.getByRole("button", { name: "Show report" }).click();
  await expect(page).toHaveURL(/from=2026-11-30/);
  expect(page.url()).not.toContain("&=");
  await expect(page.getByRole("alert")).toContainText("after");
  // The page stays: its heading, its navigation and the form as typed.
  await expect(page.getByRole("heading", { name: "Time in Harbour Works" })).toBeVisible();
  await expect(page.getByRole("navigation", { name: "Workspace" })).toBeVisible();
  await expect(page.getByLabel("From (Brussels date)")).toHaveValue("2026-11-30");
  await expect(page.getByRole("button", { name: "Show report" })).toBeVisible();
  // Loaded directly, too.
  await page.goto(`/w/${SLUG}/time?from=2026-11-30&to=2026-11-01`);
  await expect(page.getByRole("alert")).toContainText("after");
  await expect(page.getByRole("button", { name: "Show report" })).toBeVisible();
});

test("the board counts every task in a column and says where the rest are", async ({ page }) => {
  await signIn(page);
  const project = await page.request.post(`${API}/projects`, { data: { name: "Quay cranes" } });
  expect(project.status()).toBe(201);
  const projectId = (await project.json()).id;
  for (let i = 1; i <= 103; i++) {
    const task = await page.request.post(`${API}/tasks`, { data: { project_id: projectId, title: `Inspect crane ${i}` } });
    expect(task.status()).toBe(201);
  }
  await page.goto(`/w/${SLUG}/board?project=${projectId}`);
  await hydrated(page);
  const todo = page.getByRole("region", { name: /^To do/ });
  await expect(todo.getByRole("heading")).toHaveText(/To do\s+103/);
  await expect(todo.locator(".task-card")).toHaveCount(100);
  await todo.getByRole("link", { name: "3 more tasks in the task list" }).click();
  await expect(page).toHaveURL(new RegExp(`/w/${SLUG}/tasks\\?status=todo&project=${projectId}$`));
  await expect(page.getByRole("link", { name: "Inspect crane 103", exact: true })).toBeVisible();
});

test("create forms clear after success, so a second click does not make a duplicate", async ({ page }) => {
  await signIn(page);
  await page.goto(`/w/${SLUG}`);
  await hydrated(page);
  const name = page.getByLabel("New project");
  await name.fill("Dry dock");
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page.getByRole("link", { name: "Dry dock" })).toBeVisible();
  await expect(name).toHaveValue("");
  // An empty name is refused by the browser, so the second click creates nothing.
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page.getByRole("link", { name: "Dry dock" })).toHaveCount(1);

  // The task page's tag and comment forms.
  const project = (await (await page.request.get(`${API}/projects`)).json()).items.find((p: { name: string }) => p.name === "Dry dock");
  const task = await page.request.post(`${API}/tasks`, { data: { project_id: project.id, title: "Paint the hull" } });
  await page.goto(`/w/${SLUG}/tasks/${(await task.json()).id}`);
  await hydrated(page);
  const tags = page.getByRole("region", { name: "Tags" });
  await tags.getByLabel("New tag").fill("paint");
  await tags.getByRole("button", { name: "Create and add" }).click();
  await expect(tags.locator(".tag", { hasText: "paint" })).toBeVisible();
  await expect(tags.getByLabel("New tag")).toHaveValue("");
  const comments = page.getByRole("region", { name: "Comments" });
  await comments.getByLabel("Add a comment (Markdown)").fill("Primer first.");
  await comments.getByRole("button", { name: "Post comment" }).click();
  await expect(comments.locator(".comment p", { hasText: "Primer first." })).toBeVisible();
  await expect(comments.getByLabel("Add a comment (Markdown)")).toHaveValue("");
});

test("saving a role says so, and the only admin is offered neither Deactivate nor Remove", async ({ page }) => {
  await signIn(page);
  await page.goto(`/w/${SLUG}/members`);
  await hydrated(page);
  const me = page.getByRole("row", { name: /Noor Haddad/ });
  await expect(me.getByText("The only admin")).toBeVisible();
  await expect(me.getByRole("button", { name: "Deactivate" })).toHaveCount(0);
  await expect(me.getByRole("button", { name: /Remove/ })).toHaveCount(0);
  const olek = page.getByRole("row", { name: /Olek Nowak/ });
  await expect(olek.getByRole("button", { name: "Deactivate" })).toBeVisible();

  await olek.getByLabel("Role of Olek Nowak").selectOption("guest");
  await olek.getByRole("button", { name: "Save role" }).click();
  await expect(page.getByRole("status")).toHaveText("Olek Nowak is now a guest.");
  await page.reload();
  await expect(page.getByRole("row", { name: /Olek Nowak/ }).getByLabel("Role of Olek Nowak")).toHaveValue("guest");
  // Put back for the other tests.
  bastion(["workspace", "add-member", SLUG, "olek@example.eu", "--role", "member"]);
});

test("a success message can be dismissed, fades by itself, and lets clicks through to the page", async ({ page }) => {
  await signIn(page);
  await page.goto(`/w/${SLUG}`);
  await hydrated(page);
  await page.getByLabel("New project").fill("Slipway");
  await page.getByRole("button", { name: "Create project" }).click();
  const status = page.getByRole("status");
  await expect(status).toHaveText("Project created.");
  // It sits at the foot of the window and does not take clicks meant for the page under it.
  const toast = page.locator(".toast");
  expect(await toast.evaluate((el) => getComputedStyle(el).pointerEvents)).toBe("none");
  await page.getByRole("button", { name: "Dismiss the message" }).click();
  await expect(status).toHaveText("");
  await expect(page.getByRole("button", { name: "Dismiss the message" })).toHaveCount(0);

  await page.getByLabel("New project").fill("Boathouse");
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(status).toHaveText("Project created.");
  // Gone on its own after its few seconds (the wait is generous; nothing here measures speed).
  await expect(status).toHaveText("", { timeout: 15_000 });
});

test("tagging writes no empty history entry; history and audit name things and say statuses as the pages do", async ({ page }) => {
  await signIn(page);
  const project = await page.request.post(`${API}/projects`, { data: { name: "Lighthouse" } });
  const projectId = (await project.json()).id;
  const task = await page.request.post(`${API}/tasks`, { data: { project_id: projectId, title: "Replace the lamp" } });
  const taskId = (await task.json()).id;
  const tag = await page.request.post(`${API}/tags`, { data: { name: "electrical" } });
  expect((await page.request.post(`${API}/tasks/${taskId}/tags`, { data: { tag_id: (await tag.json()).id } })).status()).toBe(201);
  expect((await page.request.patch(`${API}/tasks/${taskId}`, { data: { status: "in_progress" } })).status()).toBe(200);

  await page.goto(`/w/${SLUG}/tasks/${taskId}`);
  await hydrated(page);
  const history = page.getByRole("region", { name: "Activity", exact: true });
  const entries = history.locator("ol.history > li");
  // Created, its creator watching it (automatic since issue 15), tag added, status changed:
  // four entries, none of them empty.
  await expect(entries).toHaveCount(4);
  await expect(entries.filter({ hasText: "added a watcher" })).toHaveCount(1);
  await expect(entries.filter({ hasText: "added a tag" })).toContainText("electrical");
  await expect(entries.filter({ hasText: "changed the task" })).toContainText("To do → In progress");

  await page.goto(`/w/${SLUG}/audit?entity=task`);
  await hydrated(page);
  const events = page.locator(".audit-event");
  await expect(events.filter({ hasText: "tag added" }).first()).toContainText("electrical");
  await expect(events.filter({ hasText: "In progress" }).first()).toContainText("To do");
  const created = events.filter({ hasText: "Replace the lamp" }).filter({ hasText: "created" }).first();
  await expect(created).toContainText("Lighthouse");
  await expect(created).not.toContainText(projectId);
  await expect(page.locator(".audit-event", { hasText: "in_progress" })).toHaveCount(0);
});

test("the workspace menu closes on Escape, on a click elsewhere and when Tab leaves it", async ({ page }) => {
  await signIn(page);
  await page.goto(`/w/${SLUG}`);
  await hydrated(page);
  const menu = page.locator("details.switcher");
  const summary = menu.locator("summary");
  const link = menu.getByRole("link", { name: "Harbour Works" });

  await summary.click();
  await expect(link).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(link).toBeHidden();
  await expect(summary).toBeFocused();

  await summary.click();
  await expect(link).toBeVisible();
  await page.locator("h1").first().click();
  await expect(link).toBeHidden();

  // The keyboard: open, Tab through every entry, and one more Tab leaves and closes it.
  await summary.focus();
  await page.keyboard.press("Enter");
  await expect(link).toBeVisible();
  const entries = await menu.getByRole("link").count();
  for (let i = 0; i < entries; i++) await page.keyboard.press("Tab");
  await expect(menu.getByRole("link").last()).toBeFocused();
  await expect(link).toBeVisible();
  await page.keyboard.press("Tab");
  await expect(link).toBeHidden();

  // A link of the menu still works.
  await summary.click();
  await link.click();
  await expect(page).toHaveURL(new RegExp(`/w/${SLUG}$`));
});
