import { defineConfig, devices } from "@playwright/test";

/**
 * The browser journeys, against a running `loaf serve` (BASE_URL) and its
 * mail folder (LOAF_MAIL_DIR), in Debian's Chromium: nothing is mocked.
 * `functions/loaf/tests/web.rs` starts the server and runs this suite, so
 * `cargo nextest run --workspace` runs it too.
 */
export default defineConfig({
  testDir: "tests",
  timeout: 90_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  reporter: [["list"]],
  outputDir: "test-results/traces",
  use: {
    baseURL: process.env.BASE_URL ?? "http://127.0.0.1:3000",
    trace: "retain-on-failure",
    ...devices["Desktop Chrome"],
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
});
