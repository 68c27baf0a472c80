/** Where the end-to-end suite finds the project and puts what it leaves behind. */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const FRONTEND_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const REPO_ROOT = resolve(FRONTEND_DIR, "..");
/** Screenshots, clips and server logs of the last run. */
export const RESULTS_DIR = join(FRONTEND_DIR, "test-results");

export const UNMUTE_OPS = process.env.UNMUTE_OPS ?? join(REPO_ROOT, ".venv/bin/unmute-ops");
export const CHROMIUM = process.env.UNMUTE_CHROMIUM ?? "/usr/bin/chromium";
export const BUILT_APP = join(FRONTEND_DIR, "out/index.html");

/** Fail early, with the command that fixes it, when a prerequisite is missing. */
export function checkPrerequisites(): void {
  const missing: [string, string][] = [
    [UNMUTE_OPS, "run ./scripts/setup (it creates .venv)"],
    [CHROMIUM, "apt-get install chromium (./scripts/setup does it)"],
    [BUILT_APP, "build the app: cd frontend && npm run build"],
  ];
  for (const [path, fix] of missing) {
    if (!existsSync(path)) throw new Error(`${path} is missing: ${fix}`);
  }
}
