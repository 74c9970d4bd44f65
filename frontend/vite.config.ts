// The built app is served by FastAPI from /static/app/ (src/soundbite/web/pages/app.py reads
// index.html and adds per-request config); the output is a build product, never committed.
import { defineConfig } from "vite";

export default defineConfig({
  base: "/static/app/",
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir: "../src/soundbite/web/static/app",
    emptyOutDir: true,
    target: "es2020",
    sourcemap: true,
    chunkSizeWarningLimit: 300,
  },
});
