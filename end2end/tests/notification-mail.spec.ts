import { test, expect, Page } from "@playwright/test";
import * as path from "node:path";
import * as fs from "node:fs";
import { bastion, hydrated } from "./cli";
import { expectAccessible } from "./axe";

// Issue 15, notification emails, with two people in two browsers: A mentions B in a comment and
// B gets the in-app notice and the email (in B's language, thin, with RFC 8058 one-click
// unsubscribe headers); a guest is never mailed about a private task they do not view; B turns
// mentions off on the inbox page and gets no email for the next one; the one-click link turns
// another kind off without a session.

const PASSWORD = "a long passphrase for notification mail";
const SLUG = "mail-relay";
const A = { name: "Lotte Maelbeek", email: "lotte.mailrelay@example.eu" };
const B = { name: "Wout Verstraete", email: "wout.mailrelay@example.eu" };
const G = { name: "Guus Peeters", email: "guus.mailrelay@example.eu" };
const mailDir = path.join(process.env.BASTION_E2E_DATA ?? "/tmp/bastion-e2e", "mail");
const api = `/api/v1/workspaces/${SLUG}`;

test.beforeAll(() => {
  for (const p of [A, B, G]) {
    bastion(["user", "create", p.email, "--name", p.name], { BASTION_PASSWORD: PASSWORD });
  }
  bastion(["workspace", "create", SLUG, "--name", "Mail Relay"]);
  bastion(["workspace", "add-member", SLUG, A.email, "--role", "admin"]);
  bastion(["workspace", "add-member", SLUG, B.email, "--role", "member"]);
  bastion(["workspace", "add-member", SLUG, G.email, "--role", "guest"]);
});

/** Every message the local sender wrote to `to`, oldest first. */
function mailsTo(to: string): string[] {
  const files = fs.existsSync(mailDir) ? fs.readdirSync(mailDir) : [];
  return files
    .map((f) => path.join(mailDir, f))
    .sort((x, y) => fs.statSync(x).mtimeMs - fs.statSync(y).mtimeMs)
    .map((f) => fs.readFileSync(f, "utf8"))
    .filter((t) => t.startsWith(`To: ${to}\r\n`));
}

/** Waits for the message to `to` containing `marker` (the job runner and the sender each poll
 * every two seconds). */
async function mailFor(to: string, marker: string): Promise<string> {
  let found = "";
  await expect
    .poll(
      () => {
        found = mailsTo(to).filter((t) => t.includes(marker)).pop() ?? "";
        return found;
      },
      { timeout: 20_000 },
    )
    .toContain(marker);
  return found;
}

function header(mail: string, name: string): string {
  const line = mail.split("\r\n").find((l) => l.startsWith(`${name}: `));
  return line ? line.slice(name.length + 2) : "";
}

async function signIn(page: Page, email: string) {
  await page.goto("/sign-in");
  await hydrated(page);
  await page.getByLabel(/Email|E-mail/).fill(email);
  await page.getByLabel(/Password|Wachtwoord/).fill(PASSWORD);
  await page.getByRole("button", { name: /^(Sign in|Aanmelden)$/ }).click();
  await expect(page).toHaveURL(/\/account$/);
}

async function comment(a: Page, taskId: string, text: string) {
  await a.goto(`/w/${SLUG}/tasks/${taskId}`);
  await hydrated(a);
  const comments = a.getByRole("region", { name: "Comments" });
  await comments.getByLabel("Add a comment (Markdown)").fill(text);
  await comments.getByRole("button", { name: "Post comment" }).click();
  await expect(a.getByRole("status")).toHaveText("Comment posted.");
}

test("A mentions B: B gets the notice and the email in Dutch; the guest gets nothing private; B turns mentions off", async ({ browser }) => {
  const a = await (await browser.newContext()).newPage();
  const b = await (await browser.newContext()).newPage();
  await signIn(a, A.email);
  await signIn(b, B.email);
  // B reads Dutch.
  const locale = await b.request.put("/api/v1/me/locale", { data: { locale: "nl-BE" } });
  expect(locale.status()).toBe(200);

  const project = await a.request.post(`${api}/projects`, { data: { name: "Mail room" } });
  expect(project.status()).toBe(201);
  const projectId = (await project.json()).id;
  const newTask = async (title: string, extra: object = {}) => {
    const r = await a.request.post(`${api}/tasks`, { data: { project_id: projectId, title, ...extra } });
    expect(r.status()).toBe(201);
    return (await r.json()) as { id: string; key: string };
  };
  const task = await newTask("Sort the parcels for Leuven");
  const secret = await newTask("Salary talks with the courier union", { private: true });
  const shared = await newTask("Guest briefing for the Ghent depot");
  const members = await a.request.get(`${api}/members`);
  const guestId = ((await members.json()).items as { user_id: string; email: string }[]).find((m) => m.email === G.email)!.user_id;

  // A mentions B by name; the comment's own words never go into the email.
  await comment(a, task.id, "@Wout Verstraete the blue crates go first, keep it quiet");

  // B: the in-app notice…
  await b.goto(`/w/${SLUG}/inbox`);
  await hydrated(b);
  await expect(b.locator(".inbox-item", { hasText: `${A.name} noemde u` })).toBeVisible();

  // …and the email, in Dutch, thin, with the one-click headers.
  const mail = await mailFor(B.email, "Sort the parcels for Leuven");
  expect(header(mail, "Subject")).toBe(`[Mail Relay] ${A.name} heeft u vermeld in een reactie op ${task.key}.`);
  expect(mail).toContain(`${A.name} heeft u vermeld in een reactie op ${task.key} "Sort the parcels for Leuven".`);
  expect(mail).toContain(`Hallo ${B.name},`);
  expect(mail).toContain(`/w/${SLUG}/t/${task.key}`);
  expect(mail).not.toContain("blue crates");
  const unsubscribe = header(mail, "List-Unsubscribe");
  expect(unsubscribe).toMatch(/^<https?:\/\/[^>]+\/unsubscribe\?t=[^>]+>$/);
  expect(header(mail, "List-Unsubscribe-Post")).toBe("List-Unsubscribe=One-Click");

  // The guest: mentioned on a private task they do not view (A is told they were not), then
  // given access to another task, whose email arrives; nothing of the private task ever does.
  await comment(a, secret.id, "@Guus Peeters please have a look");
  await expect(a.getByText(`Not notified: ${G.name}.`)).toBeVisible();
  const viewer = await a.request.post(`${api}/tasks/${shared.id}/viewers`, { data: { user_id: guestId } });
  expect(viewer.status()).toBe(201);
  await mailFor(G.email, "Guest briefing for the Ghent depot");
  for (const m of mailsTo(G.email)) {
    expect(m).not.toContain("Salary talks");
    expect(m).not.toContain(secret.key);
  }

  // B turns mention emails off on the inbox page (in Dutch).
  await b.goto(`/w/${SLUG}/inbox`);
  await hydrated(b);
  const section = b.getByRole("region", { name: "Meldingen per e-mail" });
  await expect(section.getByLabel("Iemand vermeldt mij")).toHaveValue("immediately");
  await section.getByLabel("Iemand vermeldt mij").selectOption({ label: "Uit" });
  await section.getByRole("button", { name: "E-mailvoorkeuren opslaan" }).click();
  await expect(b.getByRole("status")).toHaveText("E-mailvoorkeuren opgeslagen.");
  await expect(section.getByLabel("Iemand vermeldt mij")).toHaveValue("off");
  await expectAccessible(b, "inbox with email preferences");

  // A mentions B again, then assigns B a task: the assignment's email arrives, the mention's
  // does not (it is in the inbox all the same).
  await comment(a, task.id, "@Wout Verstraete second mention");
  const assigned = await newTask("Count the returns", { assignee_id: (await (await b.request.get("/api/v1/me")).json()).user.id });
  const assignedMail = await mailFor(B.email, "Count the returns");
  expect(mailsTo(B.email).filter((m) => m.includes("heeft u vermeld"))).toHaveLength(1);
  await b.reload();
  await expect(b.locator(".inbox-item", { hasText: `${A.name} noemde u` })).toHaveCount(2);

  // The assignment email's one-click link, from anywhere, with no session: assignments off.
  const link = header(assignedMail, "List-Unsubscribe").slice(1, -1);
  const stranger = await browser.newContext();
  const page = await stranger.newPage();
  await page.goto(link);
  await expect(page.getByRole("button", { name: "Deze mails stoppen" })).toBeVisible();
  let prefs = await (await b.request.get(`${api}/me/notification-preferences`)).json();
  expect(prefs.assigned).toBe("immediately");
  const posted = await stranger.request.post(link, {
    form: { "List-Unsubscribe": "One-Click" },
    headers: { Origin: "https://mail.example.com" },
  });
  expect(posted.status()).toBe(200);
  prefs = await (await b.request.get(`${api}/me/notification-preferences`)).json();
  expect(prefs).toMatchObject({ assigned: "off", mentioned: "off", commented: "daily" });
  expect(assigned.key).toBeTruthy();
});
