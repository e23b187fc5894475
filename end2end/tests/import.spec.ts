import { test, expect, Page, Browser } from "@playwright/test";
import { bastion, hydrated, once } from "./cli";
import { expectAccessible } from "./axe";
import * as path from "node:path";

// Issue 18: tasks from a spreadsheet. Choose the file, check it (the dry run names every bad
// row with its line and column and creates nothing), see which column went where, import it
// whole.

const PASSWORD = "a long passphrase for importing";
const SLUG = "import-works";
const ADMIN = "ilse.import@example.eu";

test.beforeAll(() => {
  once(["user", "create", ADMIN, "--name", "Ilse Import"], { BASTION_PASSWORD: PASSWORD });
  once(["workspace", "create", SLUG, "--name", "Import Works"]);
  bastion(["workspace", "add-member", SLUG, ADMIN, "--role", "admin"]);
});

async function signIn(browser: Browser): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto("/sign-in");
  await hydrated(page);
  await page.getByLabel("Email").fill(ADMIN);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).not.toHaveURL(/\/sign-in/);
  return page;
}

test("import a spreadsheet: check, see the bad rows, fix, import whole", async ({ browser }) => {
  test.setTimeout(90_000);
  const page = await signIn(browser);
  const project = await page.request.post(`/api/v1/workspaces/${SLUG}/projects`, { data: { name: "Verhuis" } });
  expect(project.status()).toBe(201);
  await page.goto(`/w/${SLUG}`);
  await hydrated(page);
  await page.getByRole("link", { name: "Import CSV" }).click();
  await expect(page.getByRole("heading", { name: "Import tasks into Verhuis" })).toBeVisible();
  await hydrated(page);

  // A file with a bad row: the check names it and imports nothing.
  const bad = "Titel;Status;Vervaldatum;Klant\nDozen bestellen;Te doen;15/01/2027;Acme\nVerhuiswagen;Misschien;31/02/2027;Acme\n";
  await page.getByLabel("CSV file").setInputFiles({ name: "verhuis.csv", mimeType: "text/csv", buffer: Buffer.from(bad) });
  await expect(page.getByLabel("Or paste its text")).toHaveValue(bad);
  await expect(page.getByRole("button", { name: "Import (check first)" })).toBeDisabled();
  await page.getByRole("button", { name: "Check", exact: true }).click();
  const outcome = page.getByTestId("import-outcome");
  await expect(outcome).toContainText("1 of 2 rows cannot be imported");
  const row = outcome.locator("table.import-errors tbody tr");
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("3");
  await expect(row).toContainText("Status");
  await expect(page.getByRole("button", { name: "Import (check first)" })).toBeDisabled();
  // Which column went where, to change if the headings did not say.
  await expect(page.getByLabel("Vervaldatum")).toHaveValue("due");
  await expect(page.getByLabel("Klant")).toHaveValue("ignore");
  await expectAccessible(page, "the import page with a refused row");

  // Fixed in the box, checked again, imported.
  await page.getByLabel("Or paste its text").fill(bad.replace("Misschien", "Bezig").replace("31/02/2027", "2027-02-28"));
  await page.getByRole("button", { name: "Check", exact: true }).click();
  await expect(outcome).toContainText("All 2 rows can be imported.");
  await page.screenshot({ path: test.info().outputPath("import-checked.png"), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: test.info().outputPath("import-checked-phone.png"), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.getByRole("button", { name: "Import 2 tasks" }).click();
  await expect(outcome).toContainText("2 tasks imported.");
  // Done with: the box empties.
  await expect(page.getByLabel("Or paste its text")).toHaveValue("");

  // A Trello board's export goes in the same box; its fields are fixed, so there is no mapping.
  const board = { lists: [{ id: "l1", name: "Doing" }], cards: [{ id: "c1", name: "Sleutels ophalen", idList: "l1" }] };
  await page.getByLabel("Or paste its text").fill(JSON.stringify(board));
  await page.getByRole("button", { name: "Check", exact: true }).click();
  await expect(outcome).toContainText("The row can be imported.");
  await expect(page.getByRole("group", { name: "Which column is which" })).toHaveCount(0);
  await page.getByRole("button", { name: "Import 1 task" }).click();
  await expect(outcome).toContainText("1 task imported.");

  // An Excel workbook: its first sheet, dates and times read by their cell formats.
  await page.getByLabel("CSV file").setInputFiles(path.join(__dirname, "fixtures", "verhuis.xlsx"));
  await expect(page.getByRole("status").filter({ hasText: "Excel workbook chosen: verhuis.xlsx" })).toBeVisible();
  await expect(page.getByLabel("Or paste its text")).toHaveValue("");
  await page.getByRole("button", { name: "Check", exact: true }).click();
  await expect(outcome).toContainText("All 2 rows can be imported.");
  await expect(page.getByLabel("Bestede tijd")).toHaveValue("time");
  await expect(page.getByLabel("Vervaldatum")).toHaveValue("due");
  await page.screenshot({ path: test.info().outputPath("import-xlsx-checked.png"), fullPage: true });
  await page.getByRole("button", { name: "Import 2 tasks" }).click();
  await expect(outcome).toContainText("2 tasks imported.");
  const tape = (await (await page.request.get(`/api/v1/workspaces/${SLUG}/tasks?q=Plakband`)).json()).items[0];
  expect(tape.due_on).toBe("2027-01-13");
  expect(tape.priority).toBe("low");

  await page.goto(`/w/${SLUG}/tasks`);
  await expect(page.getByRole("link", { name: "Verhuiswagen" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Dozen bestellen" })).toBeVisible();
});
