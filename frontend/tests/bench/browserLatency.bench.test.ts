/**
 * End of the user's speech → the bot first heard, in real headless Chromium against the
 * real local stack (`unmute-ops up`), measured on the page's audio clock (see
 * `voiceToVoice.ts`). A benchmark, not part of the test suite: `npm run bench:browser`
 * prints the figures and writes them to test-results/browser-latency.json.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Browser } from "playwright-core";

import type { UnmuteDebug } from "../../src/conversation/debugHooks";
import { launchChromium, openPage } from "../e2e/browser";
import { debugState, eventCount, waitUntil } from "../e2e/pageHooks";
import { RESULTS_DIR } from "../e2e/paths";
import { writeRecording } from "../e2e/speech";
import { percentile, voiceToVoiceSeconds } from "./voiceToVoice";

// Robin greets in about 4 s and answers in a sentence or two: 9 s between questions
// lets each reply end before the next question (no barge-in), and the next question
// comes before the bot would check on a silent user (7 s).
const CHARACTER = /Robin/;
const QUESTIONS = [
  "what time is it",
  "how are you today",
  "what is your name",
  "do you like music",
  "what is the weather like",
  "can you tell me a joke",
  "where do you live",
  "what do you like to eat",
];
const FIRST_AT_S = 12;
const EVERY_S = 9;
const RECORDING_S = FIRST_AT_S + QUESTIONS.length * EVERY_S;
const ANSWERED_WITHIN_S = 5;

describe("browser voice-to-voice", () => {
  let browser: Browser;

  beforeAll(async () => {
    const clip = join(RESULTS_DIR, "latency-microphone.wav");
    const utterances = QUESTIONS.map((text, i) => ({ text, at: FIRST_AT_S + i * EVERY_S }));
    writeRecording(clip, utterances, RECORDING_S);
    browser = await launchChromium(clip);
  });

  afterAll(async () => {
    await browser.close();
  });

  it("answers every question, and reports how fast it was heard", async () => {
    const { page, errors } = await openPage(browser, `${inject("stackUrl")}/`);
    await page.getByRole("radio", { name: CHARACTER }).check();
    await page.getByRole("button", { name: "Connect" }).click();
    await page.getByText("Connected.").waitFor({ timeout: 20_000 });
    const answered = (s: UnmuteDebug): number =>
      s.audioClock === null
        ? 0
        : voiceToVoiceSeconds(s.audioClock, ANSWERED_WITHIN_S).filter((v) => v !== null).length;
    const state = await waitUntil(
      "every question to be answered",
      () => debugState(page),
      (s) => answered(s) >= QUESTIONS.length,
      (RECORDING_S + 30) * 1000,
    );
    await page.getByRole("button", { name: "Disconnect" }).click();
    const clock = state.audioClock;
    expect(clock).not.toBeNull();
    if (clock === null) return;
    const seconds = voiceToVoiceSeconds(clock, ANSWERED_WITHIN_S);
    const heard = seconds.filter((s): s is number => s !== null);
    const figures = {
      questions: QUESTIONS.length,
      answered: heard.length,
      interruptions: eventCount(state, "unmute.interrupted_by_vad"),
      outputLatencyMs: Math.round(clock.outputLatencyS * 1000),
      voiceToVoiceMs: {
        p50: Math.round(percentile(heard, 50) * 1000),
        p90: Math.round(percentile(heard, 90) * 1000),
        max: Math.round(Math.max(...heard) * 1000),
      },
      perQuestionMs: seconds.map((s) => (s === null ? null : Math.round(s * 1000))),
    };
    writeFileSync(join(RESULTS_DIR, "browser-latency.json"), JSON.stringify(figures, null, 2));
    process.stdout.write(`browser voice-to-voice: ${JSON.stringify(figures, null, 2)}\n`);
    expect(seconds).toHaveLength(QUESTIONS.length);
    expect(heard).toHaveLength(QUESTIONS.length);
    expect(errors).toEqual([]);
  });
});
