import { test, expect } from "@playwright/test";
import { bastion, hydrated, once } from "./cli";
import { expectAccessible } from "./axe";

// Issue 18: an export brought back into a new, empty workspace from its settings page. The
// check names who is not a member here; the admin chooses whose work it becomes; then the
// archive comes back whole.

const PASSWORD = "a long passphrase for moving back";
const ADMIN = "rita.restore@example.eu";
const MEMBER = "mo.restore@example.eu";

test.beforeAll(() => {
  once(["user", "create", ADMIN, "--name", "Rita Restore"], { BASTION_PASSWORD: PASSWORD });
  once(["user", "create", MEMBER, "--name", "Mo Restore"], { BASTION_PASSWORD: PASSWORD });
  once(["workspace", "create", "restore-from", "--name", "Verhuis BV"]);
  once(["workspace", "create", "restore-into", "--name", "Verhuis BV again"]);
  bastion(["workspace", "add-member", "restore-from", ADMIN, "--role", "admin"]);
  bastion(["workspace", "add-member", "restore-from", MEMBER, "--role", "member"]);
  bastion(["workspace", "add-member", "restore-into", ADMIN, "--role", "admin"]);
});

test("an export comes back into a new workspace: check, choose whose work, bring it back", async ({ page }) => {
  test.setTimeout(90_000);
  await page.goto("/sign-in");
  await hydrated(page);
  await page.getByLabel("Email").fill(ADMIN);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).not.toHaveURL(/\/sign-in/);

  // The workspace to move: a project, a task for the member, one for the admin, a comment.
  const api = "/api/v1/workspaces/restore-from";
  const project = await (await page.request.post(`${api}/projects`, { data: { name: "Dozen" } })).json();
  const members = await (await page.request.get(`${api}/members`)).json();
  const mo = members.items.find((m: { email: string }) => m.email === MEMBER);
  const task = await page.request.post(`${api}/tasks`, {
    data: { project_id: project.id, title: "Dozen bestellen", assignee_id: mo.user_id },
  });
  expect(task.status()).toBe(201);
  const mine = await (await page.request.post(`${api}/tasks`, { data: { project_id: project.id, title: "Sleutels ophalen" } })).json();
  expect((await page.request.post(`${api}/tasks/${mine.id}/comments`, { data: { body: "Dinsdag om tien uur." } })).status()).toBe(201);
  const started = await (await page.request.post(`${api}/export`)).json();
  let status = started;
  for (let i = 0; i < 60 && status.state !== "done"; i++) {
    await page.waitForTimeout(500);
    status = await (await page.request.get(`${api}/export/${started.id}`)).json();
  }
  expect(status.state).toBe("done");
  const archive = await (await page.request.get(status.download_url)).body();

  await page.goto("/w/restore-into/settings");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Bring back an export" })).toBeVisible();
  const go = page.getByRole("button", { name: "Bring it back (check first)" });
  await expect(go).toBeDisabled();
  await page.getByLabel("Export archive (.zip)").setInputFiles({ name: "verhuis.zip", mimeType: "application/zip", buffer: archive });
  await page.getByRole("button", { name: "Check the archive" }).click();

  // Mo is not a member here: named, and nothing can come back until someone is chosen.
  const outcome = page.getByTestId("restore-outcome");
  await expect(outcome).toContainText("The archive of Verhuis BV cannot be brought back yet");
  await expect(outcome.locator("table.import-errors")).toContainText(`${MEMBER} (Mo Restore) is not a member here`);
  await expect(go).toBeDisabled();
  await page.getByLabel(`Mo Restore (${MEMBER})`).selectOption(ADMIN);
  await page.getByRole("button", { name: "Check the archive" }).click();
  await expect(outcome).toContainText("The archive of Verhuis BV can be brought back: 2 tasks.");
  await expect(outcome).toContainText("Comments: 1");
  await expectAccessible(page, "the settings page with a checked archive");
  await page.getByRole("heading", { name: "Bring back an export" }).scrollIntoViewIfNeeded();
  await page.screenshot({ path: test.info().outputPath("restore-checked.png"), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: test.info().outputPath("restore-checked-phone.png"), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 720 });

  await page.getByRole("button", { name: "Bring it back", exact: true }).click();
  await expect(outcome).toContainText("Brought back: 2 tasks and everything on them.");
  const tasks = await (await page.request.get("/api/v1/workspaces/restore-into/tasks")).json();
  const titles = tasks.items.map((t: { title: string }) => t.title).sort();
  expect(titles).toEqual(["Dozen bestellen", "Sleutels ophalen"]);
  // Mo's task is the admin's here, as chosen.
  const moved = tasks.items.find((t: { title: string }) => t.title === "Dozen bestellen");
  const me = await (await page.request.get("/api/v1/me")).json();
  expect(moved.assignee_id).toBe(me.user.id);
});
