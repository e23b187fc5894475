import { test, expect, Page } from "@playwright/test";
import { hydrated, seedWorkspaceWithToken } from "./cli";

// The app's WASM, JS and CSS as a browser gets them: compressed on the first visit, from the
// browser's cache (nothing transferred) on the next. Sizes are logged for docs/performance.md.

const PASSWORD = "a long enough test passphrase"; // what seedWorkspaceWithToken gives the admin

type Entry = { name: string; transfer: number; encoded: number; decoded: number };

/** The /pkg files this document loaded, as the Resource Timing API saw them. */
async function pkgEntries(page: Page): Promise<Entry[]> {
  return page.evaluate(() =>
    (performance.getEntriesByType("resource") as PerformanceResourceTiming[])
      .filter((e) => new URL(e.name).pathname.startsWith("/pkg/"))
      .map((e) => ({
        name: new URL(e.name).pathname,
        transfer: e.transferSize,
        encoded: e.encodedBodySize,
        decoded: e.decodedBodySize,
      })),
  );
}

function total(entries: Entry[], key: "transfer" | "decoded"): number {
  return entries.reduce((sum, e) => sum + e[key], 0);
}

test("the task page's WASM comes compressed the first time and from the cache the second", async ({
  browser,
  page,
  request,
}) => {
  const token = seedWorkspaceWithToken("assets");
  const auth = { Authorization: `Bearer ${token}` };
  const project = await request.post("/api/v1/workspaces/assets/projects", {
    headers: auth,
    data: { name: "Website" },
  });
  expect(project.status()).toBe(201);
  const task = await request.post("/api/v1/workspaces/assets/tasks", {
    headers: auth,
    data: { project_id: (await project.json()).id, title: "Ship the new landing page" },
  });
  expect(task.status()).toBe(201);
  const taskPath = `/w/assets/tasks/${(await task.json()).id}`;

  await page.goto("/sign-in");
  await hydrated(page);
  await page.getByLabel("Email").fill("assets-admin@example.eu");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/account$/);

  // A new context has an empty HTTP cache: the sign-in above filled only the first one's.
  const context = await browser.newContext({ storageState: await page.context().storageState() });
  // When the page became interactive: the moment its script marks <html data-hydrated>, in ms
  // after the navigation started (logged below for docs/performance.md).
  await context.addInitScript(() => {
    // Init scripts run before <html> is parsed: watch the document for the attribute.
    new MutationObserver((_, observer) => {
      if (document.documentElement?.hasAttribute("data-hydrated")) {
        (window as any).__interactiveAt = performance.now();
        observer.disconnect();
      }
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-hydrated"] });
  });
  const visitor = await context.newPage();
  const wasmResponse = visitor.waitForResponse((r) => r.url().endsWith(".wasm"));
  const first = await visitor.goto(taskPath);
  expect(first?.headers()["cache-control"]).toContain("no-cache");
  await hydrated(visitor);
  const wasm = await wasmResponse;
  expect(wasm.status()).toBe(200);
  // Content-hashed names, so a year of caching is safe.
  expect(new URL(wasm.url()).pathname).toMatch(/^\/pkg\/bastion\.[A-Za-z0-9_-]{22}\.wasm$/);
  expect(wasm.headers()["content-encoding"]).toBe("br");
  expect(wasm.headers()["cache-control"]).toBe("public, max-age=31536000, immutable");

  const interactive = Math.round(await visitor.evaluate(() => (window as any).__interactiveAt as number));
  expect(interactive).toBeGreaterThan(0);
  const firstLoad = await pkgEntries(visitor);
  const firstWasm = firstLoad.find((e) => e.name.endsWith(".wasm"));
  expect(firstWasm, JSON.stringify(firstLoad)).toBeDefined();
  expect(firstWasm!.decoded).toBeGreaterThan(100_000);
  expect(firstWasm!.encoded).toBeLessThan(firstWasm!.decoded / 2);
  expect(firstWasm!.transfer).toBeGreaterThan(0);
  for (const ext of [".js", ".css"]) {
    expect(firstLoad.some((e) => e.name.endsWith(ext)), `${ext} in ${JSON.stringify(firstLoad)}`).toBe(true);
  }

  // The second visit: the page itself is asked for again, its assets are not.
  await visitor.goto("/w/assets");
  await visitor.goto(taskPath);
  await hydrated(visitor);
  const secondLoad = await pkgEntries(visitor);
  const secondWasm = secondLoad.find((e) => e.name === firstWasm!.name);
  expect(secondWasm, JSON.stringify(secondLoad)).toBeDefined();
  expect(secondWasm!.decoded).toBe(firstWasm!.decoded);
  expect(secondLoad.map((e) => [e.name, e.transfer])).toEqual(secondLoad.map((e) => [e.name, 0]));

  console.log(
    `task page /pkg transfer: first ${total(firstLoad, "transfer")} B, interactive after ${interactive} ms ` +
      `(uncompressed ${total(firstLoad, "decoded")} B), second ${total(secondLoad, "transfer")} B; ` +
      JSON.stringify(firstLoad),
  );
  await context.close();
});
