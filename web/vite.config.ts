import { defineConfig } from "vite";
import solid from "vite-plugin-solid";

// The dev server proxies the API and gateway to a Coterie started with `cargo xtask run`.
export default defineConfig({
  plugins: [solid()],
  build: { target: "es2022", sourcemap: false, assetsInlineLimit: 0 },
  server: {
    proxy: {
      "/api": "http://127.0.0.1:8080",
      "/gateway": { target: "ws://127.0.0.1:8080", ws: true },
    },
  },
  test: { environment: "jsdom", include: ["src/**/*.test.ts"] },
});
