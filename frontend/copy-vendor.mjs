// Copies the vendored browser files the build does not bundle into the served static folder:
// Swagger UI for /docs (src/soundbite/web/api_docs.py), so the API docs work with no internet.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const from = join(here, "node_modules", "swagger-ui-dist");
const to = join(here, "..", "src", "soundbite", "web", "static", "app", "vendor", "swagger-ui");
mkdirSync(to, { recursive: true });
for (const name of ["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "LICENSE"]) {
  copyFileSync(join(from, name), join(to, name));
}
console.log(`copied Swagger UI to ${to}`);
