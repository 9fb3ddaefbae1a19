import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// `npm run dev` serves the UI with hot reload and sends API calls to a `slipway serve` on 7700
// (SLIPWAY_SERVER to change it); `npm run build` writes the assets slipway serve ships.
export default defineConfig({
  plugins: [react()],
  build: { outDir: "../dist/web", emptyOutDir: true, sourcemap: true },
  server: {
    proxy: {
      "/api": { target: process.env["SLIPWAY_SERVER"] ?? "http://127.0.0.1:7700", changeOrigin: true },
    },
  },
});
