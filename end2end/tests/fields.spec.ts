import { test, expect, Page, Browser } from "@playwright/test";
import { bastion, hydrated, once } from "./cli";
import { expectAccessible } from "./axe";

// Issue 20: an admin adds a custom € field to a project, fills in 12,50 on one task and 3 on
// another, and sorts and filters the list by it; a multi-select field keeps the boxes ticked.

const PASSWORD = "a long passphrase for custom fields";
const SLUG = "fields-works";
const API = `/api/v1/workspaces/${SLUG}`;
const ADMIN = "ada.fields@example.eu";

test.beforeAll(() => {
  once(["user", "create", ADMIN, "--name", "Ada Fields"], { BASTION_PASSWORD: PASSWORD });
  once(["workspace", "create", SLUG, "--name", "Fields Works"]);
  bastion(["workspace", "add-member", SLUG, ADMIN, "--role", "admin"]);
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

test("add a € field, fill 12,50, sort and filter the list by it", async ({ browser }) => {
  test.setTimeout(120_000);
  const page = await signIn(browser, ADMIN);
  const project = await page.request.post(`${API}/projects`, { data: { name: "Fields Corp", key_prefix: "FLD" } });
  expect(project.status()).toBe(201);
  const projectId = (await project.json()).id;
  const ids: Record<string, string> = {};
  for (const title of ["Small deal", "Large deal", "No budget"]) {
    const task = await page.request.post(`${API}/tasks`, { data: { project_id: projectId, title } });
    expect(task.status()).toBe(201);
    ids[title] = (await task.json()).id;
  }

  // The project's fields page, reached from the projects list.
  await page.goto(`/w/${SLUG}`);
  await hydrated(page);
  await page.getByRole("link", { name: "Fields", exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/w/${SLUG}/fields\\?project=${projectId}`));
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Custom fields of Fields Corp" })).toBeVisible();
  await expect(page.getByText("This project has no custom fields yet.", { exact: false })).toBeVisible();
  await page.getByLabel("Name of the new field").fill("Budget");
  await page.getByLabel("Kind").selectOption({ label: "€ amount" });
  await page.getByRole("button", { name: "Add field" }).click();
  await expect(page.getByText('Field "Budget" added.')).toBeVisible();
  await page.getByLabel("Name of the new field").fill("Areas");
  await page.getByLabel("Kind").selectOption({ label: "Multi-select" });
  await page.getByLabel("Options", { exact: true }).fill("Legal\nTax\nHR");
  await page.getByRole("button", { name: "Add field" }).click();
  await expect(page.getByText('Field "Areas" added.')).toBeVisible();
  const defs = page.locator(".field-defs li");
  await expect(defs).toHaveCount(2);
  await expect(defs.first()).toContainText("Budget");
  await expect(defs.first()).toContainText("€ amount");
  await expectAccessible(page, "custom fields page");

  // Fill the amounts on two tasks, the first with a decimal comma.
  for (const [title, typed, shown] of [["Large deal", "12,50", "12.50"], ["Small deal", "3", "3.00"]]) {
    await page.goto(`/w/${SLUG}/tasks/${ids[title]}`);
    await hydrated(page);
    const section = page.getByRole("region", { name: "Fields", exact: true });
    await section.getByLabel("Budget", { exact: true }).fill(typed);
    await section.getByRole("button", { name: "Save Budget" }).click();
    await expect(page.getByText("Value saved.")).toBeVisible();
    // Read back as stored, in the page's language (English: a decimal point).
    await page.reload();
    await hydrated(page);
    await expect(section.getByLabel("Budget", { exact: true })).toHaveValue(shown);
  }
  // The multi-select keeps what is ticked (sent as options[]).
  const section = page.getByRole("region", { name: "Fields", exact: true });
  await section.getByRole("checkbox", { name: "Legal" }).check();
  await section.getByRole("checkbox", { name: "HR" }).check();
  await section.getByRole("button", { name: "Save Areas" }).click();
  await expect(page.getByText("Value saved.")).toBeVisible();
  await page.reload();
  await hydrated(page);
  await expect(section.getByRole("checkbox", { name: "Legal" })).toBeChecked();
  await expect(section.getByRole("checkbox", { name: "Tax" })).not.toBeChecked();
  await expect(section.getByRole("checkbox", { name: "HR" })).toBeChecked();
  // Each value is an event of the task's history.
  await expect(page.getByRole("region", { name: "Activity", exact: true }).getByText("filled in a field")).toHaveCount(2);
  await expectAccessible(page, "task page with custom fields");

  // The API gives the same values, in the forms it takes them back.
  const small = await (await page.request.get(`${API}/tasks/${ids["Small deal"]}`)).json();
  expect(small.fields.map((f: { value: unknown }) => f.value).sort()).toEqual(["3.00", ["Legal", "HR"]]);

  // Narrowed to the project, the list shows the field as a column and sorts by it.
  await page.goto(`/w/${SLUG}/tasks?project=${projectId}`);
  await hydrated(page);
  const filters = page.getByRole("search", { name: "Filter tasks" });
  await filters.getByLabel("Sort by").selectOption({ label: "Budget (lowest first)" });
  await filters.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/sort=field%3A|sort=field:/);
  const titles = page.locator("tbody tr td:nth-child(3) a");
  await expect(titles).toHaveText(["Small deal", "Large deal", "No budget"]);
  await expect(page.getByRole("columnheader", { name: "Budget" })).toBeVisible();
  await expect(page.locator("tbody tr").nth(1)).toContainText("€12.50");
  await filters.getByLabel("Sort by").selectOption({ label: "Budget (highest first)" });
  await filters.getByRole("button", { name: "Filter" }).click();
  await expect(titles).toHaveText(["Large deal", "Small deal", "No budget"]);

  // And filters by it.
  await filters.getByLabel("Custom field", { exact: true }).selectOption({ label: "Budget" });
  await filters.getByLabel("Value of the custom field").fill("12,50");
  await filters.getByRole("button", { name: "Filter" }).click();
  await expect(titles).toHaveText(["Large deal"]);
  await expectAccessible(page, "task list sorted and filtered by a custom field");
});
