import { test, expect, Page, Browser } from "@playwright/test";
import { createServer, IncomingHttpHeaders } from "node:http";
import { AddressInfo } from "node:net";
import { createHmac } from "node:crypto";
import { bastion, hydrated, once } from "./cli";
import { expectAccessible } from "./axe";

// Issue 18: API tokens and integrations from the settings page, not only REST and the CLI. A
// token is shown once, works, is rotated (the old secret stops) and revoked; an integration's
// token is only ever shown masked.

const PASSWORD = "a long passphrase for api access";
const SLUG = "tokens-works";
const API = `/api/v1/workspaces/${SLUG}`;
const ADMIN = "ada.tokens@example.eu";
const CHAT_SLUG = "chat-works";

test.beforeAll(() => {
  once(["user", "create", ADMIN, "--name", "Ada Tokens"], { BASTION_PASSWORD: PASSWORD });
  once(["workspace", "create", SLUG, "--name", "Tokens Works"]);
  bastion(["workspace", "add-member", SLUG, ADMIN, "--role", "admin"]);
  once(["workspace", "create", CHAT_SLUG, "--name", "Chat Works"]);
  bastion(["workspace", "add-member", CHAT_SLUG, ADMIN, "--role", "admin"]);
});

async function signIn(browser: Browser, email: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto("/sign-in");
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).not.toHaveURL(/\/sign-in/);
  return page;
}

/** A call with the token alone, as an integration makes it (no cookies). */
async function withToken(page: Page, token: string): Promise<number> {
  const context = await page.context().browser()!.newContext();
  const answer = await context.request.get(`${API}/projects`, { headers: { Authorization: `Bearer ${token}` } });
  await context.close();
  return answer.status();
}

test("create, use, rotate and revoke an API token; add and delete an integration", async ({ browser }) => {
  test.setTimeout(90_000);
  const page = await signIn(browser, ADMIN);
  await page.goto(`/w/${SLUG}/settings`);
  await hydrated(page);
  const tokens = page.getByRole("region", { name: "API tokens" });
  await expect(tokens.getByText("You have no API tokens in this workspace.")).toBeVisible();

  await tokens.getByLabel("Token name").fill("CI deploy");
  await tokens.getByLabel("Expires after").selectOption({ label: "30 days" });
  await tokens.getByRole("button", { name: "Create token" }).click();
  const shown = tokens.getByTestId("new-token");
  await expect(shown).toHaveText(/^bst_/);
  const first = (await shown.textContent())!.trim();
  await expect(tokens.getByText("Copy the new token now: it is not shown again.")).toBeVisible();
  const row = tokens.locator("tbody tr").filter({ hasText: "CI deploy" });
  await expect(row).toContainText("active");
  await expect(row).toContainText(first.slice(0, 12));
  // The list never holds the whole secret.
  await expect(tokens.locator("tbody")).not.toContainText(first);
  expect(await withToken(page, first)).toBe(200);
  await expectAccessible(page, "settings with an API token");

  // Rotating gives a new secret; the old one stops at once.
  await tokens.getByRole("button", { name: "Rotate the token CI deploy" }).click();
  await expect(shown).not.toHaveText(first);
  const second = (await shown.textContent())!.trim();
  expect(second).toMatch(/^bst_/);
  expect(await withToken(page, first)).toBe(401);
  expect(await withToken(page, second)).toBe(200);
  await expect(tokens.locator("tbody tr").filter({ hasText: "revoked" })).toHaveCount(1);

  // Revoking the new one stops it too.
  await tokens.getByRole("button", { name: "Revoke the token CI deploy" }).click();
  await expect(tokens.getByText("Token revoked.")).toBeVisible();
  await expect(tokens.locator("tbody tr").filter({ hasText: "revoked" })).toHaveCount(2);
  expect(await withToken(page, second)).toBe(401);

  // Integrations: the token goes in, only its last four characters come out.
  const integrations = page.getByRole("region", { name: "Integrations" });
  await expect(integrations.getByText("No integrations yet.")).toBeVisible();
  await integrations.getByLabel("Service").selectOption("github");
  await integrations.getByLabel("Integration name").fill("Deploy bot");
  await integrations.getByLabel("Access token").fill("ghp_secretvalue9f3a");
  await integrations.getByRole("button", { name: "Add integration" }).click();
  await expect(integrations.getByText("Integration added.")).toBeVisible();
  const bot = integrations.locator("tbody tr").filter({ hasText: "Deploy bot" });
  await expect(bot).toContainText("9f3a");
  await expect(page.locator("body")).not.toContainText("ghp_secretvalue");
  await integrations.getByRole("button", { name: "Delete the integration Deploy bot" }).click();
  await expect(integrations.getByText("No integrations yet.")).toBeVisible();
  await expectAccessible(page, "settings after the integrations");
});

test("a webhook endpoint from the settings page: signed deliveries, the log, send again, a new secret", async ({ browser }) => {
  test.setTimeout(90_000);
  // The receiver: answers 200 and keeps what it was sent.
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  const receiver = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      received.push({ headers: request.headers, body });
      response.writeHead(200, { "content-type": "text/plain" });
      response.end("thanks");
    });
  });
  await new Promise<void>((ready) => receiver.listen(0, "127.0.0.1", ready));
  const port = (receiver.address() as AddressInfo).port;
  try {
    const page = await signIn(browser, ADMIN);
    await page.goto(`/w/${SLUG}/settings`);
    await hydrated(page);
    const hooks = page.getByRole("region", { name: "Webhooks" });
    await expect(hooks.getByText("No webhook endpoints yet.")).toBeVisible();
    const url = `http://127.0.0.1:${port}/hook`;
    await hooks.getByLabel("Endpoint URL").fill(url);
    await hooks.getByRole("checkbox", { name: "Comments" }).check();
    await hooks.getByRole("button", { name: "Add endpoint" }).click();
    const shown = hooks.getByTestId("new-webhook-secret");
    await expect(shown).toHaveText(/^whsec_/);
    const secret = (await shown.textContent())!.trim();
    await expect(hooks.locator("li.webhook")).toContainText("Sends: Tasks, Comments");

    // A task made through the API is announced, signed with that secret.
    const project = await page.request.post(`${API}/projects`, { data: { name: "Hooked" } });
    expect(project.status()).toBe(201);
    const task = await page.request.post(`${API}/tasks`, { data: { project_id: (await project.json()).id, title: "Announce me" } });
    expect(task.status()).toBe(201);
    await expect.poll(() => received.length, { timeout: 20_000 }).toBeGreaterThan(0);
    const first = received[0];
    const id = String(first.headers["webhook-id"]);
    const signed = `${id}.${first.headers["webhook-timestamp"]}.${first.body}`;
    const expected = createHmac("sha256", Buffer.from(secret.replace(/^whsec_/, ""), "base64")).update(signed).digest("base64");
    expect(String(first.headers["webhook-signature"]).split(" ")).toContain(`v1,${expected}`);

    // The log says it was delivered, with the receiver's answer; send it again.
    await page.reload();
    await hydrated(page);
    const log = hooks.locator("table.deliveries tbody tr").first();
    await expect(log).toContainText("delivered");
    await expect(log).toContainText("200");
    await expect(log).toContainText("thanks");
    await expectAccessible(page, "settings with a webhook endpoint and its log");
    await page.screenshot({ path: test.info().outputPath("settings-webhooks.png"), fullPage: true });
    const before = received.length;
    await log.getByRole("button", { name: "Send again" }).click();
    await expect(hooks.getByText("Sent again.")).toBeVisible();
    await expect.poll(() => received.length, { timeout: 20_000 }).toBeGreaterThan(before);
    expect(received.some((r, i) => i >= before && String(r.headers["webhook-id"]) === id)).toBe(true);

    // A new secret: shown once, and the previous one keeps signing for a while.
    await hooks.getByRole("button", { name: `New secret for ${url}` }).click();
    await expect(shown).not.toHaveText(secret);
    await expect(hooks.getByText("The previous secret also signs until", { exact: false })).toBeVisible();
    await hooks.getByRole("button", { name: "Switch off" }).click();
    await expect(hooks.getByText("Endpoint switched off.")).toBeVisible();
    await hooks.getByRole("button", { name: `Delete the endpoint ${url}` }).click();
    await expect(hooks.getByText("No webhook endpoints yet.")).toBeVisible();
  } finally {
    receiver.close();
  }
});

test("a chat notification from the settings page: a Slack channel hears of new tasks and of the test message", async ({ browser }) => {
  test.setTimeout(90_000);
  // Slack's incoming webhook, played by a server in this process: keeps the JSON it was sent.
  const received: { path: string; body: { text: string; blocks: { text: { text: string } }[] } }[] = [];
  const receiver = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      received.push({ path: request.url ?? "", body: JSON.parse(body) });
      response.writeHead(200, { "content-type": "text/plain" });
      response.end("ok");
    });
  });
  await new Promise<void>((ready) => receiver.listen(0, "127.0.0.1", ready));
  const port = (receiver.address() as AddressInfo).port;
  const api = `/api/v1/workspaces/${CHAT_SLUG}`;
  try {
    const page = await signIn(browser, ADMIN);
    await page.goto(`/w/${CHAT_SLUG}/settings`);
    await hydrated(page);
    const chat = page.getByRole("region", { name: "Chat notifications" });
    await expect(chat.getByText("No chat notifications yet.")).toBeVisible();
    await expect(chat.getByText("Add a Slack, Teams or Matrix integration above first.")).toBeVisible();

    const integrations = page.getByRole("region", { name: "Integrations" });
    await integrations.getByLabel("Service").selectOption("slack");
    await integrations.getByLabel("Integration name").fill("Team channel");
    await integrations.getByLabel("Access token").fill(`http://127.0.0.1:${port}/services/T1/B2/slacksecret`);
    await integrations.getByRole("button", { name: "Add integration" }).click();
    await expect(integrations.getByText("Integration added.")).toBeVisible();

    // The form appears once there is a channel to send through; the defaults are sensible.
    await page.reload();
    await hydrated(page);
    await expect(chat.getByLabel("Send through")).toHaveValue(/.+/);
    await expect(chat.getByLabel("Project")).toHaveValue("");
    await expect(chat.getByRole("checkbox", { name: "A task is created" })).toBeChecked();
    await expect(chat.getByRole("checkbox", { name: "A comment is written" })).not.toBeChecked();
    await chat.getByRole("button", { name: "Add chat notification" }).click();
    await expect(chat.getByText("Chat notification added.")).toBeVisible();
    const rule = chat.locator("li.chat-rule");
    await expect(rule).toContainText("Team channel");
    await expect(rule).toContainText("Every project");
    await expect(chat.getByTestId("chat-last")).toHaveText("No message sent yet.");

    // A task made through the API reaches the channel, in Slack's shape, with a link.
    const project = await page.request.post(`${api}/projects`, { data: { name: "Launch" } });
    expect(project.status()).toBe(201);
    const task = await page.request.post(`${api}/tasks`, { data: { project_id: (await project.json()).id, title: "Announce in chat" } });
    expect(task.status()).toBe(201);
    await expect.poll(() => received.length, { timeout: 20_000 }).toBeGreaterThan(0);
    expect(received[0].path).toBe("/services/T1/B2/slacksecret");
    expect(received[0].body.text).toMatch(/^Ada Tokens created [A-Z]+-1 "Announce in chat" in Launch\.$/);
    expect(received[0].body.blocks[0].text.text).toContain(`/w/${CHAT_SLUG}/t/`);

    // A test message, and its outcome on the rule.
    await chat.getByRole("button", { name: "Send a test message" }).click();
    await expect(chat.getByText("Test message queued", { exact: false })).toBeVisible();
    await expect.poll(() => received.some((r) => r.body.text.includes("connected this channel")), { timeout: 20_000 }).toBe(true);
    await page.reload();
    await hydrated(page);
    await expect(chat.getByTestId("chat-last")).toContainText("Last message delivered");
    await expect(page.locator("body")).not.toContainText("slacksecret");
    await expectAccessible(page, "settings with a chat notification");
    await page.screenshot({ path: test.info().outputPath("settings-chat.png"), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: test.info().outputPath("settings-chat-phone.png"), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 720 });

    await chat.getByRole("button", { name: "Turn off" }).click();
    await expect(rule).toContainText("Turned off by an admin.");
    await chat.getByRole("button", { name: "Delete the chat notification to Team channel" }).click();
    await expect(chat.getByText("No chat notifications yet.")).toBeVisible();
  } finally {
    receiver.close();
  }
});
