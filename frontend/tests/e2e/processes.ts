/** Unmute's servers as child processes: started on free ports, stopped by PID. */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

import { REPO_ROOT, RESULTS_DIR, UNMUTE_OPS } from "./paths";

const STARTUP_TIMEOUT_MS = 150_000; // the CPU speech servers load their models
const STOP_TIMEOUT_MS = 20_000; // `unmute-ops up` gives its children 10 s, then kills

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === "object") resolvePort(address.port);
        else reject(new Error("no port"));
      });
    });
  });
}

export interface RunningServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

interface Health {
  ok: boolean;
}

async function health(url: string): Promise<Health | null> {
  try {
    const answer = await fetch(`${url}/v1/health`, { signal: AbortSignal.timeout(3_000) });
    return answer.ok ? ((await answer.json()) as Health) : null;
  } catch {
    return null;
  }
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolveExit) => {
    if (child.exitCode !== null || child.signalCode !== null) resolveExit();
    else child.once("exit", () => resolveExit());
  });
}

/** Start `unmute-ops <args>` and wait until `/v1/health` answers (with ok, if asked). */
export async function startServer(
  name: string,
  args: string[],
  port: number,
  options: { env?: Record<string, string>; waitForOk: boolean },
): Promise<RunningServer> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const log = createWriteStream(join(RESULTS_DIR, `${name}.log`));
  const child = spawn(UNMUTE_OPS, args, {
    cwd: REPO_ROOT, // `unmute-ops up` serves frontend/out from here
    env: { ...process.env, ...options.env, COLUMNS: "200" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${UNMUTE_OPS} did not start`);
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) process.kill(pid, "SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
    await exited(child);
    clearTimeout(timer);
    log.end();
  };
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`${name} exited with code ${child.exitCode}; see ${RESULTS_DIR}/${name}.log`);
    }
    const answer = await health(url);
    if (answer !== null && (answer.ok || !options.waitForOk)) return { url, pid, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${name} was not healthy after ${STARTUP_TIMEOUT_MS / 1000} s`);
    }
    await new Promise((wait) => setTimeout(wait, 300));
  }
}

/** The `UNMUTE_*` settings of the backend that `unmute-ops up` (`stackPid`) runs: the
 * addresses of its speech servers and LLM, for a second backend on the same services. */
export function stackBackendSettings(stackPid: number): Record<string, string> {
  const children = readFileSync(`/proc/${stackPid}/task/${stackPid}/children`, "utf8");
  for (const pid of children.trim().split(/\s+/)) {
    const command = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    if (!command.includes("backend")) continue;
    const settings: Record<string, string> = {};
    for (const entry of readFileSync(`/proc/${pid}/environ`, "utf8").split("\0")) {
      const [name, ...value] = entry.split("=");
      if (name?.startsWith("UNMUTE_")) settings[name] = value.join("=");
    }
    return settings;
  }
  throw new Error(`the stack (pid ${stackPid}) runs no backend`);
}
