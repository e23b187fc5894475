import { test, expect, Page } from "@playwright/test";
import { bastion, once, hydrated } from "./cli";

// The main flows with the keyboard alone: Tab to move, typing into fields, Enter or Space to
// press. No click, no focus() call. Every element Tab lands on must show its focus ring.

const PASSWORD = "a long private passphrase for keyboards";
const EMAIL = "kees@example.eu";
const SLUG = "toetsen";

test.beforeAll(() => {
  once(["user", "create", EMAIL, "--name", "Kees Jansen"], { BASTION_PASSWORD: PASSWORD });
  once(["workspace", "create", SLUG, "--name", "Toetsen"]);
  bastion(["workspace", "add-member", SLUG, EMAIL, "--role", "admin"]);
});

/** The focused element: its tag, its accessible name as a person would hear it (aria-label, its
 * label, else its text), and whether a focus ring is drawn around it. */
async function focused(page: Page) {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return { tag: "body", name: "", ring: false };
    const labels = (el as HTMLInputElement).labels;
    const name = (el.getAttribute("aria-label") ?? (labels && labels.length ? labels[0].textContent : null) ?? el.textContent ?? "").trim();
    const style = getComputedStyle(el);
    return { tag: el.tagName.toLowerCase(), name, ring: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2 };
  });
}

/** Presses Tab until the element named `name` (and of `tag`, when given) has focus, checking the
 * focus ring of everything passed on the way. */
async function tabTo(page: Page, name: string | RegExp, tag?: string) {
  const passed: string[] = [];
  for (let i = 0; i < 120; i++) {
    await page.keyboard.press("Tab");
    const now = await focused(page);
    // `body`: focus went past the page's last element (out to the browser) and comes back next.
    if (now.tag === "body") continue;
    expect.soft(now.ring, `focus ring on <${now.tag}> "${now.name}" (${page.url()})`).toBe(true);
    const matches = typeof name === "string" ? now.name === name : name.test(now.name);
    if (matches && (!tag || now.tag === tag)) return;
    passed.push(`${now.tag}:${now.name.slice(0, 30)}`);
  }
  throw new Error(`Tab never reached ${name} on ${page.url()}; passed ${passed.join(" | ")}`);
}

test("sign in, create a task, comment on it and log time with the keyboard alone", async ({ page }) => {
  test.setTimeout(120_000);
  await page.goto("/sign-in");
  await hydrated(page);
  await tabTo(page, "Email");
  await page.keyboard.type(EMAIL);
  await tabTo(page, "Password");
  await page.keyboard.type(PASSWORD);
  await tabTo(page, "Sign in", "button");
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/account$/);

  // A project to put the task in, made through the API (not the flow under test).
  expect((await page.request.post(`/api/v1/workspaces/${SLUG}/projects`, { data: { name: "Keys" } })).status()).toBe(201);

  await page.goto(`/w/${SLUG}/tasks`);
  await hydrated(page);
  await tabTo(page, "New task", "summary");
  await page.keyboard.press("Enter");
  await tabTo(page, "Title");
  await page.keyboard.type("Label the spare keys");
  await tabTo(page, "Create task", "button");
  await page.keyboard.press("Enter");
  // A created task opens its page.
  await expect(page).toHaveURL(/\/w\/toetsen\/tasks\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("heading", { name: "Label the spare keys" })).toBeVisible();
  await hydrated(page);

  await tabTo(page, "Add a comment (Markdown)");
  await page.keyboard.type("Keys counted: 12.");
  await tabTo(page, "Post comment", "button");
  await page.keyboard.press("Space");
  await expect(page.getByRole("status")).toHaveText("Comment posted.");
  await expect(page.getByRole("region", { name: "Comments" })).toContainText("Keys counted: 12.");

  await tabTo(page, "Log time", "summary");
  await page.keyboard.press("Enter");
  await tabTo(page, "Minutes");
  await page.keyboard.type("45");
  await tabTo(page, "Log time", "button");
  await page.keyboard.press("Enter");
  await expect(page.getByRole("status")).toHaveText("Time logged.");
  await expect(page.getByRole("region", { name: "Time" })).toContainText("0:45");
  await page.screenshot({ path: test.info().outputPath("focus-after-logging-time.png") });
});

test("invite someone as a guest with the keyboard alone", async ({ page }) => {
  test.setTimeout(90_000);
  await page.goto("/sign-in");
  await hydrated(page);
  await tabTo(page, "Email");
  await page.keyboard.type(EMAIL);
  await tabTo(page, "Password");
  await page.keyboard.type(PASSWORD);
  await tabTo(page, "Sign in", "button");
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/account$/);

  await page.goto(`/w/${SLUG}/members`);
  await hydrated(page);
  const invite = page.getByRole("region", { name: "Invite people" });
  await tabTo(page, "Email", "input");
  await page.keyboard.type("lotte@example.eu");
  await tabTo(page, "Role", "select");
  // Arrow keys change a closed select: Member → Guest.
  await page.keyboard.press("ArrowDown");
  await expect(invite.getByLabel("Role")).toHaveValue("guest");
  await tabTo(page, "Send invitation", "button");
  await page.keyboard.press("Enter");
  await expect(invite.getByRole("status")).toHaveText("Invitation sent to lotte@example.eu.");
  // The form is ready for the next person, and the invitation is listed with its role.
  await expect(invite.getByLabel("Email")).toHaveValue("");
  await expect(page.getByText("lotte@example.eu").last()).toBeVisible();
  await page.screenshot({ path: test.info().outputPath("focus-after-inviting.png") });
});

test("after following a link inside the app, the first Tab is the skip link, and it leads into the page", async ({ page }) => {
  // Only the islands hydrate: a link loads the next page, and focus starts at its top, as on
  // any site (docs/islands-inventory.md).
  await page.goto("/sign-in");
  await hydrated(page);
  await page.getByLabel("Email").fill(EMAIL);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/account$/);

  await page.goto(`/w/${SLUG}`);
  await hydrated(page);
  await tabTo(page, "Tasks", "a");
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(new RegExp(`/w/${SLUG}/tasks$`));
  await hydrated(page);
  await page.keyboard.press("Tab");
  await expect(page.locator("a.skip-link")).toBeFocused();
  await page.keyboard.press("Enter");
  await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe("main");
  // The next Tab goes into the page, not back to the top bar.
  await page.keyboard.press("Tab");
  expect(await page.evaluate(() => !!document.activeElement?.closest("main"))).toBe(true);
});
