import { test, expect } from "@playwright/test";
import { bastion, once, signInWithoutScript } from "./cli";

// The pages work before their script has loaded, and without it: every change is a form that
// posts, comes back, and says what it did (or what was wrong) on the page it lands on.

const PASSWORD = "a passphrase typed without script";

test.beforeAll(() => {
  once(["user", "create", "plain-noa@example.eu", "--name", "Noa Plain"], { BASTION_PASSWORD: PASSWORD });
  once(["workspace", "create", "plain", "--name", "Plain Works"]);
  bastion(["workspace", "add-member", "plain", "plain-noa@example.eu", "--role", "admin"]);
});

test("without script a project, a task, a tag and a comment are made, and each says so", async ({ browser }) => {
  const { context, page } = await signInWithoutScript(browser, "plain-noa@example.eu", PASSWORD);

  await page.goto("/w/plain");
  await page.getByLabel("New project").fill("Plain project");
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page).toHaveURL(/\/w\/plain$/);
  await expect(page.getByRole("status")).toHaveText("Project created.");
  await expect(page.getByRole("link", { name: "Plain project" })).toBeVisible();
  // Said once: the next visit does not say it again.
  await page.reload();
  await expect(page.getByRole("status")).toHaveText("");

  await page.goto("/w/plain/tasks");
  await page.getByText("New task", { exact: true }).click();
  const form = page.locator("details.new-task");
  await form.getByLabel("Title", { exact: true }).fill("A task typed without script");
  await form.getByLabel("Project", { exact: true }).selectOption({ label: "Plain project" });
  await form.getByRole("button", { name: "Create task" }).click();
  await expect(page).toHaveURL(/\/w\/plain\/tasks\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("heading", { name: "A task typed without script" })).toBeVisible();

  const tags = page.getByRole("region", { name: "Tags" });
  await tags.getByLabel("New tag").fill("plain");
  await tags.getByRole("button", { name: "Create and add" }).click();
  await expect(page.getByRole("status")).toHaveText("Tag created and added.");
  await expect(tags.locator(".tag", { hasText: "plain" })).toBeVisible();

  const comments = page.getByRole("region", { name: "Comments" });
  await comments.getByLabel("Add a comment (Markdown)").fill("Posted *without* script.");
  await comments.getByRole("button", { name: "Post comment" }).click();
  await expect(page.getByRole("status")).toHaveText("Comment posted.");
  await expect(comments.locator(".comment em")).toHaveText("without");

  // A refusal comes back beside its form, and nothing is said as done.
  await tags.getByLabel("New tag").fill("plain");
  await tags.getByRole("button", { name: "Create and add" }).click();
  await expect(page.getByRole("alert")).toBeVisible();
  await expect(page.getByRole("status")).toHaveText("");
  await context.close();
});

test("without script a new API token is shown once, on the page the form comes back to", async ({ browser }) => {
  const { context, page } = await signInWithoutScript(browser, "plain-noa@example.eu", PASSWORD);

  await page.goto("/w/plain/settings");
  const tokens = page.getByRole("region", { name: "API tokens" });
  await tokens.getByLabel("Token name").fill("Plain deploy");
  await tokens.getByRole("button", { name: "Create token" }).click();
  await expect(page).toHaveURL(/\/w\/plain\/settings$/);
  const shown = tokens.getByTestId("new-token");
  await expect(shown).toHaveText(/^bst_/);
  const secret = (await shown.textContent())!.trim();
  const answer = await context.request.get("/api/v1/workspaces/plain/projects", {
    headers: { Authorization: `Bearer ${secret}` },
  });
  expect(answer.status()).toBe(200);
  // Once: the cookie that brought it is spent.
  expect((await context.cookies()).find((c) => c.name === "bastion_flash")).toBeUndefined();
  await page.reload();
  await expect(tokens.getByTestId("new-token")).toHaveCount(0);
  await context.close();
});
