/**
 * What every page visited is held to: no serious or critical accessibility
 * violation (axe-core), and screenshots at phone and desktop widths for the
 * README.
 */
import AxeBuilder from "@axe-core/playwright";
import { expect, type Page } from "@playwright/test";
import { mkdirSync } from "node:fs";

let checked = 0;

/** Runs axe on the page as it is now. */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter(
    (v) => v.impact === "serious" || v.impact === "critical",
  );
  checked += 1;
  expect(
    serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`),
    `accessibility of ${what}`,
  ).toEqual([]);
}

/** How many pages axe checked in this worker. */
export function accessibilityChecks(): number {
  return checked;
}

const SHOTS = "test-results/screenshots";

/** The page at a phone's width and a desktop's, for the README. */
export async function screenshots(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  const before = page.viewportSize();
  await page.setViewportSize({ width: 375, height: 812 });
  await page.screenshot({ path: `${SHOTS}/${name}-phone.png`, fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.screenshot({ path: `${SHOTS}/${name}-desktop.png`, fullPage: true });
  if (before) await page.setViewportSize(before);
}
