// Vite builds the dApp into dist/, which the API serves at / (backend/api/frontend.py). In `vite dev` the API
// and the oracle are proxied so the app keeps using relative /api and /oracle URLs, as it does same-origin.
import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

const API = process.env.HUNDI_API_URL ?? "http://127.0.0.1:8000";
const ORACLE = process.env.HUNDI_ORACLE_URL ?? "http://127.0.0.1:8100";

export default defineConfig({
  plugins: [react()],
  server: {
    host: "127.0.0.1",
    port: 5173,
    proxy: {
      "/api": { target: API, changeOrigin: false },
      "/oracle": { target: ORACLE, changeOrigin: true },
    },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 700,
  },
  test: {
    include: ["src/**/*.test.ts", "src/**/*.test.tsx"],
    environment: "node",
  },
});
