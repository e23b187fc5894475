import { test, expect, Page } from "@playwright/test";
import { bastion, hydrated } from "./cli";

// Two people in two browsers: A assigns a task to B and mentions B; B sees the unread count and
// the notices in the inbox (after navigating: live updates are not built yet), follows the link
// to the task and marks them read. Mentioning someone who cannot see a private task tells the
// author they were not notified.

const PASSWORD = "a long private passphrase for notices";
const SLUG = "relay";

test.beforeAll(() => {
  bastion(["user", "create", "noor.relay@example.eu", "--name", "Noor Claes"], { BASTION_PASSWORD: PASSWORD });
  bastion(["user", "create", "bram.relay@example.eu", "--name", "Bram Wouters"], { BASTION_PASSWORD: PASSWORD });
  bastion(["user", "create", "gust.relay@example.eu", "--name", "Gust Maes"], { BASTION_PASSWORD: PASSWORD });
  bastion(["workspace", "create", SLUG, "--name", "Relay Couriers"]);
  bastion(["workspace", "add-member", SLUG, "noor.relay@example.eu", "--role", "admin"]);
  bastion(["workspace", "add-member", SLUG, "bram.relay@example.eu", "--role", "member"]);
  bastion(["workspace", "add-member", SLUG, "gust.relay@example.eu", "--role", "guest"]);
});

async function signIn(page: Page, email: string) {
  await page.goto("/sign-in");
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/account$/);
}

test("assigned and mentioned: B sees the count and the notices, and marks them read", async ({ browser }, info) => {
  const a = await (await browser.newContext()).newPage();
  const b = await (await browser.newContext()).newPage();
  await signIn(a, "noor.relay@example.eu");
  await signIn(b, "bram.relay@example.eu");

  // B starts with an empty inbox.
  await b.goto(`/w/${SLUG}/inbox`);
  await hydrated(b);
  await expect(b.getByText("No notices yet.")).toBeVisible();
  await expect(b.getByTestId("unread-count")).toHaveCount(0);

  // A creates a task and assigns it to B on the task page.
  const api = `/api/v1/workspaces/${SLUG}`;
  const project = await a.request.post(`${api}/projects`, { data: { name: "Night runs" } });
  expect(project.status()).toBe(201);
  const task = await a.request.post(`${api}/tasks`, {
    data: { project_id: (await project.json()).id, title: "Plan the Ghent route" },
  });
  expect(task.status()).toBe(201);
  const taskId = (await task.json()).id;
  await a.goto(`/w/${SLUG}/tasks/${taskId}`);
  await hydrated(a);
  await a.getByText("Edit task", { exact: true }).click();
  await a.getByLabel("Assignee").selectOption({ label: "Bram Wouters" });
  await a.getByRole("button", { name: "Save changes" }).click();
  await expect(a.getByRole("status")).toHaveText("Task saved.");
  // A created it, so A watches it.
  await expect(a.getByRole("button", { name: "Unwatch" })).toBeVisible();

  // B, after navigating: one unread, and the notice links to the task.
  await b.goto(`/w/${SLUG}/tasks`);
  await hydrated(b);
  await expect(b.getByTestId("unread-count")).toHaveText("1");
  await b.getByRole("link", { name: /Inbox/ }).click();
  await expect(b).toHaveURL(new RegExp(`/w/${SLUG}/inbox$`));
  await hydrated(b);
  const notice = b.locator(".inbox-item", { hasText: "Noor Claes assigned you" });
  await expect(notice).toBeVisible();
  await expect(notice.getByRole("link", { name: "Plan the Ghent route" })).toHaveAttribute("href", `/w/${SLUG}/tasks/${taskId}`);
  await b.screenshot({ path: info.outputPath("inbox-desktop.png"), fullPage: true });
  await notice.getByRole("button", { name: /Mark read/ }).click();
  await expect(b.getByRole("status")).toHaveText("Marked read.");
  await expect(b.getByTestId("unread-count")).toHaveCount(0);
  await expect(b.getByText("Nothing unread.", { exact: false }).first()).toBeVisible();

  // A mentions B by name in a comment; B is told. The guest, who cannot see the task, is not,
  // and A is told why.
  await a.reload();
  await hydrated(a);
  const comments = a.getByRole("region", { name: "Comments" });
  await comments.getByLabel("Add a comment (Markdown)").fill("@Bram Wouters can you take it? cc @Gust Maes");
  await comments.getByRole("button", { name: "Post comment" }).click();
  await expect(a.getByRole("status")).toHaveText("Comment posted.");
  await expect(a.getByText("Not notified: Gust Maes.")).toBeVisible();
  // The stored reference is shown as the person's name.
  await expect(comments.locator(".comment .markdown").last()).toContainText("@Bram Wouters can you take it?");

  await b.goto(`/w/${SLUG}/inbox?unread=1`);
  await hydrated(b);
  await expect(b.getByTestId("unread-count")).toHaveText("1");
  const mention = b.locator(".inbox-item", { hasText: "Noor Claes mentioned you" });
  await expect(mention).toBeVisible();
  await expect(b.locator(".inbox-item")).toHaveCount(1);
  await b.getByRole("button", { name: "Mark all read" }).click();
  await expect(b.getByRole("status")).toHaveText("All marked read.");
  await expect(b.getByText("Nothing unread. You are all caught up.")).toBeVisible();

  // B follows the link and unwatches; A's next comment no longer reaches B.
  await b.goto(`/w/${SLUG}/tasks/${taskId}`);
  await hydrated(b);
  await b.getByRole("button", { name: "Unwatch" }).click();
  await expect(b.getByRole("status")).toHaveText("You no longer watch this task.");
  await expect(b.getByRole("button", { name: "Watch", exact: true })).toBeVisible();
  const posted = await a.request.post(`${api}/tasks/${taskId}/comments`, { data: { body: "Route is in the shared drive." } });
  expect(posted.status()).toBe(201);
  const count = await b.request.get(`${api}/notifications/unread-count`);
  expect(await count.json()).toEqual({ unread: 0 });

  // The inbox at a phone's width does not run off the side.
  await b.setViewportSize({ width: 390, height: 844 });
  await b.goto(`/w/${SLUG}/inbox`);
  await hydrated(b);
  const widths = await b.evaluate(() => ({ doc: document.documentElement.scrollWidth, view: window.innerWidth }));
  expect(widths.doc).toBeLessThanOrEqual(widths.view);
  await b.screenshot({ path: info.outputPath("inbox-phone.png"), fullPage: true });
});
