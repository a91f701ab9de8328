/**
 * What several journeys do in the browser the same way.
 */
import { expect, type Page } from "@playwright/test";

/** Signs in on the sign-in page; the superadmin the server made accepts
 * the terms the first time, as anyone would. */
export async function signIn(page: Page, email: string, password: string) {
  await page.goto("/login");
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  const membership = page.getByRole("heading", { level: 1, name: "My membership" });
  const terms = page.getByRole("heading", { level: 1, name: "New terms of service" });
  await expect(membership.or(terms)).toBeVisible();
  if (await terms.isVisible()) {
    await page.getByLabel(/I accept the terms of service/).check();
    await page.getByRole("button", { name: "Continue" }).click();
  }
  await expect(membership).toBeVisible();
}

/** Presses Tab until the focused element's accessible name is `name`. */
export async function tabTo(page: Page, name: RegExp, limit = 80) {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el) return "";
      const id = el.getAttribute("id");
      const label = id ? document.querySelector(`label[for="${id}"]`)?.textContent : null;
      return (label ?? el.getAttribute("aria-label") ?? el.textContent ?? "").trim();
    });
    if (name.test(focused)) return;
  }
  throw new Error(`nothing named ${name} reached with Tab`);
}
