import { defineConfig } from "vite";
import preact from "@preact/preset-vite";

// `npm run dev` serves the pages with hot reload and sends /api to a
// running `loaf serve` (port 3000 unless LOAF_API says otherwise), so the
// pages talk to the real API on one origin, as in production.
export default defineConfig({
  plugins: [preact()],
  server: {
    port: 5173,
    strictPort: true,
    proxy: {
      "/api": process.env.LOAF_API ?? "http://127.0.0.1:3000",
    },
  },
  build: {
    target: "es2022",
    // The polyfill would be an inline script, which the pages' policy
    // refuses; every browser the app supports preloads modules itself.
    modulePreload: { polyfill: false },
    sourcemap: false,
    assetsInlineLimit: 0,
    manifest: true,
  },
});
