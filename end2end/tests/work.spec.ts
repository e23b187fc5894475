import { test, expect, Page } from "@playwright/test";
import { bastion, hydrated } from "./cli";

const PASSWORD = "another long private passphrase";
const TITLE = "Write the privacy notice";

test.beforeAll(() => {
  bastion(["user", "create", "bea@example.eu", "--name", "Bea Visser"], { BASTION_PASSWORD: PASSWORD });
  bastion(["user", "create", "cem@example.eu", "--name", "Cem Aydin"], { BASTION_PASSWORD: PASSWORD });
  bastion(["workspace", "create", "studio", "--name", "Studio Nord"]);
  bastion(["workspace", "add-member", "studio", "bea@example.eu", "--role", "admin"]);
  bastion(["workspace", "add-member", "studio", "cem@example.eu", "--role", "member"]);
});

test("a project and a task: tagged, commented, moved on the board, found by the filters", async ({ page }) => {
  await page.goto("/sign-in");
  await hydrated(page);
  await page.getByLabel("Email").fill("bea@example.eu");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/account$/);

  // The workspace starts empty and says what to do.
  await page.goto("/w/studio");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Studio Nord" })).toBeVisible();
  await expect(page.getByText("No projects yet — create the first one.")).toBeVisible();
  await page.getByLabel("New project").fill("Website relaunch");
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page.getByRole("link", { name: "Website relaunch" })).toBeVisible();

  // A task, created from the list; its page opens.
  await page.getByRole("navigation", { name: "Workspace" }).getByRole("link", { name: "Tasks" }).click();
  await expect(page).toHaveURL(/\/w\/studio\/tasks$/);
  await hydrated(page);
  await page.getByText("New task", { exact: true }).click();
  const form = page.locator("details.new-task");
  await form.getByLabel("Title", { exact: true }).fill(TITLE);
  await form.getByLabel("Project", { exact: true }).selectOption({ label: "Website relaunch" });
  await form.getByLabel("Priority", { exact: true }).selectOption({ label: "High" });
  await form.getByLabel("Assignee", { exact: true }).selectOption({ label: "Cem Aydin" });
  await form.getByLabel("Due date", { exact: true }).fill("2026-12-31");
  await form.getByLabel("Description (Markdown)").fill("Covers the **GDPR** notice. <script>alert(1)</script>");
  await form.getByRole("button", { name: "Create task" }).click();
  await expect(page).toHaveURL(/\/w\/studio\/tasks\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("heading", { name: TITLE })).toBeVisible();
  await hydrated(page);
  // Markdown is rendered on the server; raw HTML in it is shown as text, never run.
  await expect(page.locator(".markdown strong")).toHaveText("GDPR");
  await expect(page.locator(".markdown").first()).toContainText("<script>alert(1)</script>");
  await expect(page.locator(".markdown script")).toHaveCount(0);
  await expect(page.locator(".facts")).toContainText("2026-12-31");
  await expect(page.locator(".facts")).toContainText("Cem Aydin");

  // Tag it with a new tag.
  const tags = page.getByRole("region", { name: "Tags" });
  await tags.getByLabel("New tag").fill("legal");
  await tags.getByLabel("Colour").fill("#fde047");
  await tags.getByRole("button", { name: "Create and add" }).click();
  await expect(tags.locator(".tag", { hasText: "legal" })).toBeVisible();
  await expect(page.getByRole("status")).toHaveText("Tag created and added.");
  await expect(tags.getByRole("button", { name: "Remove tag legal" })).toBeVisible();

  // Comment on it.
  const comments = page.getByRole("region", { name: "Comments" });
  await comments.getByLabel("Add a comment (Markdown)").fill("The draft is *ready* for review.");
  await comments.getByRole("button", { name: "Post comment" }).click();
  await expect(comments.locator(".comment em")).toHaveText("ready");
  await expect(comments.getByText("Bea Visser")).toBeVisible();

  // Move it on the board, without dragging: the card's "Move" menu.
  await page.getByRole("navigation", { name: "Workspace" }).getByRole("link", { name: "Board" }).click();
  await expect(page).toHaveURL(/\/w\/studio\/board$/);
  await hydrated(page);
  const todo = page.getByRole("region", { name: /^To do/ });
  const doing = page.getByRole("region", { name: /^In progress/ });
  await expect(todo.getByRole("link", { name: TITLE })).toBeVisible();
  await todo.locator(".task-card", { hasText: TITLE }).locator("details.card-menu > summary").click();
  await todo.getByLabel(`Move “${TITLE}” to`).selectOption({ label: "In progress" });
  await todo.getByRole("button", { name: `Move “${TITLE}”` }).click();
  await expect(doing.getByRole("link", { name: TITLE })).toBeVisible();
  await expect(page.getByRole("status")).toHaveText("Task moved.");
  await expect(todo.getByRole("link", { name: TITLE })).toHaveCount(0);
  await page.reload();
  await expect(page.getByRole("region", { name: /^In progress/ }).getByRole("link", { name: TITLE })).toBeVisible();

  // The filtered list: the filters are query parameters, so the result can be bookmarked.
  await page.goto("/w/studio/tasks");
  await hydrated(page);
  const filters = page.getByRole("search", { name: "Filter tasks" });
  await filters.getByLabel("Search").fill("privacy");
  await filters.getByLabel("Status").selectOption({ label: "In progress" });
  await filters.getByLabel("Tag").selectOption({ label: "legal" });
  await filters.getByLabel("Assignee").selectOption({ label: "Cem Aydin" });
  await filters.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/status=in_progress/);
  await expect(page).toHaveURL(/q=privacy/);
  await expect(page.getByRole("link", { name: TITLE })).toBeVisible();
  await expect(page.getByRole("search", { name: "Filter tasks" }).getByLabel("Status")).toHaveValue("in_progress");

  await page.goto("/w/studio/tasks?status=done");
  await expect(page.getByText("No tasks match these filters.")).toBeVisible();
  await expect(page.getByRole("link", { name: TITLE })).toHaveCount(0);
});
