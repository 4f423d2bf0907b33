import { defineConfig, type Plugin } from "vite";
import react from "@vitejs/plugin-react";

// KaTeX's stylesheet lists each font as woff2, woff and ttf; every browser the build
// targets (es2020) takes woff2, so the other two are dropped rather than shipped.
function katexWoff2Only(): Plugin {
  return {
    name: "katex-woff2-only",
    enforce: "pre",
    transform(code, id) {
      if (!/[\\/]katex[\\/]dist[\\/]katex(\.min)?\.css$/.test(id)) return null;
      return { code: code.replace(/,\s*url\([^)]*\.(woff|ttf)\)\s*format\("(woff|truetype)"\)/g, ""), map: null };
    },
  };
}

// Static files only: dist/ is what serve.py serves locally and `make deploy` uploads.
export default defineConfig({
  plugins: [react(), katexWoff2Only()],
  build: {
    outDir: "dist",
    sourcemap: false,
    target: "es2020",
    // Fonts stay files: the Content-Security-Policy (default-src 'self') refuses data: fonts.
    assetsInlineLimit: (file) => (/\.(woff2?|ttf|otf)$/.test(file) ? false : undefined),
  },
  server: { host: "127.0.0.1", port: 5173 },
});
