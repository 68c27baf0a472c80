/**
 * A conversation survives its backend's death: the backend process is killed
 * mid-conversation and another starts on the same port; the page reconnects by itself,
 * keeps the transcript on screen and offers it as the history, which the new backend
 * takes. The time from the kill to the resumed session is printed (not asserted).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Browser, Page } from "playwright-core";

import { launchChromium, openPage } from "./browser";
import { FRONTEND_DIR, RESULTS_DIR } from "./paths";
import { freePort, type RunningServer, stackBackendSettings, startServer } from "./processes";
import { writeRecording } from "./speech";

const STATEMENT = { text: "can you tell me a funny story", at: 20 }; // as Whisper hears it well
const RECORDING_SECONDS = 60;

interface Frame {
  at: number;
  payload: string;
}

describe("a conversation whose backend dies", () => {
  let browser: Browser;
  let page: Page;
  let port: number;
  let settings: Record<string, string>;
  let backend: RunningServer | null = null;
  const sent: Frame[] = [];
  const received: Frame[] = [];

  const startBackend = async (name: string): Promise<RunningServer> =>
    startServer(name, ["serve", "backend", "--port", String(port)], port, {
      env: { ...settings, UNMUTE_FRONTEND_DIR: join(FRONTEND_DIR, "out") },
      waitForOk: true,
    });

  beforeAll(async () => {
    // A backend of its own on the stack's speech servers and LLM: killing it leaves them.
    settings = stackBackendSettings(inject("stackPid"));
    port = await freePort();
    backend = await startBackend("resume-backend-first");
    const clip = join(RESULTS_DIR, "resume-microphone.wav");
    writeRecording(clip, [STATEMENT], RECORDING_SECONDS);
    browser = await launchChromium(clip);
    ({ page } = await openPage(browser, `${backend.url}/`));
    page.on("websocket", (socket) => {
      socket.on("framesent", ({ payload }) =>
        sent.push({ at: Date.now(), payload: payload.toString() }),
      );
      socket.on("framereceived", ({ payload }) =>
        received.push({ at: Date.now(), payload: payload.toString() }),
      );
    });
  });

  afterAll(async () => {
    await browser.close();
    await backend?.stop();
  });

  it("talks until the user has said something and the bot answered", async () => {
    await page.getByRole("button", { name: "Connect" }).click();
    await page.getByText("Connected.").waitFor({ timeout: 20_000 });
    await page
      .getByTestId("user-transcript")
      .filter({ hasText: /funny story/i })
      .waitFor({ timeout: 45_000 });
    const replies = () => received.filter((f) => f.payload.includes('"response.created"'));
    const before = replies().length;
    for (let waited = 0; replies().length <= before && waited < 30_000; waited += 200) {
      await new Promise((wait) => setTimeout(wait, 200));
    }
    expect(replies().length).toBeGreaterThan(before);
  });

  it("reconnects by itself to the new backend and goes on with the history", async () => {
    const killedAt = Date.now();
    process.kill(backend?.pid ?? 0, "SIGKILL");
    await page.getByTestId("reconnecting").waitFor({ timeout: 10_000 });
    backend = await startBackend("resume-backend-second");
    const startedAt = Date.now();
    await page.getByTestId("resumed").waitFor({ timeout: 20_000 });
    const resumedAt = Date.now();

    const offer = sent.filter((f) => f.at >= killedAt && f.payload.includes('"session.update"'));
    expect(offer).toHaveLength(1);
    const history = (JSON.parse(offer[0]?.payload ?? "{}") as { session: { history?: unknown[] } })
      .session.history;
    expect(JSON.stringify(history)).toMatch(/"role":"user","content":"[^"]*funny story/i);
    // The new backend took it: its first history update holds the user's earlier turn.
    const firstUpdate = () =>
      received.find((f) => f.at >= killedAt && f.payload.includes('"unmute.additional_outputs"'));
    for (let waited = 0; firstUpdate() === undefined && waited < 10_000; waited += 100) {
      await new Promise((wait) => setTimeout(wait, 100));
    }
    const update = firstUpdate();
    expect(update?.payload).toMatch(/funny story/i);
    const tookAt = update?.at ?? resumedAt;
    await page
      .getByTestId("user-transcript")
      .filter({ hasText: /funny story/i })
      .waitFor();
    const figures = {
      killToReconnectedS: (resumedAt - killedAt) / 1000,
      newBackendUpToReconnectedS: (resumedAt - startedAt) / 1000,
      killToHistoryTakenS: (tookAt - killedAt) / 1000,
      newBackendUpToHistoryTakenS: (tookAt - startedAt) / 1000,
    };
    writeFileSync(join(RESULTS_DIR, "resume.json"), JSON.stringify(figures, null, 2));
    process.stdout.write(`resume: ${JSON.stringify(figures)}\n`);
    await page.screenshot({ path: join(RESULTS_DIR, "resumed.png"), fullPage: true });
  });
});
