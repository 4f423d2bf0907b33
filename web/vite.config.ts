import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// Static files only: dist/ is what serve.py serves locally and `make deploy` uploads.
export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", sourcemap: false, target: "es2020" },
  server: { host: "127.0.0.1", port: 5173 },
});
