import { test, expect, Page, Browser } from "@playwright/test";
import { bastion, once, hydrated } from "./cli";
import { expectAccessible } from "./axe";

// Issue 21: one app shell. Every workspace page has the same navigation: a sidebar on a wide
// screen, a drawer behind Menu on a phone; it reaches every section (Settings, Time and Audit
// included) that the person may use, and the top bar names the workspace one is in.

const PASSWORD = "a long private passphrase for the shell";
const SLUG = "shell-works";
const ADMIN = "ines.shell@example.eu";
const MEMBER = "jan.shell@example.eu";

test.beforeAll(() => {
  once(["user", "create", ADMIN, "--name", "Ines Shell"], { BASTION_PASSWORD: PASSWORD });
  once(["user", "create", MEMBER, "--name", "Jan Shell"], { BASTION_PASSWORD: PASSWORD });
  once(["workspace", "create", SLUG, "--name", "Shell Works"]);
  bastion(["workspace", "add-member", SLUG, ADMIN, "--role", "admin"]);
  bastion(["workspace", "add-member", SLUG, MEMBER, "--role", "member"]);
});

async function signIn(browser: Browser, email: string, viewport = { width: 1366, height: 900 }): Promise<Page> {
  const page = await (await browser.newContext({ viewport })).newPage();
  await page.goto("/sign-in");
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).not.toHaveURL(/\/sign-in/);
  return page;
}

const SECTIONS: [string, string][] = [
  ["Projects", ""],
  ["Tasks", "/tasks"],
  ["Board", "/board"],
  ["Calendar", "/calendar"],
  ["Activity", "/activity"],
  ["Inbox", "/inbox"],
  ["Time", "/time"],
  ["Members", "/members"],
  ["Audit", "/audit"],
  ["Settings", "/settings"],
];

test("every workspace page has the same sidebar, the current section marked, and a title naming the workspace", async ({ browser }) => {
  const page = await signIn(browser, ADMIN);
  for (const [name, path] of SECTIONS) {
    await page.goto(`/w/${SLUG}${path}`);
    await hydrated(page);
    const nav = page.getByRole("navigation", { name: "Workspace", exact: true });
    await expect(nav).toBeVisible();
    await expect(page.getByRole("button", { name: "Menu", exact: true })).toBeHidden();
    // The same ten links everywhere, and this page's marked.
    await expect(nav.getByRole("link")).toHaveText(SECTIONS.map(([n]) => new RegExp(`^${n}`)));
    await expect(nav.locator('a[aria-current="page"]')).toHaveText(new RegExp(`^${name}`));
    await expect(page.locator("details.switcher > summary")).toHaveText("Workspace: Shell Works");
    await expect(page).toHaveTitle(/Shell Works/);
    // Beside the page, not over it.
    const side = await nav.boundingBox();
    const main = await page.locator("main").boundingBox();
    expect(side!.x + side!.width).toBeLessThanOrEqual(main!.x + 1);
  }
  // The links lead where they say.
  await page.getByRole("navigation", { name: "Workspace", exact: true }).getByRole("link", { name: "Settings" }).click();
  await expect(page).toHaveURL(new RegExp(`/w/${SLUG}/settings$`));
  await expect(page.getByRole("heading", { name: "Settings of Shell Works" })).toBeVisible();
});

test("a member's sidebar offers no audit; the switcher leaves the name off outside a workspace", async ({ browser }) => {
  const page = await signIn(browser, MEMBER);
  await page.goto(`/w/${SLUG}/tasks`);
  await hydrated(page);
  const nav = page.getByRole("navigation", { name: "Workspace", exact: true });
  await expect(nav.getByRole("link", { name: "Time" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Audit" })).toHaveCount(0);
  await page.goto("/account");
  await hydrated(page);
  await expect(page.locator("details.switcher > summary")).toHaveText("Workspaces");
});

test("on a phone the navigation is a drawer behind Menu that Escape and a click outside close", async ({ browser }) => {
  const page = await signIn(browser, ADMIN, { width: 390, height: 844 });
  await page.goto(`/w/${SLUG}/board`);
  await hydrated(page);
  const nav = page.getByRole("navigation", { name: "Workspace", exact: true });
  const menu = page.getByRole("button", { name: "Menu", exact: true });
  await expect(nav).toBeHidden();
  await menu.click();
  await expect(nav).toBeVisible();
  await expectAccessible(page, "the navigation drawer open on a phone");
  await page.keyboard.press("Escape");
  await expect(nav).toBeHidden();
  await menu.click();
  await expect(nav).toBeVisible();
  await page.mouse.click(370, 600);
  await expect(nav).toBeHidden();
  // A link in the drawer goes to its page, and the drawer is gone there.
  await menu.click();
  await nav.getByRole("link", { name: "Members" }).click();
  await expect(page).toHaveURL(new RegExp(`/w/${SLUG}/members$`));
  await expect(page.getByRole("navigation", { name: "Workspace", exact: true })).toBeHidden();
  const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
  expect(widths.scroll).toBeLessThanOrEqual(widths.inner);
});

test("on a wide screen the sidebar folds away into the drawer and back, remembered by this browser", async ({ browser }) => {
  const page = await signIn(browser, ADMIN);
  await page.goto(`/w/${SLUG}/tasks`);
  await hydrated(page);
  const nav = page.getByRole("navigation", { name: "Workspace", exact: true });
  const menu = page.getByRole("button", { name: "Menu", exact: true });
  await nav.getByRole("button", { name: "Hide menu" }).click();
  await expect(nav).toBeHidden();
  await expect(menu).toBeVisible();
  expect((await page.locator("main").boundingBox())!.x).toBeLessThan(200);
  // The server renders it folded from the first byte on the next page.
  const response = await page.goto(`/w/${SLUG}/board`);
  expect(await response!.text()).toContain('data-sidebar="collapsed"');
  await hydrated(page);
  await expect(nav).toBeHidden();
  // The drawer has it all, and puts the sidebar back.
  await menu.click();
  await expect(nav).toBeVisible();
  await expectAccessible(page, "the folded sidebar's drawer on a wide screen");
  await nav.getByRole("button", { name: "Keep menu beside the page" }).click();
  await page.reload();
  await hydrated(page);
  await expect(nav).toBeVisible();
  await expect(menu).toBeHidden();
  await expect(nav.getByRole("button", { name: "Hide menu" })).toBeVisible();
});
