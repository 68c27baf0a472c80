/**
 * Vitest global setup: one real local stack (`unmute-ops up`) for the whole suite,
 * started on a free port and stopped by PID when the suite ends.
 */
import type { TestProject } from "vitest/node";

import { checkPrerequisites } from "./paths";
import { freePort, type RunningServer, startServer } from "./processes";

declare module "vitest" {
  export interface ProvidedContext {
    stackUrl: string;
    stackPid: number;
  }
}

let stack: RunningServer | null = null;

export async function setup(project: TestProject): Promise<void> {
  checkPrerequisites();
  const port = await freePort();
  // One conversation seat, so the suite can also see a second visitor wait for it.
  // UNMUTE_ENGINES=light runs the suite (or the benchmark) on the light engines.
  const engines = process.env.UNMUTE_ENGINES ?? "neural";
  stack = await startServer(
    "unmute-up",
    ["up", "--port", String(port), "--max-sessions", "1", "--engines", engines],
    port,
    {
      waitForOk: true,
    },
  );
  project.provide("stackUrl", stack.url);
  project.provide("stackPid", stack.pid);
}

export async function teardown(): Promise<void> {
  await stack?.stop();
}
