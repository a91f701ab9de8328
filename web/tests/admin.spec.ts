/**
 * The administration's journeys in a real browser against the real stack,
 * signed in on the sign-in page as the development superadmin. Every admin
 * page visited is checked with axe.
 */
import { expect, test, type Page } from "@playwright/test";
import { activeMember, admin, applicant, call, memberId, unique, validate } from "./support/api";
import { accessibilityChecks, expectAccessible, screenshots } from "./support/checks";
import { subjectsTo } from "./support/mail";

/** Signs in on the sign-in page; the superadmin the server made accepts
 * the terms the first time, as anyone would. */
async function signIn(page: Page, email: string, password: string) {
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

async function signInAsAdmin(page: Page) {
  await signIn(page, process.env.LOAF_ADMIN_EMAIL ?? "", process.env.LOAF_ADMIN_PASSWORD ?? "");
}

/** Ten random letters, capitalised. */
function randomName(): string {
  const letters = Array.from({ length: 10 }, () =>
    String.fromCharCode(97 + Math.floor(Math.random() * 26)),
  ).join("");
  return letters[0]?.toUpperCase() + letters.slice(1);
}

/** Waits for the mail folder to hold an email to `to` whose subject matches. */
async function expectMail(to: string, subject: RegExp) {
  await expect
    .poll(() => subjectsTo(to), { timeout: 20_000 })
    .toContainEqual(expect.stringMatching(subject));
}

test.afterAll(() => {
  console.log(`axe checks run: ${accessibilityChecks()}`);
});

test("the board validates one applicant and rejects another with a reason", async ({ page }) => {
  // A member already in force, and an applicant with the same phone (a
  // second account?) beside one who is new.
  const existing = await applicant("Marguerite", unique("Yourcenar"), {
    phone: "+33 6 12 34 56 78",
  });
  await validate(existing.email);
  const lookalike = await applicant("Jeanne", unique("Martin"), { phone: "06 12 34 56 78" });
  // A name shared with no earlier run (a common stem would look alike).
  const newcomer = await applicant("Hypatia", randomName());

  await signInAsAdmin(page);
  await page.getByRole("link", { name: "Administration" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Dashboard" })).toBeVisible();
  await expect(page.getByRole("figure").filter({ hasText: "New members per month" })).toBeVisible();
  await expectAccessible(page, "admin dashboard");
  await screenshots(page, "admin-dashboard");

  await page.getByRole("link", { name: /applicants waiting/ }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Validation queue" })).toBeVisible();
  // Each applicant's card, found by its heading (their name may also be
  // in another card's look-alike warning).
  const card = (who: { name: string }) =>
    page.locator("li.applicant").filter({ has: page.getByRole("heading", { name: who.name }) });
  await expect(card(lookalike).getByRole("note")).toContainText("same phone");
  await expect(card(lookalike).getByRole("note")).toContainText(existing.email);
  await expect(card(newcomer).getByRole("note")).toHaveCount(0);
  await expectAccessible(page, "validation queue");
  await screenshots(page, "admin-queue");

  await card(newcomer).getByRole("button", { name: "Validate" }).click();
  await expect(card(newcomer)).toHaveCount(0);
  await expectMail(newcomer.email, /application is accepted/);

  // Rejecting asks first and says what it does; a reason is required.
  const rejected = card(lookalike);
  await rejected.getByRole("button", { name: "Reject" }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog).toContainText("told by email");
  await dialog.getByRole("button", { name: "Reject" }).click();
  await expect(dialog).toContainText("Write the reason first");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await rejected.getByLabel(/Reason for rejecting/).fill("You already have an account with us.");
  await rejected.getByRole("button", { name: "Reject" }).click();
  await expectAccessible(page, "rejection dialog");
  await dialog.getByRole("button", { name: "Reject" }).click();
  await expect(card(lookalike)).toHaveCount(0);
  await expectMail(lookalike.email, /Your application to/);
  const member = await call<{ status: string; rejection_reason: string }>(
    "GET",
    `/api/members/${await memberId(lookalike.email)}`,
    await admin(),
  );
  expect(member).toMatchObject({
    status: "rejected",
    rejection_reason: "You already have an account with us.",
  });
});

test("a member with an accented name is found by typing it plainly, and the view is kept in the address", async ({
  page,
}) => {
  const last = unique("Dupré-Ñúñez");
  const elodie = await applicant("Élodie", last);
  await validate(elodie.email);

  await signInAsAdmin(page);
  await page.goto("/admin/members");
  await expect(page.getByRole("heading", { level: 1, name: "Members" })).toBeVisible();
  await expectAccessible(page, "members list");
  const plain = last
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase();
  await page.getByLabel("Search").fill(`elodie ${plain}`.slice(0, 40));
  const row = page.getByRole("row").filter({ hasText: elodie.email });
  await expect(row).toBeVisible();
  await expect(page.getByText("1 found")).toBeVisible();
  await expect(page).toHaveURL(/[?&]q=/);
  await page.getByLabel("Status").selectOption("payment_pending");
  await expect(page).toHaveURL(/status=payment_pending/);
  await expect(row).toBeVisible();
  await screenshots(page, "admin-members");

  // The bookmarked address opens the same view.
  await page.reload();
  await expect(page.getByLabel("Search")).toHaveValue(/elodie/);
  await expect(page.getByRole("row").filter({ hasText: elodie.email })).toBeVisible();

  // Export what the filters select, and open the file.
  await page.getByRole("button", { name: /Export these members/ }).click();
  const link = page.getByRole("link", { name: /Download the file \(1 rows\)/ });
  await expect(link).toBeVisible();
  const csv = await (await fetch(String(await link.getAttribute("href")))).text();
  expect(csv.split("\n")[0]).toContain("email");
  expect(csv).toContain(elodie.email);
  expect(csv).toContain("Élodie");

  // The member's page offers only the moves the lifecycle allows.
  await row.getByRole("link").click();
  await expect(page.getByRole("heading", { level: 1, name: `Élodie ${last}` })).toBeVisible();
  const moves = await page.getByLabel("New status").locator("option").allTextContents();
  expect(moves).toEqual(["Active", "Inactive"]);
  await expectAccessible(page, "member page");
  await screenshots(page, "admin-member");
  await page.getByLabel("New status").selectOption("inactive");
  await page.getByLabel(/Reason \(kept in the timeline\)/).fill("Never paid.");
  await page.getByRole("button", { name: "Change the status" }).click();
  await expect(page.getByRole("dialog")).toContainText("“Payment pending” to “Inactive”");
  await page.getByRole("dialog").getByRole("button", { name: "Change the status" }).click();
  await expect(page.locator("dl.facts")).toContainText("Inactive");
  await expect(page.getByRole("region", { name: "Timeline" })).toContainText("Never paid.");
});

test("a member typing an administration address is not allowed, and never loads its code", async ({
  page,
}) => {
  const member = await activeMember("Curious");
  const admin = (url: string) => /AdminApp/.test(url);
  const fetched: string[] = [];
  page.on("request", (request) => fetched.push(request.url()));
  await signIn(page, member.email, member.password);
  await expect(page.getByRole("link", { name: "Administration" })).toHaveCount(0);
  await page.goto("/admin/members");
  await expect(page.getByRole("heading", { level: 1, name: "Not allowed" })).toBeVisible();
  await expectAccessible(page, "not allowed");
  expect(fetched.filter(admin)).toEqual([]);
});
