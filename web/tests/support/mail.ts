/**
 * The emails `loaf serve` writes to its mail folder (one `.eml` file each),
 * read as a person would read their inbox: the newest message to an
 * address, and the link in it.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

const dir = () => {
  const folder = process.env.LOAF_MAIL_DIR;
  if (!folder) throw new Error("LOAF_MAIL_DIR must name the mail folder of the server under test");
  return folder;
};

interface Message {
  to: string;
  subject: string;
  text: string;
  at: number;
}

function inbox(): Message[] {
  let names: string[] = [];
  try {
    names = readdirSync(dir()).filter((n) => n.endsWith(".eml"));
  } catch {
    return [];
  }
  return names.map((name) => {
    const path = join(dir(), name);
    const raw = readFileSync(path, "utf8");
    const header = (field: string) =>
      new RegExp(`^${field}: (.*)$`, "mi").exec(raw)?.[1]?.trim() ?? "";
    return { to: header("To"), subject: header("Subject"), text: raw, at: statSync(path).mtimeMs };
  });
}

/** The first link under `path` in the newest email to `to`, waiting for
 * the server's sender (it delivers every 2 seconds). */
export async function linkIn(to: string, path: string, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  const pattern = new RegExp(
    `https?://[^\\s"<>]*${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}[^\\s"<>]*`,
  );
  while (Date.now() < deadline) {
    const mails = inbox()
      .filter((m) => m.to.toLowerCase().includes(to.toLowerCase()))
      .sort((a, b) => b.at - a.at);
    for (const mail of mails) {
      const match = pattern.exec(mail.text);
      if (match) return match[0].replace(/&amp;/g, "&");
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no email to ${to} with a link to ${path} within ${timeoutMs} ms`);
}

/** The subjects of the emails to `to`, oldest first. */
export function subjectsTo(to: string): string[] {
  return inbox()
    .filter((m) => m.to.toLowerCase().includes(to.toLowerCase()))
    .sort((a, b) => a.at - b.at)
    .map((m) => m.subject);
}
