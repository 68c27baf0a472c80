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

// The Guide opens with a greeting of about 9 s (longer on a busy machine): the user cuts
// in 5 s after the microphone opens, well inside it and past the first 3 s, during which
// only recognised words may interrupt, and talks on for a while, so the bot stays quiet.
const CHARACTER = /Guide/;
const BARGE_IN = {
  text: "wait a moment please, I would like to say something about the weather this afternoon",
  at: 5,
};
const RECORDING_SECONDS = 20;

describe("barging in", () => {
  let browser: Browser;

  beforeAll(async () => {
    const clip = join(RESULTS_DIR, "barge-in-microphone.wav");
    writeRecording(clip, [BARGE_IN], RECORDING_SECONDS);
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
      (s) => audibleSeconds(s) > 1,
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
