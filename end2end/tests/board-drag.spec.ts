import { test, expect, Page, Locator } from "@playwright/test";
import { bastion, hydrated, once } from "./cli";
import { expectAccessible } from "./axe";

// Issue 15: a board you can drag. Cards move between columns and within one with the mouse,
// and with the keyboard alone (every step said in the live region); the order is stored, so a
// reload shows it; axe finds nothing in either colour scheme.

const PASSWORD = "a long private passphrase for boards";
const EMAIL = "drag.admin@example.eu";
const SLUG = "board-drag";
const API = `/api/v1/workspaces/${SLUG}`;

async function signIn(page: Page) {
  await page.goto("/sign-in");
  await hydrated(page);
  await page.getByLabel("Email").fill(EMAIL);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/account$/);
}

/** The keys of a column's cards, top to bottom. */
async function keys(column: Locator): Promise<string[]> {
  return column.locator(".task-key").allTextContents();
}

// Idempotent: after a failed test Playwright runs the file's other tests in a fresh worker, which
// runs this again.
test.beforeAll(() => {
  once(["user", "create", EMAIL, "--name", "Dirk Drag"], { BASTION_PASSWORD: PASSWORD });
  once(["workspace", "create", SLUG, "--name", "Drag Works"]);
  bastion(["workspace", "add-member", SLUG, EMAIL, "--role", "admin"]);
});

test("cards move with the mouse and the keyboard, and the order is stored", async ({ page }) => {
  await signIn(page);
  const project = await page.request.post(`${API}/projects`, { data: { name: "Drag Corp", key_prefix: "DRAG" } });
  expect(project.status()).toBe(201);
  const projectId = (await project.json()).id;
  for (const n of [1, 2, 3, 4]) {
    const task = await page.request.post(`${API}/tasks`, {
      data: { project_id: projectId, title: `Card ${n} ${n === 4 ? "with a title long enough to be clamped to three lines on a narrow card, ".repeat(3) : ""}` },
    });
    expect(task.status()).toBe(201);
  }

  await page.goto(`/w/${SLUG}/board`);
  await hydrated(page);
  const todo = page.getByRole("region", { name: /^To do/ });
  const doing = page.getByRole("region", { name: /^In progress/ });
  const card = (key: string) => page.locator(".task-card", { hasText: key });
  // New cards on top.
  expect(await keys(todo)).toEqual(["DRAG-4", "DRAG-3", "DRAG-2", "DRAG-1"]);
  await expectAccessible(page, "board, light");
  await page.emulateMedia({ colorScheme: "dark" });
  await expectAccessible(page, "board, dark");
  await page.emulateMedia({ colorScheme: "light" });

  // The mouse: into the empty column, then within a column onto the top half of the first card.
  await card("DRAG-1").dragTo(doing);
  await expect(page.getByRole("status")).toHaveText("Task moved.");
  // Locator assertions, which retry across a page load: in the islands build a move posts the
  // card's form and the board comes back from the server.
  await expect(doing.locator(".task-key")).toHaveText(["DRAG-1"]);
  await hydrated(page);
  await card("DRAG-2").dragTo(card("DRAG-4"), { targetPosition: { x: 40, y: 4 } });
  await expect(todo.locator(".task-key")).toHaveText(["DRAG-2", "DRAG-4", "DRAG-3"]);
  await page.reload();
  await hydrated(page);
  expect(await keys(todo)).toEqual(["DRAG-2", "DRAG-4", "DRAG-3"]);
  expect(await keys(doing)).toEqual(["DRAG-1"]);

  // The keyboard alone: pick up, up, right, drop; every step announced.
  const live = page.getByTestId("board-live");
  const handle = page.getByRole("button", { name: "Move DRAG-3 on the board" });
  await handle.focus();
  await page.keyboard.press("Space");
  await expect(live).toHaveText("Picked up DRAG-3. Column To do, position 3 of 3.");
  await expect(handle).toHaveAttribute("aria-pressed", "true");
  await expectAccessible(page, "board with a card picked up");
  await page.keyboard.press("ArrowUp");
  await expect(live).toHaveText("DRAG-3: column To do, position 2 of 3.");
  await page.keyboard.press("ArrowRight");
  await expect(live).toHaveText("DRAG-3: column In progress, position 2 of 2.");
  await page.keyboard.press("ArrowUp");
  await expect(live).toHaveText("DRAG-3: column In progress, position 1 of 2.");
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("Space");
  await expect(live).toHaveText("Dropped DRAG-3 in column In progress, position 2 of 2.");
  await expect(doing.locator(".task-key")).toHaveText(["DRAG-1", "DRAG-3"]);
  expect(await keys(todo)).toEqual(["DRAG-2", "DRAG-4"]);
  // The moved card keeps the focus, so the next move can follow.
  await expect(page.getByRole("button", { name: "Move DRAG-3 on the board" })).toBeFocused();

  // Escape puts it back.
  await page.keyboard.press("Enter");
  await page.keyboard.press("ArrowLeft");
  await expect(live).toHaveText("DRAG-3: column To do, position 2 of 3.");
  await page.keyboard.press("Escape");
  await expect(live).toHaveText("Move of DRAG-3 cancelled. Back in column In progress, position 2 of 2.");
  await page.reload();
  await hydrated(page);
  expect(await keys(doing)).toEqual(["DRAG-1", "DRAG-3"]);
  expect(await keys(todo)).toEqual(["DRAG-2", "DRAG-4"]);

  // A long title is clamped to three lines.
  const title = card("DRAG-4").locator(".card-title");
  const lineHeight = await title.evaluate((el) => parseFloat(getComputedStyle(el).lineHeight));
  const height = await title.evaluate((el) => el.getBoundingClientRect().height);
  expect(height).toBeLessThanOrEqual(lineHeight * 3 + 1);
});

test("without script the card's menu moves it", async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(EMAIL);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.goto(`/w/${SLUG}/board`);
  const done = page.getByRole("region", { name: /^Done/ });
  const card = page.locator(".task-card", { hasText: "DRAG-2" });
  // No handle before the script: nothing that would do nothing.
  await expect(page.getByRole("button", { name: "Move DRAG-2 on the board" })).toHaveCount(0);
  await card.locator("details.card-menu > summary").click();
  await card.getByLabel("Move “Card 2” to", { exact: true }).selectOption({ label: "Done" });
  await card.getByRole("button", { name: "Move “Card 2”", exact: true }).click();
  await expect(done.locator(".task-key")).toHaveText(["DRAG-2"]);
  await context.close();
});
