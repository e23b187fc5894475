import { test, expect, Page } from "@playwright/test";
import { bastion, hydrated } from "./cli";

// Live updates with two (then three) people in their own browsers, none of whom reloads:
// B is assigned a task by A and the inbox count in B's top bar goes up; A moves a card on the
// board and B's board shows it in its new column within 2 s; a guest's page and event stream get
// nothing about a private task they do not view, while a task shared with them appears.

const PASSWORD = "a long private passphrase for live updates";
const SLUG = "livewire";
const API = `/api/v1/workspaces/${SLUG}`;

test.beforeAll(() => {
  bastion(["user", "create", "ada.live@example.eu", "--name", "Ada Peeters"], { BASTION_PASSWORD: PASSWORD });
  bastion(["user", "create", "ben.live@example.eu", "--name", "Ben Janssens"], { BASTION_PASSWORD: PASSWORD });
  bastion(["user", "create", "gus.live@example.eu", "--name", "Gus Jacobs"], { BASTION_PASSWORD: PASSWORD });
  bastion(["workspace", "create", SLUG, "--name", "Livewire Studio"]);
  bastion(["workspace", "add-member", SLUG, "ada.live@example.eu", "--role", "admin"]);
  bastion(["workspace", "add-member", SLUG, "ben.live@example.eu", "--role", "member"]);
  bastion(["workspace", "add-member", SLUG, "gus.live@example.eu", "--role", "guest"]);
});

async function signIn(page: Page, email: string) {
  await page.goto("/sign-in");
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/account$/);
}

async function userId(page: Page): Promise<string> {
  const me = await page.request.get("/api/v1/me");
  expect(me.status()).toBe(200);
  return (await me.json()).user.id;
}

/// Marks the document, so that a reload (which would lose the mark) fails the test.
async function markNoReload(page: Page) {
  await page.evaluate(() => ((window as any).__notReloaded = true));
}

async function notReloaded(page: Page) {
  expect(await page.evaluate(() => (window as any).__notReloaded === true)).toBe(true);
}

test("the inbox count, the board and a guest's view follow changes without a reload", async ({ browser }) => {
  const a = await (await browser.newContext()).newPage();
  const b = await (await browser.newContext()).newPage();
  const g = await (await browser.newContext()).newPage();
  await signIn(a, "ada.live@example.eu");
  await signIn(b, "ben.live@example.eu");
  await signIn(g, "gus.live@example.eu");
  const ben = await userId(b);
  const gus = await userId(g);

  const project = await a.request.post(`${API}/projects`, { data: { name: "Autumn launch" } });
  expect(project.status()).toBe(201);
  const projectId = (await project.json()).id;
  const create = async (title: string, extra: Record<string, unknown> = {}) => {
    const task = await a.request.post(`${API}/tasks`, { data: { project_id: projectId, title, ...extra } });
    expect(task.status()).toBe(201);
    return (await task.json()).id as string;
  };
  const poster = await create("Print the posters");

  // B watches the board; nothing unread yet.
  await b.goto(`/w/${SLUG}/board`);
  await hydrated(b);
  await markNoReload(b);
  await expect(b.getByTestId("unread-count")).toHaveCount(0);
  const todo = b.locator('section[aria-labelledby="col-todo"]');
  const doing = b.locator('section[aria-labelledby="col-in_progress"]');
  await expect(todo.getByRole("link", { name: /Print the posters/ })).toBeVisible();

  // A assigns the task to B: B's top bar counts it.
  const assigned = await a.request.patch(`${API}/tasks/${poster}`, { data: { assignee_id: ben } });
  expect(assigned.status()).toBe(200);
  await expect(b.getByTestId("unread-count")).toHaveText("1");

  // A drags the card to another column with the mouse; B's board shows it in its new column
  // within 2 s.
  await a.goto(`/w/${SLUG}/board`);
  await hydrated(a);
  const aDoing = a.locator('section[aria-labelledby="col-in_progress"]');
  // A's own move reloads A's board once: the event of it that follows is already shown.
  let aLoads = 0;
  // The board's data (whole-page build), or the board itself (islands build: the move posts
  // the card's form and the board comes back; an update in place fetches the page).
  a.on("request", (r) => {
    const path = new URL(r.url()).pathname;
    if (path === "/api/fn/board" || (r.method() === "GET" && path === `/w/${SLUG}/board`)) aLoads += 1;
  });
  await a.locator(".task-card", { hasText: "Print the posters" }).dragTo(aDoing);
  await expect(aDoing.locator(".task-card", { hasText: "Print the posters" })).toBeVisible();
  await expect(doing.getByRole("link", { name: /Print the posters/ })).toBeVisible({ timeout: 2000 });
  await expect(todo.getByRole("link", { name: /Print the posters/ })).toHaveCount(0);
  await notReloaded(b);
  // B's board followed the event, so A's page has heard it too (and would have reloaded).
  await a.waitForTimeout(300);
  expect(aLoads).toBe(1);

  // The guest's task list, and the guest's own event stream recorded beside it.
  await g.goto(`/w/${SLUG}/tasks`);
  await hydrated(g);
  await markNoReload(g);
  await g.evaluate((url) => {
    const seen: { kind: string; data: string }[] = [];
    (window as any).__liveSeen = seen;
    const source = new EventSource(url);
    for (const kind of ["task.created", "task.updated", "task.moved", "task.deleted", "comment.created",
      "comment.updated", "comment.deleted", "notification.created", "notification.read", "member.added",
      "member.updated", "member.removed", "reset"]) {
      source.addEventListener(kind, (e) => seen.push({ kind, data: (e as MessageEvent).data }));
    }
    (window as any).__liveOpen = new Promise((resolve) => source.addEventListener("open", resolve));
  }, `${API}/events`);
  await g.evaluate(() => (window as any).__liveOpen);

  // A works on a private task the guest does not view: created, commented, moved.
  const secret = await create("Salary bands 2027", { private: true });
  expect((await a.request.post(`${API}/tasks/${secret}/comments`, { data: { body: "Draft attached." } })).status()).toBe(201);
  expect((await a.request.patch(`${API}/tasks/${secret}`, { data: { status: "done" } })).status()).toBe(200);
  // Then shares another task with the guest, which the guest's list shows at once.
  const shared = await create("Choose the venue");
  expect((await a.request.post(`${API}/tasks/${shared}/viewers`, { data: { user_id: gus } })).status()).toBe(201);
  await expect(g.getByRole("link", { name: /Choose the venue/ })).toBeVisible();
  await expect
    .poll(async () => (await g.evaluate(() => (window as any).__liveSeen)).some((e: { data: string }) => e.data.includes(shared)))
    .toBe(true);

  // Nothing of the private task reached the guest: not its id in any event, not its title.
  const seen: { kind: string; data: string }[] = await g.evaluate(() => (window as any).__liveSeen);
  expect(seen.length).toBeGreaterThan(0);
  expect(seen.filter((e) => e.data.includes(secret))).toEqual([]);
  // Only the shared task's events: no notice (not theirs) and no member change (guests list nobody).
  expect(seen.every((e) => e.data.includes(shared))).toBe(true);
  await expect(g.getByText("Salary bands 2027")).toHaveCount(0);
  await notReloaded(g);
});
