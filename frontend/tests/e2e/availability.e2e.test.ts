/**
 * What a visitor sees when a conversation cannot start: a page naming the services that
 * are down, and a "waiting for a free seat" state that ends once a seat frees up.
 */
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Browser } from "playwright-core";

import { launchChromium, openPage } from "./browser";
import { waitUntil } from "./pageHooks";
import { FRONTEND_DIR, RESULTS_DIR } from "./paths";
import { freePort, type RunningServer, startServer } from "./processes";
import { writeRecording } from "./speech";

interface Ready {
  ready: boolean;
  sessions: number;
  capacity: number;
}

describe("when a conversation cannot start", () => {
  let browser: Browser;

  beforeAll(async () => {
    const clip = join(RESULTS_DIR, "silent-microphone.wav");
    writeRecording(clip, [], 60);
    browser = await launchChromium(clip);
  });

  afterAll(async () => {
    await browser.close();
  });

  it("names the services that are down", async () => {
    const port = await freePort();
    const nowhere = await freePort(); // nothing listens here
    const backend: RunningServer = await startServer(
      "backend-without-services",
      ["serve", "backend", "--port", String(port)],
      port,
      {
        env: {
          UNMUTE_STT_URL: `ws://127.0.0.1:${nowhere}`,
          UNMUTE_TTS_URL: `ws://127.0.0.1:${nowhere}`,
          UNMUTE_LLM_URL: `http://127.0.0.1:${nowhere}`,
          UNMUTE_FRONTEND_DIR: join(FRONTEND_DIR, "out"),
        },
        waitForOk: false,
      },
    );
    try {
      const { page } = await openPage(browser, `${backend.url}/`);
      await page.getByRole("button", { name: "Connect" }).click();
      const report = page.getByRole("alert").filter({ hasText: "cannot start a conversation" });
      await report.waitFor({ timeout: 15_000 });
      const text = await report.innerText();
      expect(text).toContain("speech recognition (STT)");
      expect(text).toContain("language model (LLM)");
      expect(text).toContain("speech synthesis (TTS)");
      await page.screenshot({ path: join(RESULTS_DIR, "services-down.png"), fullPage: true });
      await page.close();
    } finally {
      await backend.stop();
    }
  });

  it("waits for a free seat while the server is full, then connects", async () => {
    const url = `${inject("stackUrl")}/`; // the stack has one conversation seat
    const first = (await openPage(browser, url)).page;
    await first.getByRole("button", { name: "Connect" }).click();
    await first.getByText("Connected.").waitFor({ timeout: 20_000 });

    const second = await openPage(browser, url);
    await second.page.getByRole("button", { name: "Connect" }).click();
    await second.page.getByTestId("waiting-for-seat").waitFor({ timeout: 30_000 });
    await second.page.getByRole("button", { name: "Cancel" }).waitFor();
    await second.page.screenshot({ path: join(RESULTS_DIR, "waiting-for-seat.png") });

    await first.getByRole("button", { name: "Disconnect" }).click();
    await second.page.getByText("Connected.").waitFor({ timeout: 45_000 });
    await second.page.getByRole("button", { name: "Disconnect" }).click();
    // The browser itself logs each refused handshake; nothing else may go wrong.
    expect(
      second.errors.filter((error) => !error.includes("Unexpected response code: 503")),
    ).toEqual([]);
    expect(second.errors.length).toBeGreaterThan(0);
    // The suite shares this one seat: the next test must find it free, not held by a
    // conversation still ending (a browser that finds it taken waits seconds to retry).
    await waitUntil(
      "the seat to be free again",
      async () => (await (await fetch(`${url}api/v1/ready`)).json()) as Ready,
      (ready) => ready.sessions === 0,
      30_000,
    );
  });
});
