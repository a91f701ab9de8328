/**
 * What an admin (or a member) does through the API to set a journey up:
 * plans, events, documents, members. The same API the pages call; only the
 * browser part of a journey goes through the pages.
 */
import { execFileSync } from "node:child_process";
import { linkIn } from "./mail";

const base = () => process.env.BASE_URL ?? "http://127.0.0.1:3000";

export async function call<T = unknown>(
  method: string,
  path: string,
  token?: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(base() + path, {
    method,
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

/** An access token for `email`. */
export async function signIn(email: string, password: string): Promise<string> {
  const session = await call<{ access_token: string }>("POST", "/api/auth/login", undefined, {
    email,
    password,
  });
  return session.access_token;
}

let adminToken: Promise<string> | null = null;

/** The development superadmin the server made (its banner's login). */
export function admin(): Promise<string> {
  const email = process.env.LOAF_ADMIN_EMAIL;
  const password = process.env.LOAF_ADMIN_PASSWORD;
  if (!email || !password) throw new Error("LOAF_ADMIN_EMAIL and LOAF_ADMIN_PASSWORD must be set");
  adminToken ??= signIn(email, password);
  return adminToken;
}

/** A name no other run of the suite used. */
export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
}

export async function plan(name: string, priceCents: number, extra: object = {}): Promise<string> {
  const created = await call<{ id: string }>("POST", "/api/plans", await admin(), {
    name,
    price_cents: priceCents,
    billing_cycle: "yearly",
    ...extra,
  });
  return created.id;
}

export async function memberId(email: string): Promise<string> {
  const page = await call<{ items: { id: string }[] }>(
    "GET",
    `/api/members?q=${encodeURIComponent(email)}`,
    await admin(),
  );
  const found = page.items[0];
  if (!found) throw new Error(`no member ${email}`);
  return found.id;
}

export async function validate(email: string): Promise<void> {
  await call("POST", `/api/members/${await memberId(email)}/validate`, await admin());
}

let cashPlan: Promise<string> | null = null;

/** A member in force: invited, accepted, paid in cash. */
export async function activeMember(
  first = "Test",
): Promise<{ email: string; password: string; token: string }> {
  const email = `${unique(first.toLowerCase())}@example.org`;
  const password = "a long and careful passphrase";
  await call("POST", "/api/invitations", await admin(), { email, first_name: first });
  const link = await linkIn(email, "/invitations/");
  const token = link.split("/").pop() ?? "";
  const settings = await call<{ terms_version: string }>("GET", "/api/settings");
  await call("POST", `/api/auth/invitations/${token}/accept`, undefined, {
    password,
    accept_terms: true,
    terms_version: settings.terms_version,
    profile: { first_name: first, last_name: "Member" },
  });
  cashPlan ??= plan("Yearly (paid at the desk)", 1500);
  await call("POST", "/api/subscriptions/manual", await admin(), {
    user_id: await memberId(email),
    plan_id: await cashPlan,
    method: "cash",
  });
  return { email, password, token: await signIn(email, password) };
}

/** A published event starting `days` from now. */
export async function event(fields: object, days = 7): Promise<string> {
  const start = new Date(Date.now() + days * 86_400_000);
  const end = new Date(start.getTime() + 2 * 3_600_000);
  const token = await admin();
  const created = await call<{ id: string }>("POST", "/api/events", token, {
    start_at: start.toISOString(),
    end_at: end.toISOString(),
    time_zone: "Europe/Paris",
    ...fields,
  });
  await call("POST", `/api/events/${created.id}/publish`, token);
  return created.id;
}

/** A newsletter uploaded the way the dashboard does: through S3. */
export async function newsletter(title: string, bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const token = await admin();
  const reserved = await call<{
    upload_id: string;
    upload: { url: string; headers: [string, string][] };
  }>("POST", "/api/documents/newsletters/uploads", token, {
    file_name: `${title}.pdf`,
    content_type: "application/pdf",
    size_bytes: bytes.length,
  });
  const headers = Object.fromEntries(
    reserved.upload.headers.filter(([name]) => name.toLowerCase() !== "content-length"),
  );
  const put = await fetch(reserved.upload.url, { method: "PUT", headers, body: bytes });
  if (!put.ok) throw new Error(`upload: ${put.status}`);
  const created = await call<{ id: string }>("POST", "/api/documents/newsletters", token, {
    upload_id: reserved.upload_id,
    title,
    published_date: new Date().toISOString().slice(0, 10),
  });
  return created.id;
}

/** An applicant waiting for validation: registered and address confirmed,
 * as the registration page does it. */
export async function applicant(
  first: string,
  last: string,
  profile: object = {},
): Promise<{ email: string; password: string; name: string }> {
  const email = `${unique(
    first
      .toLowerCase()
      .normalize("NFD")
      .replace(/[^a-z]/g, ""),
  )}@example.org`;
  const password = "a long and careful passphrase";
  const settings = await call<{ terms_version: string }>("GET", "/api/settings");
  await call("POST", "/api/auth/register", undefined, {
    email,
    password,
    accept_terms: true,
    terms_version: settings.terms_version,
    profile: { first_name: first, last_name: last, ...profile },
  });
  const link = new URL(await linkIn(email, "/verify-email"));
  await call("POST", "/api/auth/verify-email", undefined, {
    token: link.searchParams.get("token"),
    password,
  });
  return { email, password, name: `${first} ${last}` };
}

/** What SES publishes when mail to `address` bounces for good, fed to this
 * server's stack by `loaf email bounce` (the test harness names both). */
export function simulateBounce(address: string): void {
  const env = { ...process.env };
  delete env.DATABASE_URL;
  delete env.S3_BUCKET;
  execFileSync(process.env.LOAF_BIN ?? "loaf", ["email", "bounce", address], {
    cwd: process.env.LOAF_PROJECT,
    env: { ...env, RUST_LOG: "warn" },
    stdio: "pipe",
  });
}
