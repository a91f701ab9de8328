// The members list at scale, in Chromium: for each search, the time from
// the keystroke that finishes it to the results on screen, beside the API
// call alone (the same query, timed from Node). Run by
// scripts/bench_admin_list.py against a `loaf serve` holding 100,000
// members; prints one line of JSON per search. Asserts nothing.
//
// The page waits for typing to pause (250 ms) before it asks; the table
// shows that pause apart.
import { chromium } from "@playwright/test";

const base = process.env.BASE_URL;
const email = process.env.LOAF_ADMIN_EMAIL;
const password = process.env.LOAF_ADMIN_PASSWORD;
const runs = Number(process.env.RUNS ?? 10);
const searches = ["zoe", "nunez1", "emile42", "member99999@"];
const TYPING_PAUSE_MS = 250;

async function api(path, token, init = {}) {
  const response = await fetch(base + path, {
    ...init,
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response.status === 204 ? null : response.json();
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

const { access_token: token } = await api("/api/auth/login", null, {
  method: "POST",
  body: JSON.stringify({ email, password }),
});
const { terms_version: version } = await api("/api/settings");
await api("/api/auth/accept-tos", token, { method: "POST", body: JSON.stringify({ version }) });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu"],
});
const page = await browser.newPage();
await page.goto(base + "/login");
await page.getByLabel("Email address").fill(email);
await page.getByLabel("Password").fill(password);
await page.getByRole("button", { name: "Sign in" }).click();
await page.getByRole("heading", { level: 1, name: "My membership" }).waitFor();
const everyone = (await api("/api/members?per_page=1", token)).total;
await page.goto(base + "/admin/members");
await page.getByText(`${everyone} found`).waitFor();

for (const q of searches) {
  const path = `/api/members?q=${encodeURIComponent(q)}&per_page=25`;
  const apiTimes = [];
  let total = 0;
  for (let i = 0; i < runs; i += 1) {
    const t = performance.now();
    total = (await api(path, token)).total;
    apiTimes.push(performance.now() - t);
  }
  const browserTimes = [];
  for (let i = 0; i < runs; i += 1) {
    // Start from the whole list, settled.
    await page.getByLabel("Search").fill("");
    await page.waitForURL((url) => !url.searchParams.has("q"));
    await page.getByText(`${everyone} found`).waitFor();
    // Type the search in one input event and time, in the page, until the
    // count of what it found is on screen.
    browserTimes.push(
      await page.evaluate(
        ({ q, expected }) =>
          new Promise((resolve) => {
            const input = document.querySelector('input[name="q"]');
            const shows = () =>
              [...document.querySelectorAll("p")].some((p) => p.textContent === expected);
            const t = performance.now();
            const observer = new MutationObserver(() => {
              if (shows()) {
                observer.disconnect();
                resolve(performance.now() - t);
              }
            });
            observer.observe(document.body, {
              childList: true,
              subtree: true,
              characterData: true,
            });
            input.value = q;
            input.dispatchEvent(new Event("input", { bubbles: true }));
          }),
        { q, expected: `${total} found` },
      ),
    );
  }
  const typing = median(browserTimes);
  console.log(
    JSON.stringify({
      search: q,
      found: total,
      api_ms: median(apiTimes),
      browser_ms: typing,
      after_pause_ms: typing - TYPING_PAUSE_MS,
    }),
  );
}
await browser.close();
