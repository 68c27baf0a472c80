/**
 * Voice cloning from the page: when the server reports it available, a clip uploaded
 * through the form becomes the bot's voice for the next conversation.
 */
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Browser } from "playwright-core";

import { launchChromium, openPage } from "./browser";
import { audibleSeconds, debugState, eventCount, playbackDrained, waitUntil } from "./pageHooks";
import { RESULTS_DIR } from "./paths";
import { writeRecording } from "./speech";

describe("speaking with an uploaded voice", () => {
  let browser: Browser;
  const voiceClip = join(RESULTS_DIR, "voice-to-clone.wav");

  beforeAll(async () => {
    const silence = join(RESULTS_DIR, "silent-microphone.wav");
    writeRecording(silence, [], 60);
    writeRecording(
      voiceClip,
      [{ text: "this is how my voice sounds when I read aloud", at: 0.3 }],
      4,
    );
    browser = await launchChromium(silence);
  });

  afterAll(async () => {
    await browser.close();
  });

  it("clones the voice and greets the user with it", async () => {
    const { page, errors } = await openPage(browser, `${inject("stackUrl")}/`);
    await page.getByLabel(/Your own voice/).setInputFiles(voiceClip);
    await page.getByText("The bot will speak with your voice.").waitFor({ timeout: 30_000 });
    await page.getByRole("button", { name: "Connect" }).click();
    const greeted = await waitUntil(
      "the greeting in the cloned voice",
      () => debugState(page),
      (s) => eventCount(s, "response.audio.done") >= 1,
      40_000,
    );
    expect(greeted.sessionVoice).toMatch(/^custom:/);
    // The server's last packet can arrive before the page has played the turn out.
    const state = await playbackDrained(page);
    // Heard to the end; a real model may greet with a lone "Hi!" (a third of a second),
    // where a silent turn has no audible audio at all.
    expect(audibleSeconds(state)).toBeGreaterThan(0.15);
    await page.getByRole("button", { name: "Disconnect" }).click();
    expect(errors).toEqual([]);
  });
});
