import { expect, Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";

// The accessibility check every browser test can call: axe-core over the whole page against
// WCAG 2.0, 2.1 and 2.2 at levels A and AA (colour contrast included). No rule is switched off;
// a violation fails the test with its rule, the elements it found and what to do about it.

export const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

/** One line per element per violated rule: `rule-id  target  help — failure [related: …]`. */
export async function axeViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(WCAG_TAGS).analyze();
  return results.violations.flatMap((v) =>
    v.nodes.map((n) => {
      // The elements the finding is about besides the target (what covers it, what it clashes with).
      const related = [...n.any, ...n.all, ...n.none].flatMap((c) => c.relatedNodes?.map((r) => r.target.join(" ")) ?? []);
      const about = related.length ? ` [related: ${[...new Set(related)].join(", ")}]` : "";
      return `${v.id}  ${n.target.join(" ")}  ${v.help} — ${n.failureSummary?.replace(/\s+/g, " ") ?? ""}${about}`;
    }),
  );
}

/** Fails (softly, so one run lists every page's problems) when axe finds any violation. */
export async function expectAccessible(page: Page, label: string) {
  const found = await axeViolations(page);
  expect.soft(found, `axe violations on ${label} (${page.url()})`).toEqual([]);
}
