/**
 * Speaking over the bot silences it at once: the server says `unmute.interrupted_by_vad`
 * and the page stops playing, dropping whatever audio of that turn it still holds.
 */
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Browser } from "playwright-core";

import { launchChromium, openPage } from "./browser";
import { interruptionWindows, startInterruptionProbe } from "./interruptionProbe";
import { audibleSeconds, debugState, waitUntil } from "./pageHooks";
import { RESULTS_DIR } from "./paths";
import { writeRecording } from "./speech";

// The user cuts in 5 s after the microphone opens (past the first 3 s, during which only
// recognised words may interrupt) and talks on for a while. A language model greets in
// its own words: if the greeting is over by then, the bot answers, and the user cuts into
// that answer about a second after it began, and once more later on a slow machine.
const CHARACTER = /Guide/;
const BARGE_INS = [
  {
    text: "wait a moment please, I would like to say something about the weather this afternoon",
    at: 5,
  },
  { text: "no, stop, tell me something else instead", at: 11.5 },
  { text: "hold on, hold on, let me think about it", at: 17 },
];
const RECORDING_SECONDS = 25;

describe("barging in", () => {
  let browser: Browser;

  beforeAll(async () => {
    const clip = join(RESULTS_DIR, "barge-in-microphone.wav");
    writeRecording(clip, BARGE_INS, RECORDING_SECONDS);
    browser = await launchChromium(clip);
  });

  afterAll(async () => {
    await browser.close();
  });

  it("stops the bot's voice at once", async () => {
    const { page, errors } = await openPage(browser, `${inject("stackUrl")}/`);
    await page.getByRole("radio", { name: CHARACTER }).check();
    await page.getByRole("button", { name: "Connect" }).click();
    await page.getByText("Connected.").waitFor({ timeout: 20_000 });
    await startInterruptionProbe(page);
    await waitUntil(
      "the greeting to be heard",
      () => debugState(page),
      (s) => audibleSeconds(s) > 0.3,
      30_000,
    );
    const windows = await waitUntil(
      "an interruption followed by at least 0.5 s of the user talking",
      () => interruptionWindows(page),
      (found) => found.some((window) => window.durationMs >= 500),
      30_000,
    );
    const context = JSON.stringify({
      windows,
      recentEvents: (await debugState(page)).recentEvents,
    });
    for (const window of windows) expect(window.audibleSamples, context).toBe(0);
    await page.getByText("(interrupted)").first().waitFor();
    await page.screenshot({ path: join(RESULTS_DIR, "barge-in.png"), fullPage: true });
    await page.getByRole("button", { name: "Disconnect" }).click();
    expect(errors).toEqual([]);
  });
});
