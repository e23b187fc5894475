import { test, expect, Page } from "@playwright/test";
import * as path from "node:path";
import * as fs from "node:fs";
import { hydrated } from "./cli";
import { expectAccessible } from "./axe";

// Issue 16: a Belgian team signs up in French (the browser asks for fr-BE), works in French with
// Belgian formats, then switches the account to Dutch and reads Dutch from then on, emails too.

test.use({ locale: "fr-BE" });

const mailDir = path.join(process.env.BASTION_E2E_DATA ?? "/tmp/bastion-e2e", "mail");
const CHLOE = { name: "Chloé Lambert", email: "chloe.langues@example.eu", password: "une phrase de passe assez longue" };
const SLUG = "atelier-lumiere";

/** The newest message the local sender wrote for `to` whose text contains `marker`. */
async function mailFor(to: string, marker: string): Promise<string> {
  let found = "";
  await expect
    .poll(
      () => {
        const files = fs.existsSync(mailDir) ? fs.readdirSync(mailDir).sort() : [];
        const texts = files
          .map((f) => fs.readFileSync(path.join(mailDir, f), "utf8"))
          .filter((t) => t.startsWith(`To: ${to}\r\n`) && t.includes(marker));
        found = texts.length ? texts[texts.length - 1] : "";
        return found;
      },
      { timeout: 15_000 },
    )
    .toContain(marker);
  return found;
}

async function expectLanguage(page: Page, tag: string) {
  await expect(page.locator("html")).toHaveAttribute("lang", tag);
}

test("sign up in French, work with Belgian formats, switch to Dutch", async ({ page }) => {
  // Sign-up: the browser's language chooses French before anyone is signed in.
  await page.goto("/sign-up");
  await hydrated(page);
  await expectLanguage(page, "fr-BE");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Créez votre espace de travail");
  await expectAccessible(page, "sign-up in French");
  await page.getByLabel("Votre nom").fill(CHLOE.name);
  await page.getByLabel("Adresse e-mail professionnelle").fill(CHLOE.email);
  await page.getByLabel("Nom de l’espace de travail").fill("Atelier Lumiere");
  await page.getByLabel("Mot de passe (au moins 12 caractères)").fill(CHLOE.password);
  await page.getByRole("button", { name: "Envoyez-moi un code" }).click();
  await expect(page).toHaveURL(/\/sign-up\/confirm\?id=/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Consultez vos e-mails");

  // The code comes in French.
  const message = await mailFor(CHLOE.email, "Votre code pour confirmer votre compte Bastion");
  expect(message).toContain("Bonjour Chloé Lambert");
  const code = /Bastion est (\d{6})/.exec(message)![1];
  await hydrated(page);
  await page.getByLabel("Code reçu par e-mail").fill(code);
  await page.getByRole("button", { name: "Confirmer et créer" }).click();
  await expect(page).toHaveURL(new RegExp(`/w/${SLUG}$`));

  // The workspace in French: a project, then a task with a due date in dd/mm/yyyy.
  await hydrated(page);
  await expectLanguage(page, "fr-BE");
  await expect(page.getByRole("navigation", { name: "Espace de travail" })).toContainText("Tâches");
  await page.getByLabel("Nouveau projet").fill("Vitrines");
  await page.getByRole("button", { name: "Créer le projet" }).click();
  await expect(page.getByRole("status")).toHaveText("Projet créé.");
  await expectAccessible(page, "workspace home in French");

  await page.goto(`/w/${SLUG}/tasks`);
  await hydrated(page);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Tâches");
  await page.getByText("Nouvelle tâche", { exact: true }).click();
  const form = page.locator("details.new-task");
  await form.getByLabel("Titre", { exact: true }).fill("Habiller la vitrine de Noël");
  await form.getByLabel("Date d’échéance").fill("2026-12-24");
  await form.getByRole("button", { name: "Créer la tâche" }).click();
  await expect(page).toHaveURL(/\/tasks\/[0-9a-f-]{36}$/);
  await hydrated(page);
  const facts = page.locator("dl.facts");
  await expect(facts).toContainText("À faire");
  await expect(facts).toContainText("24/12/2026");
  await expectAccessible(page, "task page in French");

  // An hour at 1234,56 € (typed with a decimal comma) is 1 234,56 € (narrow no-break spaces).
  const time = page.getByRole("region", { name: "Temps" });
  await time.locator("summary", { hasText: "Saisir du temps" }).click();
  await time.getByLabel("Minutes").fill("60");
  await time.getByLabel("Taux horaire (€)").fill("1234,56");
  await time.getByRole("button", { name: "Saisir du temps" }).click();
  await expect(page.getByRole("status")).toHaveText("Temps saisi.");
  await expect(page.locator(".totals")).toContainText("1 234,56 €");
  const amount = await page.locator(".time-table td").filter({ hasText: "€" }).last().textContent();
  expect(amount).toBe("1\u202f234,56\u00a0€");

  // The list shows the due date the Belgian way; the board and the time report speak French.
  await page.goto(`/w/${SLUG}/tasks`);
  await hydrated(page);
  await expect(page.locator(".task-table")).toContainText("24/12/2026");
  await expectAccessible(page, "task list in French");
  await page.goto(`/w/${SLUG}/board`);
  await hydrated(page);
  await expect(page.getByRole("heading", { level: 2, name: /À faire/ })).toBeVisible();
  await expectAccessible(page, "board in French");
  await page.goto(`/w/${SLUG}/time`);
  await hydrated(page);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Temps dans Atelier Lumiere");
  await expect(page.locator(".report-table tfoot")).toContainText("1 234,56 €");
  await expect(page.locator(".entries-table")).toContainText(/\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}/);
  await expectAccessible(page, "time report in French");

  // The account page: switch to Dutch; from then on every page is Dutch.
  await page.goto("/account");
  await hydrated(page);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Votre compte");
  await page.getByLabel("Langue des pages et des e-mails").selectOption({ label: "Nederlands" });
  await page.getByRole("button", { name: "Enregistrer la langue" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expectLanguage(page, "nl-BE");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Uw account");
  await expectAccessible(page, "account page in Dutch");
  await page.goto(`/w/${SLUG}`);
  await hydrated(page);
  await expectLanguage(page, "nl-BE");
  await expect(page.getByRole("heading", { level: 2, name: "Projecten" })).toBeVisible();
  await page.goto(`/w/${SLUG}/tasks`);
  await expect(page.locator(".task-table")).toContainText("Te doen");

  // And the next email is Dutch.
  await page.goto("/forgot-password");
  await hydrated(page);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Wachtwoord vergeten?");
  await page.getByLabel("E-mailadres").fill(CHLOE.email);
  await page.getByRole("button", { name: "Stuur mij een code" }).click();
  await expect(page.getByRole("status")).toContainText("Als een account dit e-mailadres gebruikt");
  const reset = await mailFor(CHLOE.email, "Uw code om uw Bastion-wachtwoord te herstellen");
  expect(reset).toContain("Hallo Chloé Lambert");
});

test("the switcher in the footer works before signing in, in every language", async ({ page }) => {
  await page.goto("/");
  await hydrated(page);
  await expectLanguage(page, "fr-BE");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Une gestion du travail digne de confiance");
  for (const [button, tag, heading] of [
    ["Deutsch", "de-BE", "Arbeitsverwaltung, der Sie vertrauen können"],
    ["Nederlands", "nl-BE", "Werkbeheer dat u kunt vertrouwen"],
    ["English", "en", "Work management you can trust"],
  ]) {
    await page.locator("form.language-switcher").getByRole("button", { name: button }).click();
    await expect(page).toHaveURL(/\/$/);
    await expectLanguage(page, tag);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(heading);
    await expect(page.locator("form.language-switcher").getByRole("button", { name: button })).toHaveAttribute("aria-pressed", "true");
    await expectAccessible(page, `start page in ${tag}`);
  }
});
