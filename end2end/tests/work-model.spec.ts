import { test, expect, Page } from "@playwright/test";
import { bastion, hydrated } from "./cli";
import { expectAccessible } from "./axe";

// Issue 20: task keys, subtasks, checklists and relations, through the pages.

const PASSWORD = "a long private passphrase for keys";
const SLUG = "keys-works";

async function signIn(page: Page, email: string) {
  await page.goto("/sign-in");
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/account$/);
}

async function newTask(page: Page, title: string) {
  await page.goto(`/w/${SLUG}/tasks`);
  await hydrated(page);
  await page.getByText("New task", { exact: true }).click();
  const form = page.locator("details.new-task");
  await form.getByLabel("Title", { exact: true }).fill(title);
  await form.getByLabel("Project", { exact: true }).selectOption({ label: "Acme Corp" });
  await form.getByRole("button", { name: "Create task" }).click();
  await expect(page).toHaveURL(/\/tasks\/[0-9a-f-]{36}$/);
}

test.beforeAll(() => {
  bastion(["user", "create", "ada.keys@example.eu", "--name", "Ada Keys"], { BASTION_PASSWORD: PASSWORD });
  bastion(["workspace", "create", SLUG, "--name", "Keys Works"]);
  bastion(["workspace", "add-member", SLUG, "ada.keys@example.eu", "--role", "admin"]);
});

test("keys, subtasks, a checklist and a blocking relation", async ({ page }) => {
  await signIn(page, "ada.keys@example.eu");

  // A project with the prefix ACME; its first two tasks are ACME-1 and ACME-2.
  await page.goto(`/w/${SLUG}`);
  await hydrated(page);
  await page.getByLabel("New project").fill("Acme Corp");
  await page.getByLabel("Key prefix (optional)").fill("ACME");
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page.getByRole("status")).toHaveText("Project created.");
  await expect(page.locator(".project", { hasText: "Acme Corp" })).toContainText("ACME");
  await expectAccessible(page, "home with key prefixes");
  await newTask(page, "Draft the contract");
  await newTask(page, "Sign the contract");

  // ACME-1 opens by its key.
  await page.goto(`/w/${SLUG}/t/ACME-1`);
  await hydrated(page);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("ACME-1 Draft the contract");

  // Two subtasks (ACME-3 and ACME-4), with the parent's progress.
  const subtasks = page.getByRole("region", { name: /^Subtasks/ });
  for (const title of ["Ask legal", "Print two copies"]) {
    await subtasks.getByLabel("New subtask").fill(title);
    await subtasks.getByRole("button", { name: "Add subtask" }).click();
    await expect(page.getByRole("status")).toHaveText("Subtask added.");
    await expect(subtasks.getByRole("link", { name: new RegExp(title) })).toBeVisible();
  }
  await expect(subtasks.locator(".progress")).toHaveText("0/2 done");

  // A checklist item, ticked.
  const checklist = page.getByRole("region", { name: /^Checklist/ });
  await checklist.getByLabel("New item").fill("Check clause 4");
  await checklist.getByRole("button", { name: "Add item" }).click();
  await expect(page.getByRole("status")).toHaveText("Checklist item added.");
  await checklist.getByRole("button", { name: "Tick: Check clause 4" }).click();
  await expect(page.getByRole("status")).toHaveText("Checklist item saved.");
  await expect(checklist.getByRole("button", { name: "Untick: Check clause 4" })).toBeVisible();
  await expect(checklist.locator(".progress")).toHaveText("1/1 done");
  await expectAccessible(page, "task page with subtasks and a checklist");

  // A subtask's page links to its parent.
  await subtasks.getByRole("link", { name: /Ask legal/ }).click();
  await expect(page).toHaveURL(new RegExp(`/w/${SLUG}/t/ACME-3$`));
  await hydrated(page);
  await expect(page.locator(".parent-link")).toContainText("Subtask of ACME-1 Draft the contract");
  await expectAccessible(page, "subtask page");

  // ACME-2 blocked by ACME-1: said on its page, the board and the list; shown both ways.
  await page.goto(`/w/${SLUG}/t/ACME-2`);
  await hydrated(page);
  const relations = page.getByRole("region", { name: "Relations" });
  // A task related to itself is refused, naming why.
  await relations.getByLabel("Relation", { exact: true }).selectOption({ label: "Blocked by" });
  await relations.getByLabel("Task key", { exact: true }).fill("ACME-2");
  await relations.getByRole("button", { name: "Add relation" }).click();
  await expect(relations.getByRole("alert")).toContainText("cannot be related to itself");
  await page.waitForLoadState("networkidle");
  await relations.getByLabel("Relation", { exact: true }).selectOption({ label: "Blocked by" });
  await relations.getByLabel("Task key", { exact: true }).fill("acme-1");
  await relations.getByRole("button", { name: "Add relation" }).click();
  await expect(page.getByRole("status")).toHaveText("Relation added.");
  await expect(relations.locator("li")).toContainText("Blocked by ACME-1 Draft the contract");
  await expect(page.locator(".facts .blocked")).toHaveText("Blocked");
  await expectAccessible(page, "task page with a relation");

  await page.goto(`/w/${SLUG}/t/ACME-1`);
  await expect(page.getByRole("region", { name: "Relations" }).locator("li")).toContainText("Blocks ACME-2 Sign the contract");

  await page.goto(`/w/${SLUG}/board`);
  await hydrated(page);
  const blocked = page.locator(".task-card", { hasText: "ACME-2" });
  await expect(blocked.locator(".blocked")).toHaveText("Blocked");
  await expect(page.locator(".task-card", { hasText: "ACME-1 Draft" }).locator(".blocked")).toHaveCount(0);
  await expect(page.locator(".task-card", { hasText: "ACME-1 Draft" })).toContainText("0/2 subtasks done");
  await expectAccessible(page, "board with keys and a blocked task");

  await page.goto(`/w/${SLUG}/tasks?q=ACME-2`);
  await hydrated(page);
  const rows = page.locator("tbody tr");
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText("ACME-2");
  await expect(rows.first().locator(".blocked")).toHaveText("Blocked");
  await expectAccessible(page, "list searched by key");

  // Done, ACME-1 blocks nothing any more.
  await page.goto(`/w/${SLUG}/t/ACME-1`);
  await hydrated(page);
  await page.getByText("Edit task", { exact: true }).click();
  await page.getByLabel("Status", { exact: true }).selectOption({ label: "Done" });
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByRole("status")).toHaveText("Task saved.");
  await page.goto(`/w/${SLUG}/board`);
  await expect(page.locator(".task-card", { hasText: "ACME-2" }).locator(".blocked")).toHaveCount(0);
});
