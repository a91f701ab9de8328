/**
 * The members' journeys in a real browser against the real stack: real
 * PostgreSQL, the local S3, the payment provider's stand-in (its own page,
 * its webhook) and the mail folder. Every page visited is checked with axe.
 */
import { expect, test, type Page } from "@playwright/test";
import {
  activeMember,
  admin,
  applicant,
  call,
  event,
  memberId,
  newsletter,
  plan,
  unique,
  validate,
} from "./support/api";
import { accessibilityChecks, expectAccessible, screenshots } from "./support/checks";
import { linkIn, subjectsTo } from "./support/mail";
import { signIn, tabTo } from "./support/pages";

/** Pays on the provider's (stand-in's) hosted page. */
async function payOnProviderPage(page: Page) {
  await expect(page.getByRole("heading", { name: /Local checkout/ })).toBeVisible();
  await page.getByRole("button", { name: "Pay" }).click();
}

test.afterAll(() => {
  console.log(`axe checks run: ${accessibilityChecks()}`);
});

test("a newcomer registers, confirms the address, is validated, pays and is a member", async ({
  page,
}) => {
  const email = `${unique("ada")}@example.org`;
  const planName = unique("Yearly membership");
  await plan(planName, 3000);

  await page.goto("/");
  await expectAccessible(page, "home");
  await screenshots(page, "home");
  await page.getByRole("link", { name: "Become a member" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Join" })).toBeFocused();

  // The rules are shown before the first try; a refusal keeps what was
  // typed, names the field and puts the focus on it.
  await expect(page.getByText(/At least 8 characters/)).toBeVisible();
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password").fill("short");
  await page.getByLabel(/^First name/).fill("Ada");
  await page.getByLabel(/^Last name/).fill("Lovelace");
  await page.getByLabel("City").fill("London");
  await page.getByLabel(/accept the terms of service/).check();
  await page.getByRole("button", { name: "Create my account" }).click();
  await expect(page.getByText("Use at least 8 characters.")).toBeVisible();
  await expect(page.getByLabel("Password")).toBeFocused();
  await expect(page.getByLabel("Email address")).toHaveValue(email);
  await expectAccessible(page, "registration refused");
  await screenshots(page, "register");
  await page.getByLabel("Password").fill("analytical engine 1843");
  await page.getByRole("button", { name: "Create my account" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Check your inbox" })).toBeVisible();

  // The link in the email opens the confirmation page.
  await page.goto(await linkIn(email, "/verify-email"));
  await expectAccessible(page, "confirm the address");
  await page.getByLabel("Password").fill("analytical engine 1843");
  await page.getByRole("button", { name: "Confirm my address" }).click();
  await expect(page.getByText(/Your address is confirmed/)).toBeVisible();

  // An administrator validates the application (through the API).
  await validate(email);

  await signIn(page, email, "analytical engine 1843");
  await expect(page.getByText(/pay your membership/)).toBeVisible();
  await expectAccessible(page, "membership to pay");
  await screenshots(page, "membership");
  await page.getByLabel(new RegExp(planName)).check();
  await page.getByRole("button", { name: /Pay/ }).click();
  await payOnProviderPage(page);

  // Back from the provider, the page waits for the webhook and says so.
  await expect(page).toHaveURL(/\/membership\/complete\?session_id=/);
  await expect(page.getByText(/Payment received: your membership runs until/)).toBeVisible();
  await expectAccessible(page, "payment received");
  await page.getByRole("link", { name: "My membership" }).first().click();
  await expect(page.getByText("Your membership is in force.")).toBeVisible();
  await expect(page.getByRole("region", { name: "Payments" }).getByText(planName)).toBeVisible();
  const downloading = page.waitForEvent("download");
  await page.getByRole("button", { name: "Confirmation (PDF)" }).click();
  expect((await downloading).suggestedFilename()).toMatch(/^membership-M\d{4}-\d{6}\.pdf$/);

  // She cancels at the period's end (asked twice), then keeps it after all.
  const renewal = page.getByRole("region", { name: "Renewal" });
  await expect(renewal.getByText(/then it is up for renewal/)).toBeVisible();
  await renewal.getByRole("button", { name: "Cancel my membership…" }).click();
  await renewal.getByLabel(/Why are you leaving/).fill("Moving abroad");
  await expectAccessible(page, "cancel the membership");
  await renewal.getByRole("button", { name: "Cancel at its end" }).click();
  await expect(renewal.getByText(/You cancelled your membership/)).toBeVisible();
  await renewal.getByRole("button", { name: "Keep my membership" }).click();
  await expect(renewal.getByText(/then it is up for renewal/)).toBeVisible();
});

test("a member promises a bank transfer and is active once the board confirms it", async ({
  page,
  browser,
}) => {
  const planName = unique("Transfer membership");
  await plan(planName, 2500);
  await call("PATCH", "/api/settings", await admin(), {
    payment_instructions: "IBAN FR76 3000 6000 0112 3456 7890 189",
  });
  const member = await applicant("Grace", unique("Transfer"));
  await validate(member.email);
  await signIn(page, member.email, member.password);
  await page.getByLabel(new RegExp(planName)).check();
  await page.getByLabel("By bank transfer").check();
  await expectAccessible(page, "pay by transfer");
  await page.getByRole("button", { name: /I will pay/ }).click();
  const promised = page.getByRole("region", { name: "Your payment on its way" });
  // She withdraws it, then promises again.
  await promised.getByRole("button", { name: "I will not pay this way" }).click();
  await expect(promised).toHaveCount(0);
  await page.getByLabel("By bank transfer").check();
  await page.getByRole("button", { name: /I will pay/ }).click();
  await expect(promised.getByText("IBAN FR76 3000 6000 0112 3456 7890 189")).toBeVisible();
  const reference = (await promised.getByText(/Give this reference/).textContent())
    ?.split(": ")
    .pop();

  // The money arrives: the board confirms it on the memberships page.
  const board = await (await browser.newContext()).newPage();
  await signIn(board, process.env.LOAF_ADMIN_EMAIL ?? "", process.env.LOAF_ADMIN_PASSWORD ?? "");
  await board.goto("/admin/subscriptions");
  const confirm = board.getByRole("button", { name: `Arrived: confirm ${reference}` });
  await confirm.click();
  await expect(confirm).toHaveCount(0);
  const status = await call<{ status: string }>(
    "GET",
    `/api/members/${await memberId(member.email)}`,
    await admin(),
  );
  expect(status.status).toBe("active");
});

test("a member who forgot the password resets it by email", async ({ page }) => {
  const member = await activeMember("Grace");
  await page.goto("/login");
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await expectAccessible(page, "forgot password");
  await page.getByLabel("Email address").fill(member.email);
  await page.getByRole("button", { name: "Send me a link" }).click();
  await expect(page.getByText(/a link is on its way/)).toBeVisible();

  await page.goto(await linkIn(member.email, "/reset-password"));
  await expectAccessible(page, "reset password");
  await page.getByLabel("New password").fill("the garden of forking paths");
  await page.getByRole("button", { name: "Set my password" }).click();
  await expect(page.getByText(/Your password is changed/)).toBeVisible();
  await signIn(page, member.email, "the garden of forking paths");
});

test("a member moves to a new email address, confirmed by a link to it", async ({ page }) => {
  const member = await activeMember("Octavia");
  const moved = `${unique("octavia.b")}@example.org`;
  await signIn(page, member.email, member.password);
  await page.goto("/profile");
  await page.getByRole("link", { name: "Change my email address" }).click();
  await page.getByLabel("New email address").fill(moved);
  await page.getByLabel("Current password").fill(member.password);
  await expectAccessible(page, "change email");
  await page.getByRole("button", { name: "Send a confirmation link" }).click();
  await expect(page.getByText(/A link is on its way/)).toBeVisible();

  await page.goto(await linkIn(moved, "/confirm-email-change"));
  await page.getByRole("button", { name: "Use this address for my account" }).click();
  await expect(page.getByText(/your account signs in as/)).toBeVisible();
  await expect
    .poll(() => subjectsTo(member.email), { timeout: 20_000 })
    .toContainEqual(expect.stringMatching(/sign-in address changed/));
});

test("a member exports their data and downloads the archive when it is ready", async ({ page }) => {
  const member = await activeMember("Theodora");
  await signIn(page, member.email, member.password);
  await page.goto("/profile");
  await page.getByRole("link", { name: "Export my data" }).click();
  await expectAccessible(page, "export");
  await page.getByRole("button", { name: "Prepare an export" }).click();
  await expect(page.getByText(/being prepared/)).toBeVisible();
  // The local server's background loop builds it within seconds.
  const download = page.getByRole("link", { name: "Download the archive" });
  await expect
    .poll(
      async () => {
        if (await download.isVisible()) return true;
        await page.getByRole("button", { name: "Check again" }).click();
        return download.isVisible();
      },
      { timeout: 20_000 },
    )
    .toBe(true);
  const archive = await page.request.get((await download.getAttribute("href")) ?? "");
  expect(archive.ok()).toBe(true);
  expect((await archive.body()).subarray(0, 2).toString()).toBe("PK");
});

test("a member erases their own account, confirmed by a link to their address", async ({
  page,
}) => {
  const member = await activeMember("Ottoline");
  await signIn(page, member.email, member.password);
  await page.goto("/profile");
  await page.getByRole("link", { name: "Erase my account" }).click();
  await expect(page.getByText(/stay in the organisation's accounts/)).toBeVisible();
  await expectAccessible(page, "erase account");
  await page.getByRole("button", { name: "Send me the confirmation link" }).click();
  await expect(page.getByText(/Nothing is erased until you follow it/)).toBeVisible();

  await page.goto(await linkIn(member.email, "/confirm-erasure"));
  await page.getByRole("button", { name: "Erase my account now" }).click();
  await expect(page.getByText("Your account is erased.", { exact: false })).toBeVisible();
  await expect(page.getByRole("link", { name: "Sign in" }).first()).toBeVisible();
  await page.goto("/login");
  await page.getByLabel("Email address").fill(member.email);
  await page.getByLabel("Password").fill(member.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toBeVisible();
});

test("an invited person accepts the invitation and is signed in", async ({ page }) => {
  const email = `${unique("hopper")}@example.org`;
  await call("POST", "/api/invitations", await admin(), { email, first_name: "Grace" });
  await page.goto(await linkIn(email, "/invitations/"));
  await expect(page.getByRole("heading", { level: 1, name: "Your invitation" })).toBeVisible();
  await expect(page.getByText(`For ${email}`)).toBeVisible();
  await expectAccessible(page, "invitation");
  await expect(page.getByLabel(/^First name/)).toHaveValue("Grace");
  await page.getByLabel("Password").fill("a ship in harbour is safe");
  await page.getByLabel(/^Last name/).fill("Hopper");
  await page.getByLabel(/accept the terms of service/).check();
  await page.getByRole("button", { name: "Accept and join" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "My membership" })).toBeVisible();
  await expect(page.getByText(/pay your membership/)).toBeVisible();
});

test("a member answers yes to a full event and is put on the waiting list", async ({ page }) => {
  const title = unique("Sold-out concert");
  const id = await event({ title, capacity: 1, location: "The hall", visibility: "members" });
  const first = await activeMember("Early");
  await call("PUT", `/api/events/${id}/rsvp`, first.token, { status: "yes" });

  const member = await activeMember("Late");
  await signIn(page, member.email, member.password);
  await page.getByRole("link", { name: "Events" }).first().click();
  await expectAccessible(page, "events");
  await screenshots(page, "events");
  await page.getByRole("link", { name: title }).click();
  await expect(page.getByRole("heading", { level: 1, name: title })).toBeFocused();
  await expect(page.getByText("1 of 1 seats taken")).toBeVisible();
  await page.getByRole("button", { name: "Yes", exact: true }).click();
  await expect(page.getByText(/you are on the waiting list/)).toBeVisible();
  await expect(page.getByText("1 on the waiting list")).toBeVisible();
  await expectAccessible(page, "event");
  await screenshots(page, "event");
});

test("a member downloads a newsletter", async ({ page }) => {
  const title = unique("Spring letter");
  await newsletter(title, new TextEncoder().encode("%PDF-1.7\n%%EOF\n"));
  const member = await activeMember("Reader");
  await signIn(page, member.email, member.password);
  await page.getByRole("link", { name: "Documents" }).first().click();
  await expectAccessible(page, "documents");
  await screenshots(page, "documents");
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: `Download ${title}` }).click();
  expect((await download).suggestedFilename()).toBe(`${title}.pdf`);
});

test("a member whose membership ended no longer sees the documents and is offered the renewal", async ({
  page,
}) => {
  const member = await activeMember("Lapsed");
  await call("POST", `/api/members/${await memberId(member.email)}/status`, await admin(), {
    status: "expired",
  });
  await signIn(page, member.email, member.password);
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "My membership" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Documents" })).toHaveCount(0);
  await expect(nav.getByRole("link", { name: "Directory" })).toHaveCount(0);
  await page.goto("/documents");
  await expect(
    page.getByText("The members' documents open while a membership is in force."),
  ).toBeVisible();
  await expectAccessible(page, "documents, membership ended");
  await page.getByRole("link", { name: "Pay or renew my membership" }).click();
  await expect(page).toHaveURL(/\/membership$/);
});

test("a guest donates and sees the receipt number", async ({ page }) => {
  await page.goto("/donate");
  await expectAccessible(page, "donate");
  await screenshots(page, "donate");
  await page.getByLabel(/Amount/).fill("12.50");
  await page.getByLabel("Your name").fill("Ada Guest");
  await page.getByLabel(/Your email address/).fill(`${unique("guest")}@example.org`);
  await page.getByLabel(/In memory or in honour of/).fill("In memory of Babbage");
  await page.getByRole("button", { name: /Give/ }).click();
  await payOnProviderPage(page);
  await expect(page).toHaveURL(/\/donate\/thanks\?session_id=/);
  await expect(page.getByText(/Your receipt number is \d{4}-\d{6}/)).toBeVisible();
  await expectAccessible(page, "thanks");
});

test("registration works with the keyboard alone", async ({ page }) => {
  const email = `${unique("keys")}@example.org`;
  await page.goto("/");
  await tabTo(page, /^Join$/);
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { level: 1, name: "Join" })).toBeFocused();
  await tabTo(page, /^Email address/);
  await page.keyboard.type(email);
  await tabTo(page, /^Password/);
  await page.keyboard.type("typing only with keys");
  await tabTo(page, /^First name/);
  await page.keyboard.type("Kay");
  await tabTo(page, /^Last name/);
  await page.keyboard.type("Board");
  await tabTo(page, /accept the terms of service/);
  await page.keyboard.press("Space");
  await tabTo(page, /^Create my account$/);
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { level: 1, name: "Check your inbox" })).toBeVisible();
  await expect(await linkIn(email, "/verify-email")).toContain("token=");
  expect(await memberId(email)).toBeTruthy();
});
