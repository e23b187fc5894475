import { test, expect, Page, Browser } from "@playwright/test";
import { bastion, hydrated, once } from "./cli";
import { expectAccessible } from "./axe";

// Issue 20: sort the task list, choose its columns, save it as a view shared with the
// workspace, reload and reopen it; a guest does not see the shared view.

const PASSWORD = "a long passphrase for saved views";
const SLUG = "views-works";
const API = `/api/v1/workspaces/${SLUG}`;
const ADMIN = "ada.views@example.eu";
const GUEST = "gus.views@example.eu";

test.beforeAll(() => {
  once(["user", "create", ADMIN, "--name", "Ada Views"], { BASTION_PASSWORD: PASSWORD });
  once(["user", "create", GUEST, "--name", "Gus Views"], { BASTION_PASSWORD: PASSWORD });
  once(["workspace", "create", SLUG, "--name", "Views Works"]);
  bastion(["workspace", "add-member", SLUG, ADMIN, "--role", "admin"]);
  bastion(["workspace", "add-member", SLUG, GUEST, "--role", "guest"]);
});

async function signIn(browser: Browser, email: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto("/sign-in");
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).not.toHaveURL(/\/sign-in/);
  return page;
}

test("sort by priority, hide a column, save the view shared, reload and reopen it", async ({ browser }) => {
  test.setTimeout(90_000);
  const page = await signIn(browser, ADMIN);
  const project = await page.request.post(`${API}/projects`, { data: { name: "Views Corp", key_prefix: "VIEW" } });
  expect(project.status()).toBe(201);
  const projectId = (await project.json()).id;
  for (const [title, priority] of [["Low one", "low"], ["Urgent one", "urgent"], ["High one", "high"]]) {
    const task = await page.request.post(`${API}/tasks`, { data: { project_id: projectId, title, priority } });
    expect(task.status()).toBe(201);
  }

  await page.goto(`/w/${SLUG}/tasks`);
  await hydrated(page);
  const views = page.getByRole("region", { name: "Saved views" });
  await expect(views.getByText("No saved views yet.", { exact: false })).toBeVisible();
  const filters = page.getByRole("search", { name: "Filter tasks" });
  await filters.getByLabel("Sort by").selectOption({ label: "Priority" });
  await filters.locator("summary", { hasText: "Columns" }).click();
  await filters.getByLabel("Columns").selectOption(["status", "priority", "assignee", "due", "tags"]);
  await filters.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/sort=priority/);
  const titles = page.locator("tbody tr td:nth-child(3) a");
  await expect(titles).toHaveText(["Urgent one", "High one", "Low one"]);
  await expect(page.getByRole("columnheader", { name: "Project" })).toHaveCount(0);
  await expect(page.getByRole("columnheader", { name: "Priority" })).toBeVisible();

  await views.getByText("Save this list as a view…").click();
  await views.getByLabel("View name").fill("Urgent first");
  await views.getByLabel("Share with the workspace").check();
  await views.getByRole("button", { name: "Save view" }).click();
  await expect(views.getByText('View "Urgent first" saved.')).toBeVisible();
  await expect(views.getByRole("link", { name: "Urgent first" })).toBeVisible();
  await expectAccessible(page, "task list with a saved view");

  // A fresh load of the plain list still offers the view; opening it restores sort and columns.
  await page.goto(`/w/${SLUG}/tasks`);
  await hydrated(page);
  await expect(titles).toHaveText(["High one", "Urgent one", "Low one"]);
  await expect(page.getByRole("columnheader", { name: "Project" })).toBeVisible();
  await views.getByRole("link", { name: "Urgent first" }).click();
  await expect(page).toHaveURL(/sort=priority.*view=/);
  await hydrated(page);
  await expect(views.getByRole("link", { name: "Urgent first" })).toHaveAttribute("aria-current", "page");
  await expect(titles).toHaveText(["Urgent one", "High one", "Low one"]);
  await expect(page.getByRole("columnheader", { name: "Project" })).toHaveCount(0);
  await expect(views.getByText("shared")).toBeVisible();

  // Through the API the view is the same; a guest does not see the shared view.
  const listed = await (await page.request.get(`${API}/views`)).json();
  expect(listed.items.map((v: { name: string }) => v.name)).toEqual(["Urgent first"]);
  expect(listed.items[0].query).toContain("sort=priority");
  const guest = await signIn(browser, GUEST);
  await guest.goto(`/w/${SLUG}/tasks`);
  await hydrated(guest);
  await expect(guest.getByRole("region", { name: "Saved views" }).getByRole("link", { name: "Urgent first" })).toHaveCount(0);
  expect((await (await guest.request.get(`${API}/views`)).json()).items).toEqual([]);

  // The one who saved it deletes it.
  await views.getByRole("button", { name: "Delete the view Urgent first" }).click();
  await expect(views.getByText("View deleted.")).toBeVisible();
  await expect(views.getByRole("link", { name: "Urgent first" })).toHaveCount(0);
});
