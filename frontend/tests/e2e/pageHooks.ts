/** Reading the page's `window.unmuteDebug` counters from the test. */
import type { Page } from "playwright-core";

import type { UnmuteDebug } from "../../src/conversation/debugHooks";

export const SAMPLE_RATE = 24_000;

export async function debugState(page: Page): Promise<UnmuteDebug> {
  const state = await page.evaluate(() => JSON.stringify(window.unmuteDebug ?? null));
  const parsed = JSON.parse(state) as UnmuteDebug | null;
  if (parsed === null) throw new Error("the page exposes no window.unmuteDebug");
  return parsed;
}

export function eventCount(state: UnmuteDebug, type: string): number {
  return state.eventCounts[type] ?? 0;
}

/** Seconds of bot audio, pauses included, that went through the playback worklet so far. */
export function playedSeconds(state: UnmuteDebug): number {
  return (state.playback?.playedSamples ?? 0) / SAMPLE_RATE;
}

/** Seconds of audible bot audio that went through the playback worklet so far. */
export function audibleSeconds(state: UnmuteDebug): number {
  return (state.playback?.audibleSamples ?? 0) / SAMPLE_RATE;
}

/**
 * Wait until the bot's audio has finished playing: nothing buffered and nothing played
 * for two reads in a row. `response.audio.done` only says the server sent the last packet;
 * the page may still be decoding and playing the end of the turn.
 */
export async function playbackDrained(page: Page, timeoutMs = 15_000): Promise<UnmuteDebug> {
  let lastPlayed = -1;
  let quietReads = 0;
  return waitUntil(
    "the bot's audio to finish playing",
    () => debugState(page),
    (s) => {
      const played = s.playback?.playedSamples ?? 0;
      const idle = played === lastPlayed && (s.playback?.bufferedSamples ?? 0) === 0;
      lastPlayed = played;
      quietReads = idle ? quietReads + 1 : 0;
      // Two quiet intervals in a row: a late packet still in the decoder would show.
      return quietReads >= 2;
    },
    timeoutMs,
  );
}

/** Poll `read` until `accept` holds; fail with the last value seen. */
export async function waitUntil<T>(
  what: string,
  read: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!accept(value)) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(value)}`);
    }
    await new Promise((wait) => setTimeout(wait, 200));
    value = await read();
  }
  return value;
}
