// Prints the gzipped size of the JavaScript the members' first page loads
// (the entry chunk and what it imports statically) and of the admin
// dashboard's own chunks (loaded only when an admin opens it), and fails
// above the budgets. Reads Vite's manifest of the last build.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { join } from "node:path";

const MEMBERS_BUDGET = 100 * 1024;
const ADMIN_BUDGET = 250 * 1024;
const dist = new URL("../dist/", import.meta.url).pathname;
const manifest = JSON.parse(readFileSync(join(dist, ".vite/manifest.json"), "utf8"));

const gzipped = (file) => gzipSync(readFileSync(join(dist, file))).length;

/** The chunk `key` and every chunk it imports statically, once each. */
function closure(key, seen = new Set()) {
  if (seen.has(key)) return seen;
  seen.add(key);
  for (const next of manifest[key]?.imports ?? []) closure(next, seen);
  return seen;
}

const entry = Object.keys(manifest).find((key) => manifest[key].isEntry);
const first = closure(entry);
const membersBytes = [...first].reduce((sum, key) => sum + gzipped(manifest[key].file), 0);

// Chunks loaded on demand under src/admin (the dashboard), and what they
// import that the first page does not already hold.
const adminEntries = Object.keys(manifest).filter(
  (key) => manifest[key].isDynamicEntry && key.includes("src/admin/"),
);
const adminChunks = new Set();
for (const key of adminEntries) for (const c of closure(key)) if (!first.has(c)) adminChunks.add(c);
const adminBytes = [...adminChunks].reduce((sum, key) => sum + gzipped(manifest[key].file), 0);

const kib = (n) => (n / 1024).toFixed(1) + " KiB";
console.log(
  `members' first page JavaScript: ${kib(membersBytes)} gzipped (budget ${kib(MEMBERS_BUDGET)})`,
);
console.log(`admin dashboard chunks: ${kib(adminBytes)} gzipped (budget ${kib(ADMIN_BUDGET)})`);
let failed = false;
if (membersBytes > MEMBERS_BUDGET) {
  console.error("the members' first page loads too much JavaScript");
  failed = true;
}
if (adminBytes > ADMIN_BUDGET) {
  console.error("the admin dashboard's chunks are too large");
  failed = true;
}
process.exit(failed ? 1 : 0);
