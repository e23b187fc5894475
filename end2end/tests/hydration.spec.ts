import { test, expect, Page } from "@playwright/test";
import { hydrated } from "./cli";

test("the start page is rendered on the server and comes alive after hydration", async ({ page }) => {
  const errors: string[] = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(msg.text());
  });
  page.on("pageerror", (err) => errors.push(err.message));

  const response = await page.goto("/");
  expect(response?.status()).toBe(200);
  // Server-rendered: the heading is in the HTML before any script runs.
  const html = await response!.text();
  expect(html).toContain("Work management you can trust");

  await hydrated(page);
  const toggle = page.getByRole("button", { name: "Show our promises" });
  const list = page.locator("#promise-list");
  await expect(list).toBeHidden();
  await toggle.click();
  // Only the hydrated WASM can do this: the server sent the list hidden.
  await expect(list).toBeVisible();
  await expect(page.getByRole("button", { name: "Hide our promises" })).toHaveAttribute("aria-expanded", "true");
  await expect(list.getByRole("heading", { name: "Every workspace in its own vault" })).toBeVisible();

  // A strict CSP is in force and nothing it blocked broke the page.
  const csp = response!.headers()["content-security-policy"];
  expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+'/);
  expect(csp).toContain("frame-ancestors 'none'");
  expect(errors.filter((e) => /Content Security Policy|CSP/i.test(e))).toEqual([]);
});

test("keyboard users can skip to the content and operate the toggle", async ({ page }) => {
  await page.goto("/");
  await hydrated(page);
  await page.keyboard.press("Tab");
  await expect(page.getByRole("link", { name: "Skip to content" })).toBeFocused();
  await page.getByRole("button", { name: "Show our promises" }).focus();
  await page.keyboard.press("Enter");
  await expect(page.locator("#promise-list")).toBeVisible();
});

test("an unknown page answers 404 with a way back", async ({ page }) => {
  const response = await page.goto("/no-such-page");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Go to the start page" })).toHaveAttribute("href", "/");
});

test("the API reference renders offline in Swagger UI and ReDoc", async ({ page }) => {
  const schema = await page.request.get("/api/schema/");
  expect(schema.status()).toBe(200);
  const doc = await schema.json();
  expect(doc.openapi).toMatch(/^3\./);
  expect(doc.paths["/readyz"].get.operationId).toBe("get_readiness");

  await page.goto("/api/docs/");
  await expect(page.getByText("Bastion API").first()).toBeVisible();
  await expect(page.getByText("get_readiness").or(page.getByText("/readyz")).first()).toBeVisible();

  await page.goto("/api/redoc/");
  await expect(page.locator("redoc h1, [role=main] h1").first()).toContainText("Bastion API");
});

test("pages load without any failed request", async ({ page }) => {
  const failed: string[] = [];
  page.on("response", (r) => {
    if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
  });
  await page.goto("/");
  await hydrated(page);
  await page.goto("/sign-in");
  await hydrated(page);
  expect(failed).toEqual([]);
});
