/**
 * A spoken conversation in real headless Chromium against the real local stack: the page
 * loads and connects, the greeting is heard, the user's sentence (a fake microphone
 * playing a WAV file) shows up as a transcript, and the reply is subtitled and heard.
 */
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Browser, Page } from "playwright-core";

import { launchChromium, openPage } from "./browser";
import {
  audibleSeconds,
  debugState,
  eventCount,
  playbackDrained,
  playedSeconds,
  waitUntil,
} from "./pageHooks";
import { RESULTS_DIR } from "./paths";
import { writeRecording } from "./speech";
import { voiceToVoiceSeconds } from "../bench/voiceToVoice";

// A language model greets in its own words: a reply without max_tokens ends at the first
// sentence after about 60 tokens (some 13 s of speech), or at 120 tokens wherever it is.
// The user asks after the usual greeting, even on a slow machine; a rare long one is cut
// by the question. Times count from when the page opens the microphone.
const CHARACTER = /Robin/;
const QUESTION = { text: "can you tell me a funny story", at: 20 };
const RECORDING_SECONDS = 35;
// The greeting starts playing within this many seconds of the microphone opening.
const GREETING_START_MAX_S = 6;

describe("a conversation in the browser", () => {
  let browser: Browser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    const clip = join(RESULTS_DIR, "conversation-microphone.wav");
    writeRecording(clip, [QUESTION], RECORDING_SECONDS);
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

  it("lets the keyboard pick a character", async () => {
    const radios = page.getByRole("radio");
    await radios.nth(0).focus();
    await page.keyboard.press("ArrowDown");
    expect(await radios.nth(1).isChecked()).toBe(true);
    await page.keyboard.press("ArrowUp");
    expect(await radios.nth(0).isChecked()).toBe(true);
  });

  it("connects and plays the greeting", async () => {
    await page.getByRole("radio", { name: CHARACTER }).check();
    await page.getByRole("button", { name: "Connect" }).click();
    await page.getByText("Connected.").waitFor({ timeout: 20_000 });
    await page.getByRole("button", { name: "Disconnect" }).waitFor();
    const interruption: { playedS?: number } = {};
    await waitUntil(
      "the greeting to end",
      () => debugState(page),
      (s) => {
        if (eventCount(s, "unmute.interrupted_by_vad") > 0) {
          interruption.playedS ??= playedSeconds(s);
        }
        return eventCount(s, "response.audio.done") >= 1;
      },
      40_000,
    );
    const state = await playbackDrained(page);
    // A real model greets in its own words, at a high temperature: a lone "Hi!" is a
    // third of a second, but it is heard (a silent turn has no audible audio at all).
    expect(audibleSeconds(state)).toBeGreaterThan(0.15);
    // Nobody speaks before the question, so nothing may interrupt the greeting before
    // it. A greeting long enough to still play when the question comes is cut by it, as
    // it should be: by then it has played for nearly all the time before the question.
    if (interruption.playedS !== undefined) {
      expect(interruption.playedS).toBeGreaterThan(QUESTION.at - GREETING_START_MAX_S);
    }
    expect(state.pagesSent).toBeGreaterThan(50); // the microphone streams meanwhile
    const greeting = await page.getByTestId("bot-subtitle").first().innerText();
    expect(greeting.trim().split(/\s+/).filter(Boolean).length).toBeGreaterThanOrEqual(1);
  });

  it("shows what the user said", async () => {
    await page
      .getByTestId("user-transcript")
      .filter({ hasText: /funny story/i })
      .waitFor({ timeout: 30_000 });
  });

  it("subtitles the reply and plays it", async () => {
    const before = await debugState(page);
    // The newest bot turn (a silence prompt may have come between greeting and question).
    const reply = page.getByTestId("bot-subtitle").last();
    await waitUntil(
      "reply subtitles",
      () => reply.innerText().catch(() => ""),
      (text) => text.split(/\s+/).length >= 3,
      30_000,
    );
    const heard = await waitUntil(
      "the reply to be heard",
      () => debugState(page),
      (s) => audibleSeconds(s) > audibleSeconds(before) + 1,
      20_000,
    );
    // The audio clock dates the question's end and the reply's first sound, in order:
    // what `npm run bench:browser` measures voice-to-voice with.
    const clock = heard.audioClock;
    expect(clock?.micQuietFrames.length).toBeGreaterThan(0);
    const [sinceQuestion] = clock === null ? [] : voiceToVoiceSeconds(clock, 10);
    expect(sinceQuestion).toBeGreaterThan(0);
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
