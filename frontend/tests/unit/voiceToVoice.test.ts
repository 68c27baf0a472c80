import { describe, expect, it } from "vitest";

import { percentile, sentenceEnds, voiceToVoiceSeconds } from "../bench/voiceToVoice";

const RATE = 24_000;

describe("browser voice-to-voice", () => {
  it("takes the last quiet moment of each sentence as its end", () => {
    const quiet = [1.0, 1.3, 1.9, 8.0, 8.2].map((s) => s * RATE);
    expect(sentenceEnds(quiet, RATE)).toEqual([1.9 * RATE, 8.2 * RATE]);
  });

  it("measures to the first sound after each end, plus the output latency", () => {
    const clock = {
      sampleRate: RATE,
      micQuietFrames: [2.0 * RATE, 2.4 * RATE, 10.0 * RATE],
      soundOnsetFrames: [0.5 * RATE, 2.9 * RATE, 6.0 * RATE, 10.6 * RATE],
      outputLatencyS: 0.01,
    };
    const seconds = voiceToVoiceSeconds(clock, 5);
    expect(seconds[0]).toBeCloseTo(0.51);
    expect(seconds[1]).toBeCloseTo(0.61);
  });

  it("reports a sentence the bot never answered", () => {
    const clock = {
      sampleRate: RATE,
      micQuietFrames: [2.0 * RATE],
      soundOnsetFrames: [9.0 * RATE],
      outputLatencyS: 0,
    };
    expect(voiceToVoiceSeconds(clock, 5)).toEqual([null]);
  });

  it("reads percentiles by nearest rank", () => {
    expect(percentile([3, 1, 2, 4], 50)).toBe(2);
    expect(percentile([3, 1, 2, 4], 90)).toBe(4);
  });
});
