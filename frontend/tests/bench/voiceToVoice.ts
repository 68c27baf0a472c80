/**
 * Voice-to-voice on the page's audio clock: from the end of each thing the user said (the
 * microphone chunk that turned quiet after the last loud one) to the first audible block
 * of the bot's next turn in the playback worklet, plus the output latency after it.
 */
import type { AudioClock } from "../../src/conversation/debugHooks";

/** Quiet moments closer than this belong to one sentence (pauses between words). */
const SAME_SENTENCE_S = 1.0;

/** The frame at which each sentence ended: the last quiet moment of each cluster. */
export function sentenceEnds(micQuietFrames: readonly number[], sampleRate: number): number[] {
  const ends: number[] = [];
  for (const frame of micQuietFrames) {
    const last = ends.at(-1);
    if (last !== undefined && frame - last < SAME_SENTENCE_S * sampleRate)
      ends[ends.length - 1] = frame;
    else ends.push(frame);
  }
  return ends;
}

/** Seconds from each sentence's end to the bot's voice; null where none came within `withinS`. */
export function voiceToVoiceSeconds(clock: AudioClock, withinS: number): (number | null)[] {
  return sentenceEnds(clock.micQuietFrames, clock.sampleRate).map((end) => {
    const onset = clock.soundOnsetFrames.find((frame) => frame > end);
    if (onset === undefined) return null;
    const seconds = (onset - end) / clock.sampleRate + clock.outputLatencyS;
    return seconds <= withinS ? seconds : null;
  });
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}
