// Builds the static export (out/) unless it is newer than every source it is made from,
// so `./scripts/setup` and the browser tests rebuild only after a change. It builds without
// `next build`'s lint and type checks (next.config.ts): `npm run check` runs them, in
// `./scripts/test` as in CI, and a first `./scripts/run` need not wait for them.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const BUILT = "out/index.html";
const SOURCES = [
  "src",
  "public",
  "scripts/build-worklets.mjs",
  "next.config.ts",
  "tsconfig.json",
  "package.json",
  "package-lock.json",
];
const GENERATED = new Set(["public/worklets"]);

function newestChange(path) {
  if (GENERATED.has(path) || !existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newestChange(join(path, name))));
}

const builtAt = existsSync(BUILT) ? statSync(BUILT).mtimeMs : 0;
if (Math.max(...SOURCES.map(newestChange)) > builtAt) {
  console.log("==> Building the browser app (frontend/out)");
  execFileSync("npm", ["run", "build"], {
    stdio: "inherit",
    env: { ...process.env, UNMUTE_BUILD_SKIP_CHECKS: "1" },
  });
} else {
  console.log("==> The browser app is up to date (frontend/out)");
}
