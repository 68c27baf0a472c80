/**
 * A whole spoken conversation in real headless Chromium against the real local stack:
 * the page loads and connects, the greeting is heard, the user's sentence (a fake
 * microphone playing a WAV file) shows up as a transcript, the reply is subtitled and
 * heard, and speaking over the bot silences it at once.
 */
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Browser, Page } from "playwright-core";

import { launchChromium, openPage } from "./browser";
import { audibleSeconds, debugState, eventCount, waitUntil } from "./pageHooks";
import { RESULTS_DIR } from "./paths";
import { writeRecording } from "./speech";

// The Guide character's opening takes about 9 s to say and its explanations about 7 s, so
// the answer is long enough to be interrupted. Times count from when the microphone opens.
const CHARACTER = /Guide/;
const ANSWER = { text: "yes please tell me more", at: 11 }; // once the greeting has ended
const BARGE_IN = { text: "wait a moment please", at: 16 }; // ~2 s into the reply
const RECORDING_SECONDS = 30;

describe("a conversation in the browser", () => {
  let browser: Browser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    const clip = join(RESULTS_DIR, "conversation-microphone.wav");
    writeRecording(clip, [ANSWER, BARGE_IN], RECORDING_SECONDS);
    browser = await launchChromium(clip);
    ({ page, errors } = await openPage(browser, `${inject("stackUrl")}/`));
  });

  afterAll(async () => {
    await browser.close();
  });

  it("loads the app with the characters from /v1/voices", async () => {
    expect(await page.title()).toBe("Unmute");
    await page.getByRole("radio", { name: CHARACTER }).waitFor();
    expect(await page.getByRole("radio").count()).toBeGreaterThanOrEqual(5);
  });

  it("connects and plays the greeting", async () => {
    await page.getByRole("radio", { name: CHARACTER }).check();
    await page.getByRole("button", { name: "Connect" }).click();
    await page.getByText("Connected.").waitFor({ timeout: 20_000 });
    await page.getByRole("button", { name: "Disconnect" }).waitFor();
    const state = await waitUntil(
      "the greeting to end",
      () => debugState(page),
      (s) => eventCount(s, "response.audio.done") >= 1,
      40_000,
    );
    expect(audibleSeconds(state)).toBeGreaterThan(2);
    expect(state.pagesSent).toBeGreaterThan(100); // the microphone streams meanwhile
    const greeting = await page.getByTestId("bot-subtitle").first().innerText();
    expect(greeting.split(/\s+/).length).toBeGreaterThan(5);
  });

  it("shows what the user said", async () => {
    await page
      .getByTestId("user-transcript")
      .filter({ hasText: /tell me more/i })
      .waitFor({ timeout: 30_000 });
  });

  it("subtitles the reply and plays it", async () => {
    const before = await debugState(page);
    const reply = page.getByTestId("bot-subtitle").nth(1);
    await waitUntil(
      "reply subtitles",
      () => reply.innerText().catch(() => ""),
      (t) => t.split(/\s+/).length >= 3,
      30_000,
    );
    await waitUntil(
      "the reply to be heard",
      () => debugState(page),
      (s) => audibleSeconds(s) > audibleSeconds(before) + 1,
      20_000,
    );
  });

  it("stops playing at once when the user barges in", async () => {
    await waitUntil(
      "unmute.interrupted_by_vad",
      () => debugState(page),
      (s) => eventCount(s, "unmute.interrupted_by_vad") >= 1,
      30_000,
    );
    // Measured inside the page: whatever is heard from 0.3 s to 1 s after the interruption.
    const { audibleDuringWindow, flushes, repliesDuringWindow } = await page.evaluate(async () => {
      const read = () => window.unmuteDebug!;
      const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
      await sleep(300);
      const audible = read().playback?.audibleSamples ?? 0;
      const replies = read().eventCounts["response.created"] ?? 0;
      await sleep(700);
      return {
        audibleDuringWindow: (read().playback?.audibleSamples ?? 0) - audible,
        flushes: read().playback?.flushes ?? 0,
        repliesDuringWindow: (read().eventCounts["response.created"] ?? 0) - replies,
      };
    });
    expect(flushes).toBeGreaterThanOrEqual(1);
    expect(repliesDuringWindow).toBe(0); // the user is still talking: no new reply yet
    expect(audibleDuringWindow).toBe(0);
    await page.getByText("(interrupted)").waitFor();
  });

  it("looks right on desktop and phone screens", async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.screenshot({ path: join(RESULTS_DIR, "conversation-desktop.png"), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(RESULTS_DIR, "conversation-phone.png"), fullPage: true });
    const pageWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(pageWidth).toBeLessThanOrEqual(390); // nothing sticks out sideways
  });

  it("hangs up, and nothing went wrong on the page", async () => {
    await page.getByRole("button", { name: "Disconnect" }).click();
    await page.getByRole("button", { name: "Connect" }).waitFor();
    expect(errors).toEqual([]);
  });
});
