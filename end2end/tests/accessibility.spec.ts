import { test, expect, Page } from "@playwright/test";
import { bastion, once, hydrated } from "./cli";
import { axeViolations, expectAccessible } from "./axe";

// axe (WCAG 2.2 A and AA) on every page and its main states — signed out, each work page, every
// disclosure opened (the forms and confirmations behind them), an error and a status message —
// in all four languages, each in the light and the dark colour scheme. Each page is loaded once
// per language and checked in both schemes (the scheme follows the device, so switching the
// emulated one repaints without a reload). Its own account and workspace.

const PASSWORD = "a long private passphrase for accessibility";
const EMAIL = "aino@example.eu";
const SLUG = "lumen";
const API = `/api/v1/workspaces/${SLUG}`;
const OTHER = "noa@example.eu";
const SCHEMES = ["light", "dark"] as const;
/** Every language Bastion speaks, as `<html lang>` and the switcher's cookie spell it. */
const LANGUAGES = ["en", "nl-BE", "fr-BE", "de-BE"] as const;
type Language = (typeof LANGUAGES)[number];
/** The page background of each scheme (`--canvas` in style/main.css). */
const CANVAS = { light: "rgb(245, 247, 250)", dark: "rgb(16, 21, 30)" };

test.beforeAll(() => {
  once(["user", "create", EMAIL, "--name", "Aino Virtanen"], { BASTION_PASSWORD: PASSWORD });
  once(["user", "create", OTHER, "--name", "Noa Peeters"], { BASTION_PASSWORD: PASSWORD });
  once(["workspace", "create", SLUG, "--name", "Lumen Studio"]);
  bastion(["workspace", "add-member", SLUG, EMAIL, "--role", "admin"]);
  bastion(["workspace", "add-member", SLUG, OTHER, "--role", "member"]);
});

async function signIn(page: Page, email = EMAIL) {
  await page.goto("/sign-in");
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/account$/);
}

/** A project, a tagged task with a comment, an attachment and an hour logged on it. */
async function seed(page: Page, tagName: string): Promise<{ taskId: string; projectId: string }> {
  const project = await page.request.post(`${API}/projects`, { data: { name: "Gallery opening" } });
  expect(project.status()).toBe(201);
  const projectId = (await project.json()).id;
  const task = await page.request.post(`${API}/tasks`, {
    data: { project_id: projectId, title: "Hang the north wall", description: "Use the **long** level. [Plan](https://example.eu/plan)" },
  });
  expect(task.status()).toBe(201);
  const taskId = (await task.json()).id;
  // It repeats, so the task page shows its rule in words and the list its mark.
  const repeat = await page.request.put(`${API}/tasks/${taskId}/recurrence`, {
    data: { unit: "weeks", every: 2, weekdays: ["mon", "thu"], trigger: "on_done" },
  });
  expect(repeat.status()).toBe(200);
  const tag = await page.request.post(`${API}/tags`, { data: { name: tagName, colour: "#fde047" } });
  expect(tag.status()).toBe(201);
  expect((await page.request.post(`${API}/tasks/${taskId}/tags`, { data: { tag_id: (await tag.json()).id } })).status()).toBe(201);
  expect((await page.request.post(`${API}/tasks/${taskId}/comments`, { data: { body: "Level checked, *twice*." } })).status()).toBe(201);
  const upload = await page.request.post(`${API}/tasks/${taskId}/attachments`, {
    multipart: { file: { name: "wall-plan.txt", mimeType: "text/plain", buffer: Buffer.from("north wall\n") } },
  });
  expect(upload.status()).toBe(201);
  const entry = await page.request.post(`${API}/time-entries`, {
    data: { task_id: taskId, started_at: "2026-11-30T09:00:00Z", minutes: 60, rate_cents: 8000, billable: true, note: "Measuring" },
  });
  expect(entry.status()).toBe(201);
  return { taskId, projectId };
}

/** The scheme the page is painted in, by its background. */
async function painted(page: Page): Promise<string> {
  return page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
}

/** axe on the page with every disclosure (the forms and confirmations behind them) opened: a
 * closed one only hides content, so this one pass sees everything the closed page shows too. */
async function check(page: Page, label: string) {
  await openDisclosures(page);
  await expectAccessible(page, label);
}

/** Opens every closed disclosure. The workspace switcher only on the account page and the
 * workspace home: its list floats over the page as any menu does, and what it covers (a page's
 * own controls under the top bar) would count as obscured targets while it is open. */
async function openDisclosures(page: Page) {
  const path = new URL(page.url()).pathname;
  const withSwitcher = path === "/account" || path === `/w/${SLUG}`;
  await page
    .locator(withSwitcher ? "details:not([open])" : "details:not([open]):not(.switcher)")
    .evaluateAll((all) => all.forEach((d) => ((d as HTMLDetailsElement).open = true)));
}

/** The page as loaded, checked in each colour scheme: its language is the one asked for, and it
 * is painted in the scheme before axe looks at it (contrast is the scheme-dependent part). */
async function checkBothSchemes(page: Page, lang: Language, label: string) {
  expect(await page.locator("html").getAttribute("lang"), `${label} is in ${lang}`).toBe(lang);
  await openDisclosures(page);
  for (const scheme of SCHEMES) {
    await page.emulateMedia({ colorScheme: scheme });
    await expect.poll(() => painted(page), { message: `${label} is painted ${scheme}` }).toBe(CANVAS[scheme]);
    await expectAccessible(page, `${label} (${lang}, ${scheme})`);
  }
}

test("the check fails on a page with violations", async ({ page }) => {
  await page.goto("/sign-in");
  await hydrated(page);
  await page.evaluate(() => {
    document.querySelector("main")!.insertAdjacentHTML(
      "beforeend",
      '<img src="/favicon.svg"><button></button><input type="text"><a href="/privacy"></a>',
    );
  });
  const rules = (await axeViolations(page)).map((line) => line.split("  ")[0]);
  expect(rules).toEqual(expect.arrayContaining(["image-alt", "button-name", "label", "link-name"]));
});

const SIGNED_OUT: [string, string][] = [
  ["landing", "/"],
  ["sign in", "/sign-in"],
  ["sign up", "/sign-up"],
  ["sign-up code", "/sign-up/confirm?id=6f1c1f7e-3b1a-4c53-9a3e-2d7f1d0c9b11"],
  ["forgot password", "/forgot-password"],
  ["reset password", "/reset-password?token=not-a-real-token"],
  ["invitation", "/invite/not-a-real-invitation"],
  ["privacy", "/privacy"],
  ["security", "/security"],
  ["security request", "/security/request"],
  ["not found", "/no-such-page"],
];

for (const lang of LANGUAGES) {
  test(`signed-out pages have no WCAG 2.2 AA violations (${lang}, light and dark)`, async ({ page, context, baseURL }) => {
    test.setTimeout(180_000);
    await context.addCookies([{ name: "bastion_lang", value: lang, url: baseURL! }]);
    for (const [name, url] of SIGNED_OUT) {
      await page.goto(url);
      await hydrated(page);
      await checkBothSchemes(page, lang, name);
    }
    // A refused sign-in: the error beside the form.
    await page.emulateMedia({ colorScheme: "light" });
    await page.goto("/sign-in");
    await hydrated(page);
    // The password form (the page also has the single sign-on form, with its own email field).
    const form = page.locator("form", { has: page.locator('input[name="password"]') });
    await form.locator('input[name="email"]').fill("nobody@example.eu");
    await form.locator('input[name="password"]').fill("not the password at all");
    await form.locator('button[type="submit"]').click();
    await expect(page.getByRole("alert")).toBeVisible();
    await checkBothSchemes(page, lang, "sign in refused");
  });
}

function workPages(taskId: string, projectId: string): [string, string][] {
  return [
    ["landing signed in", "/"],
    ["account", "/account"],
    ["new workspace", "/workspaces/new"],
    ["workspace home", `/w/${SLUG}`],
    ["task list", `/w/${SLUG}/tasks`],
    ["task search", `/w/${SLUG}/tasks?q=north`],
    ["task search, nothing found", `/w/${SLUG}/tasks?q=zzzz-nothing`],
    ["board", `/w/${SLUG}/board`],
    ["project board", `/w/${SLUG}/board?project=${projectId}`],
    ["calendar", `/w/${SLUG}/calendar`],
    ["task", `/w/${SLUG}/tasks/${taskId}`],
    ["time", `/w/${SLUG}/time?from=2026-11-01&to=2026-11-30`],
    ["time, refused dates", `/w/${SLUG}/time?from=2026-11-30&to=2026-11-01`],
    ["audit", `/w/${SLUG}/audit`],
    ["members", `/w/${SLUG}/members`],
    ["settings", `/w/${SLUG}/settings`],
    ["inbox", `/w/${SLUG}/inbox`],
    ["activity", `/w/${SLUG}/activity`],
    ["project activity", `/w/${SLUG}/activity?project=${projectId}`],
    ["workspace not found", `/w/no-such-workspace`],
  ];
}

for (const lang of LANGUAGES) {
  test(`every work, settings and admin page has no WCAG 2.2 AA violations (${lang}, light and dark)`, async ({ page }) => {
    test.setTimeout(300_000);
    await signIn(page);
    // The saved language wins over the cookie and the header, so the account carries it.
    expect((await page.request.put("/api/v1/me/locale", { data: { locale: lang } })).status()).toBe(200);
    const { taskId, projectId } = await seed(page, `install-${lang}`);
    for (const [name, url] of workPages(taskId, projectId)) {
      await page.goto(url);
      await hydrated(page);
      await checkBothSchemes(page, lang, name);
    }
    // The board mid-move: a card picked up with the keyboard, its announcement on screen.
    await page.emulateMedia({ colorScheme: "light" });
    await page.goto(`/w/${SLUG}/board`);
    await hydrated(page);
    const handle = page.locator(".drag-handle").first();
    await handle.focus();
    await page.keyboard.press("Space");
    await expect(handle).toHaveAttribute("aria-pressed", "true");
    await expect(page.getByTestId("board-live")).not.toBeEmpty();
    await checkBothSchemes(page, lang, "board, a card picked up");
    await page.keyboard.press("Escape");

    // A status message just after an action, while it is on screen.
    await page.emulateMedia({ colorScheme: "light" });
    await page.goto(`/w/${SLUG}/tasks/${taskId}`);
    await hydrated(page);
    await page.locator("#new-comment").fill(`Seen in ${lang}.`);
    await page.locator('.comment-form button[type="submit"]').click();
    await expect(page.getByRole("status").filter({ hasText: /\S/ })).toBeVisible();
    await checkBothSchemes(page, lang, "comment posted");
  });
}

test("a colour scheme chosen on the account page overrides the device's, from the server's first byte", async ({ page }) => {
  test.setTimeout(120_000);
  await signIn(page, OTHER);
  const task = await page.request.post(`${API}/tasks`, {
    data: { project_id: (await (await page.request.post(`${API}/projects`, { data: { name: "Night shift" } })).json()).id, title: "Dim the lights" },
  });
  expect(task.status()).toBe(201);
  const pages = ["/account", `/w/${SLUG}`, `/w/${SLUG}/tasks`, `/w/${SLUG}/board`, `/w/${SLUG}/tasks/${(await task.json()).id}`, `/w/${SLUG}/time`, "/privacy"];

  for (const [device, chosen, label] of [["light", "dark", "Dark"], ["dark", "light", "Light"]] as const) {
    await page.emulateMedia({ colorScheme: device });
    await page.goto("/account");
    await hydrated(page);
    const form = page.getByRole("form", { name: "Appearance" });
    await form.getByLabel(label, { exact: true }).check();
    await form.getByRole("button", { name: "Save colour scheme" }).click();
    await expect(form.getByRole("status")).toHaveText("Colour scheme saved.");
    // Applied at once, without a page load…
    await expect(page.locator("html")).toHaveAttribute("data-theme", chosen);
    expect(await painted(page)).toBe(CANVAS[chosen]);
    for (const url of pages) {
      // …and written by the server, so the first paint is already right.
      const response = await page.goto(url);
      expect(await response!.text()).toContain(`<html lang="en" data-theme="${chosen}"`);
      await hydrated(page);
      expect(await painted(page), `${url} is painted ${chosen} on a ${device} device`).toBe(CANVAS[chosen]);
      await check(page, `${url} (${chosen} chosen, device ${device})`);
    }
  }

  // The same setting over REST; anything but the three schemes is refused, naming the field.
  expect(await (await page.request.get("/api/v1/me/theme")).json()).toEqual({ theme: "light" });
  const bad = await page.request.put("/api/v1/me/theme", { data: { theme: "sepia" } });
  expect(bad.status()).toBe(422);
  expect((await bad.json()).error.field).toBe("theme");
  const back = await page.request.put("/api/v1/me/theme", { data: { theme: "system" } });
  expect(await back.json()).toEqual({ theme: "system" });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.goto("/account");
  await expect(page.getByLabel("As on this device")).toBeChecked();
  expect(await painted(page)).toBe(CANVAS.dark);
});
