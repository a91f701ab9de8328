/**
 * The administration's journeys in a real browser against the real stack,
 * signed in on the sign-in page as the development superadmin. Every admin
 * page visited is checked with axe.
 */
import { expect, test, type Page } from "@playwright/test";
import {
  activeMember,
  admin,
  applicant,
  call,
  memberId,
  plan,
  simulateBounce,
  unique,
  validate,
} from "./support/api";
import { accessibilityChecks, expectAccessible, screenshots } from "./support/checks";
import { subjectsTo } from "./support/mail";
import { signIn, tabTo } from "./support/pages";

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

/** A 1×1 PNG, for the logo and the gallery. */
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  "base64",
);

test("a spreadsheet with one bad line is previewed, then the rest imported", async ({ page }) => {
  const first = `${unique("grace")}@example.org`;
  const second = `${unique("alan")}@example.org`;
  const csv = [
    "Email,First name,Last name",
    `${first},Grace,Hopper`,
    "not an address,Bad,Line",
    `${second},Alan,Turing`,
  ].join("\n");

  await signInAsAdmin(page);
  await page.goto("/admin/imports");
  await expect(page.getByRole("heading", { level: 1, name: "Import members" })).toBeVisible();
  await page.getByLabel("The CSV file").setInputFiles({
    name: "members.csv",
    mimeType: "text/csv",
    buffer: Buffer.from(csv),
  });
  await expect(page.getByText("2 of 3 lines can be imported; 1 would be refused.")).toBeVisible();
  const refused = page.getByRole("table", { name: "Refused lines" });
  await expect(refused.getByRole("row")).toHaveCount(2);
  await expect(refused.getByRole("row").nth(1)).toContainText("3");
  await expectAccessible(page, "import preview");
  await screenshots(page, "admin-import");
  await page.getByRole("button", { name: "Import the 2 good lines" }).click();
  await expect(page.getByText("2 of 3 lines imported; 1 refused.")).toBeVisible();
  await memberId(first);
  await memberId(second);

  // The refused line comes back as a file to fix, with why.
  await page.getByRole("button", { name: /refused lines as CSV/ }).click();
  const link = page.getByRole("link", { name: "Download the file (1 rows)" });
  const href = await link.getAttribute("href");
  const refusedFile = await (await fetch(href ?? "")).text();
  expect(refusedFile).toContain("Email,First name,Last name,error");
  expect(refusedFile).toContain("not an address,Bad,Line,");
});

test("a payment at the desk makes the member active", async ({ page }) => {
  const planName = unique("Desk membership");
  await plan(planName, 2000);
  const last = unique("Franklin");
  const rosalind = await applicant("Rosalind", last);
  await validate(rosalind.email);

  await signInAsAdmin(page);
  await page.goto("/admin/subscriptions");
  await expect(page.getByRole("heading", { level: 1, name: "Memberships" })).toBeVisible();
  await page.getByLabel("Find the member").fill(last);
  await expect(page.getByLabel("Member", { exact: true })).toHaveValue(
    await memberId(rosalind.email),
  );
  await page.getByLabel("Plan", { exact: true }).first().selectOption({ label: planName });
  await page.getByLabel("Paid by").first().selectOption("cash");
  await page.getByRole("button", { name: "Record the payment" }).click();
  await expect(page.getByText(`Rosalind ${last} is a member`)).toBeVisible();
  await expectAccessible(page, "memberships");
  await screenshots(page, "admin-memberships");

  // Part of it goes back, with a reason.
  const row = page.getByRole("row").filter({ hasText: `Rosalind ${last}` });
  await row.getByRole("button", { name: "Refund…" }).click();
  const dialog = page.getByRole("dialog", { name: /Refund Rosalind/ });
  await expect(dialog.getByLabel(/Amount to refund/)).toHaveValue("20");
  await dialog.getByLabel(/Amount to refund/).fill("5");
  await dialog.getByLabel(/Why/).fill("Paid the reduced rate");
  await expectAccessible(page, "refund dialog");
  await dialog.getByRole("button", { name: "Refund", exact: true }).click();
  await expect(row).toContainText("15.00");
  await page
    .getByRole("link", { name: `Rosalind ${last}` })
    .first()
    .click();
  await expect(page.locator("dl.facts")).toContainText("Active");
});

test("an event is created and published, answered, and attendance pre-validates the applicant", async ({
  page,
}) => {
  const title = unique("Spring picnic");
  const member = await activeMember("Dorothy");
  const last = unique("Anning");
  const guest = await applicant("Mary", last);

  await signInAsAdmin(page);
  await page.goto("/admin/events");
  await page.getByLabel("Title").fill(title);
  await page.getByLabel("Starts").fill("2031-05-17T12:00");
  await page.getByLabel("Ends").fill("2031-05-17T16:00");
  await page.getByLabel("Place", { exact: true }).fill("The park");
  await page.getByRole("button", { name: "Create the event (as a draft)" }).click();
  await expect(page.getByRole("heading", { level: 1, name: title })).toBeVisible();
  await expect(page.getByText(/draft, not published/)).toBeVisible();
  await page.getByRole("button", { name: "Publish" }).click();
  await expect(page.getByRole("button", { name: "Take back (unpublish)" })).toBeVisible();
  const eventId = page.url().split("/").pop() ?? "";

  // A member answers yes (as the event page does) and comes; so does an
  // applicant who never answered.
  await call("PUT", `/api/events/${eventId}/rsvp`, member.token, { status: "yes" });
  await page.reload();
  const row = page.getByRole("row").filter({ hasText: member.email });
  await expect(row).toContainText("yes");
  await row.getByRole("checkbox").check();
  await page.getByRole("button", { name: "Mark the 1 picked as attended" }).click();
  await expect(page.getByText("1 marked; 0 applicants are now pre-validated.")).toBeVisible();
  await page.getByLabel("Find the member").fill(last);
  await expect(page.getByLabel("Member", { exact: true })).toHaveValue(await memberId(guest.email));
  await page.getByRole("button", { name: "Mark them as attended" }).click();
  await expect(page.getByText("1 marked; 1 applicants are now pre-validated.")).toBeVisible();
  await expect(page.getByRole("row").filter({ hasText: guest.email })).toContainText("Yes");
  const applicantNow = await call<{ status: string }>(
    "GET",
    `/api/members/${await memberId(guest.email)}`,
    await admin(),
  );
  expect(applicantNow.status).toBe("pre_validated");

  // Two photos at once, straight to storage.
  await page.getByLabel("Add photos (several at once)").setInputFiles([
    { name: "one.png", mimeType: "image/png", buffer: PNG },
    { name: "two.png", mimeType: "image/png", buffer: PNG },
  ]);
  await expect(page.locator("ul.gallery li")).toHaveCount(2);
  await expectAccessible(page, "event administration");
  await screenshots(page, "admin-event");

  // Deleting says what goes.
  await page.getByRole("button", { name: "Delete the event" }).click();
  await expect(page.getByRole("dialog")).toContainText("2 answers and all its photos");
  await page.getByRole("dialog").getByRole("button", { name: "Delete the event" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Events" })).toBeVisible();
});

test("a newsletter and a logo are uploaded, and the logo is in the navigation at once", async ({
  page,
}) => {
  const title = unique("Summer letter");
  await signInAsAdmin(page);
  await page.goto("/admin/documents");
  await expect(page.getByRole("heading", { level: 1, name: "Documents" })).toBeVisible();
  await page.getByLabel("The file").setInputFiles({
    name: "summer.pdf",
    mimeType: "application/pdf",
    buffer: Buffer.from("%PDF-1.7 the summer letter"),
  });
  await page.getByLabel("Title").first().fill(title);
  await page.getByRole("button", { name: "Upload" }).click();
  await expect(page.getByText(`“${title}” is in the library.`)).toBeVisible();
  await expect(page.getByRole("listitem").filter({ hasText: title })).toBeVisible();
  await expectAccessible(page, "documents");

  await page.goto("/admin/settings");
  await expect(page.getByRole("heading", { level: 1, name: "Settings" })).toBeVisible();
  await page.getByLabel(/Add a logo|Replace the logo/).setInputFiles({
    name: "logo.png",
    mimeType: "image/png",
    buffer: PNG,
  });
  await expect(page.getByRole("img", { name: "The current logo" })).toBeVisible();
  await expect(page.locator("header.site .brand img")).toHaveAttribute("src", /logo/);
  await expectAccessible(page, "settings");
  await screenshots(page, "admin-settings");
});

test("a custom role is given a permission, and one the admin lacks is not offered", async ({
  page,
}) => {
  // A secretary who may edit roles but holds no donation permission.
  const code = unique("secretary").replace(/-/g, "_");
  const role = await call<{ id: string }>("POST", "/api/roles", await admin(), {
    name: unique("Secretary"),
    code,
    permissions: [
      "users.view",
      "users.directory",
      "permissions.view",
      "permissions.create",
      "permissions.edit",
      "events.view",
    ],
  });
  const secretary = await activeMember("Secretary");
  await call("PUT", `/api/members/${await memberId(secretary.email)}/role`, await admin(), {
    role_id: role.id,
  });

  await signIn(page, secretary.email, secretary.password);
  await page.getByRole("link", { name: "Administration" }).click();
  const nav = page.getByRole("navigation", { name: "Administration" });
  await expect(nav.getByRole("link", { name: "Roles and permissions" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Donations" })).toHaveCount(0);
  await nav.getByRole("link", { name: "Roles and permissions" }).click();

  const name = unique("Volunteers");
  await page.getByLabel(/^Name/).fill(name);
  await page.getByLabel(/^Code/).fill(unique("volunteers").replace(/-/g, "_"));
  await page.getByRole("button", { name: "Create the role" }).click();
  await expect(page.getByRole("heading", { name: `What “${name}” may do` })).toBeVisible();
  await expect(page.getByRole("checkbox", { name: /View donations/ })).toBeDisabled();
  await page.getByRole("checkbox", { name: /users\.view/ }).check();
  await page.getByRole("button", { name: "Save the permissions" }).click();
  await expect(page.getByText("The permissions are saved.")).toBeVisible();
  await expectAccessible(page, "roles");
  await screenshots(page, "admin-roles");
  const roles = await call<{ name: string; permissions: string[] }[]>(
    "GET",
    "/api/roles",
    await admin(),
  );
  expect(roles.find((r) => r.name === name)?.permissions).toEqual(["users.view"]);

  // The donations module is not theirs, even by its address.
  await page.goto("/admin/donations");
  await expect(page.getByRole("heading", { level: 1, name: "Not allowed" })).toBeVisible();
});

test("an invitation is sent and revoked, a plan created and retired, a gift recorded at the desk", async ({
  page,
}) => {
  await signInAsAdmin(page);

  const invitee = `${unique("ida")}@example.org`;
  await page.goto("/admin/invitations");
  await page.getByLabel(/^Email address/).fill(invitee);
  await page.getByLabel("First name").fill("Ida");
  await page.getByRole("button", { name: "Send the invitation" }).click();
  await expect(page.getByText(`An invitation is on its way to ${invitee}.`)).toBeVisible();
  await expectMail(invitee, /invited to join/);
  const sent = page.getByRole("listitem").filter({ hasText: invitee });
  await expect(sent).toContainText("Waiting for an answer");
  await expectAccessible(page, "invitations");
  await sent.getByRole("button", { name: "Revoke" }).click();
  await expect(page.getByRole("dialog")).toContainText("stops working");
  await page.getByRole("dialog").getByRole("button", { name: "Revoke" }).click();
  await expect(sent).toContainText("Revoked");

  const planName = unique("Family membership");
  await page.goto("/admin/plans");
  const creating = page.locator("form").last();
  await creating.getByLabel(/^Name/).fill(planName);
  await creating.getByLabel(/^Price/).fill("twelve");
  await creating.getByRole("button", { name: "Create the plan" }).click();
  await expect(creating.getByText("Write an amount such as 25 or 25.50.")).toBeVisible();
  await creating.getByLabel(/^Price/).fill("45.50");
  await creating.getByRole("button", { name: "Create the plan" }).click();
  const created = page.getByRole("listitem").filter({ hasText: planName });
  await expect(created).toContainText("€45.50");
  await expectAccessible(page, "plans");
  await created.getByRole("button", { name: `Retire “${planName}”` }).click();
  await expect(created).toContainText("retired");
  await created.getByRole("button", { name: `Offer “${planName}” again` }).click();
  await expect(created).not.toContainText("retired");

  const donor = unique("Lady Bountiful");
  await page.goto("/admin/donations");
  await page.getByLabel("The donor is a member").uncheck();
  await page.getByLabel("Donor's name", { exact: true }).fill(donor);
  await page.getByLabel(/^Amount/).fill("120");
  await page.getByLabel("Given by").first().selectOption("cheque");
  await page.getByRole("button", { name: "Record the gift" }).click();
  await expect(page.getByText(/Recorded: €120\.00, receipt /)).toBeVisible();
  await expect(page.getByText(/from \d+ gifts/)).not.toHaveText("from 0 gifts, net of refunds");
  await page.getByLabel("Donor's name or email").fill(donor);
  await expect(page.getByRole("row").filter({ hasText: donor })).toContainText("€120.00");
  await expectAccessible(page, "donations");
  await screenshots(page, "admin-donations");
});

test("an invitation is sent and revoked with the keyboard alone, and Escape leaves it be", async ({
  page,
}) => {
  const invitee = `${unique("kay")}@example.org`;
  await signInAsAdmin(page);
  await page.goto("/admin/invitations");
  await expect(page.getByRole("heading", { level: 1, name: "Invitations" })).toBeFocused();
  await tabTo(page, /^Email address/);
  await page.keyboard.type(invitee);
  await page.keyboard.press("Enter");
  await expect(page.getByText(`An invitation is on its way to ${invitee}.`)).toBeVisible();
  const sent = page.getByRole("listitem").filter({ hasText: invitee });

  // The first "Revoke" after the form is this invitation's (newest first).
  await tabTo(page, /^Revoke$/);
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("dialog");
  await expect(dialog).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(sent).toContainText("Waiting for an answer");
  await page.keyboard.press("Enter");
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole("button", { name: "Revoke" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(sent).toContainText("Revoked");
});

test("the audit trail says who changed a plan, and what", async ({ page }) => {
  const name = `Audited ${randomName()}`;
  const created = await call<{ id: string }>("POST", "/api/plans", await admin(), {
    name,
    price_cents: 1500,
  });
  await call("PATCH", `/api/plans/${created.id}`, await admin(), { price_cents: 1800 });
  await signInAsAdmin(page);
  await page.goto("/admin");
  await page.getByRole("link", { name: "Audit trail" }).click();
  await page.getByLabel("What").selectOption("plan");
  const row = page.getByRole("row").filter({ hasText: "price_cents: 1500 → 1800" });
  await expect(row).toBeVisible();
  await expect(row.getByRole("cell").nth(1)).toHaveText("plan.update");
  await expectAccessible(page, "audit trail");
});

test("finance emails every donor of last year their statement, and a donor downloads theirs", async ({
  page,
}) => {
  const donor = await activeMember("Philippa");
  const lastYear = new Date().getFullYear() - 1;
  await call("POST", "/api/donations/manual", await admin(), {
    amount_cents: 4200,
    method: "cheque",
    user_id: await memberId(donor.email),
    donated_on: `${lastYear}-04-02`,
  });
  await signInAsAdmin(page);
  await page.goto("/admin/donations");
  const statements = page.getByRole("region", { name: "Annual statements" });
  await expect(statements.getByLabel("Year")).toHaveValue(String(lastYear));
  const row = statements.getByRole("row").filter({ hasText: donor.email });
  await expect(row).toContainText("42.00");
  await statements
    .getByRole("button", { name: `Email every donor of ${lastYear} their statement` })
    .click();
  await page
    .getByRole("dialog")
    .getByRole("button", { name: `Email every donor of ${lastYear} their statement` })
    .click();
  await expect(statements.getByText(/donors emailed now/)).toBeVisible();
  await expect(row).toContainText(`S${lastYear}-`);
  await expectAccessible(page, "annual statements");
  await expectMail(donor.email, new RegExp(`Your ${lastYear} donation statement`));

  // The donor downloads theirs from their gifts.
  await page.context().clearCookies();
  await signIn(page, donor.email, donor.password);
  await page.goto("/donations");
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: `Statement ${lastYear} (PDF)` }).click();
  expect((await download).suggestedFilename()).toMatch(/^donation-statement-S\d{4}-\d{6}\.pdf$/);
});

test("a bounced address shows on the member's page until an admin mails it again", async ({
  page,
}) => {
  const member = await activeMember("Bartholomew");
  simulateBounce(member.email);
  await signInAsAdmin(page);
  await page.goto(`/admin/members/${await memberId(member.email)}`);
  const stopped = page.getByRole("region", { name: "Email to this member is stopped" });
  await expect(stopped).toContainText("bounced for good");
  await expect(stopped).toContainText("5.1.1");
  await expectAccessible(page, "mail stopped");
  await stopped.getByRole("button", { name: "Mail this address again" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Mail this address again" }).click();
  await expect(stopped).toBeHidden();
});
