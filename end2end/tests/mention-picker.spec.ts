import { test, expect, Page } from "@playwright/test";
import { bastion, hydrated } from "./cli";
import { expectAccessible } from "./axe";

// Issue 15: typing @ in a comment or a description offers the workspace's active members; the
// keyboard alone chooses one (arrows, Enter or Tab, Escape closes), the name is what the box
// shows and the stored text keeps the person's id, and the person is told.

const PASSWORD = "a long private passphrase for mentions";
const SLUG = "mention-picker";
const API = `/api/v1/workspaces/${SLUG}`;

async function signIn(page: Page, email: string) {
  await page.goto("/sign-in");
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/account$/);
}

test.beforeAll(() => {
  bastion(["user", "create", "ada.pick@example.eu", "--name", "Ada Picker"], { BASTION_PASSWORD: PASSWORD });
  bastion(["user", "create", "bea.pick@example.eu", "--name", "Bea Picker"], { BASTION_PASSWORD: PASSWORD });
  bastion(["workspace", "create", SLUG, "--name", "Mention Works"]);
  bastion(["workspace", "add-member", SLUG, "ada.pick@example.eu", "--role", "admin"]);
  bastion(["workspace", "add-member", SLUG, "bea.pick@example.eu", "--role", "member"]);
});

test("mention a member from the keyboard in a comment and in the description", async ({ page, browser }) => {
  await signIn(page, "ada.pick@example.eu");
  const project = await page.request.post(`${API}/projects`, { data: { name: "Pick Corp", key_prefix: "PICK" } });
  const task = await page.request.post(`${API}/tasks`, { data: { project_id: (await project.json()).id, title: "Pick a reviewer" } });
  expect(task.status()).toBe(201);
  const taskId = (await task.json()).id;

  await page.goto(`/w/${SLUG}/tasks/${taskId}`);
  await hydrated(page);
  const box = page.getByLabel("Add a comment (Markdown)");
  const list = page.getByRole("listbox", { name: "People to mention" });
  await box.focus();
  await page.keyboard.type("Please review, @");
  await expect(list).toBeVisible();
  await expect(list.getByRole("option")).toHaveText(["Ada Picker", "Bea Picker"]);
  await expect(list.getByRole("option", { name: "Ada Picker" })).toHaveAttribute("aria-selected", "true");
  await expectAccessible(page, "task page with the @ picker open");
  // Escape closes it; typing on opens it again, filtered.
  await page.keyboard.press("Escape");
  await expect(list).toBeHidden();
  await page.keyboard.type("pi");
  await expect(list.getByRole("option")).toHaveText(["Ada Picker", "Bea Picker"]);
  await page.keyboard.press("ArrowDown");
  const chosen = list.getByRole("option", { name: "Bea Picker" });
  await expect(chosen).toHaveAttribute("aria-selected", "true");
  await expect(box).toHaveAttribute("aria-activedescendant", (await chosen.getAttribute("id"))!);
  await page.keyboard.press("Enter");
  await expect(list).toBeHidden();
  await expect(box).toHaveValue("Please review, @Bea Picker ");
  await page.keyboard.type("thanks.");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
  await expect(page.getByRole("status")).toHaveText("Comment posted.");
  const comments = page.getByRole("region", { name: "Comments" });
  await expect(comments.locator(".comment .markdown").last()).toContainText("Please review, @Bea Picker thanks.");
  // Stored as the reference, not the name.
  const stored = await (await page.request.get(`${API}/tasks/${taskId}/comments`)).json();
  const bea = (await (await page.request.get(`${API}/members`)).json()).items.find((m: { name: string }) => m.name === "Bea Picker");
  expect(stored.items.at(-1).body).toBe(`Please review, @[${bea.user_id}] thanks.`);

  // The description: Tab chooses too, and the person mentioned there is told as well.
  await page.getByText("Edit task").click();
  const description = page.getByLabel("Description (Markdown)");
  await description.focus();
  await page.keyboard.type("Owner: @be");
  const descriptionList = page.locator("#e-description-people");
  await expect(descriptionList.getByRole("option")).toHaveText(["Bea Picker"]);
  await page.keyboard.press("Tab");
  await expect(description).toHaveValue("Owner: @Bea Picker ");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.locator(".markdown").first()).toContainText("Owner: @Bea Picker");

  const context = await browser.newContext();
  const b = await context.newPage();
  await signIn(b, "bea.pick@example.eu");
  const notices = await (await b.request.get(`${API}/notifications`)).json();
  const kinds = notices.items.filter((n: { kind: string }) => n.kind === "mentioned");
  expect(kinds.length).toBe(2);
  await context.close();

  // Made private, the task is out of Bea's sight: the page tells whoever can share it that the
  // description's mention does not reach her (the change mentioned nobody new).
  const hidden = await page.request.patch(`${API}/tasks/${taskId}`, { data: { private: true } });
  expect(hidden.status()).toBe(200);
  expect((await hidden.json()).mentions_not_notified).toEqual([]);
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("description-unreached")).toHaveText(
    "Not notified: Bea Picker. They cannot see this task; share it with them first.",
  );
  await expectAccessible(page, "task page with a mention that cannot reach its person");
});
