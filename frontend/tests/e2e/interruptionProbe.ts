/**
 * Watches, inside the page, what is heard after each `unmute.interrupted_by_vad`: from the
 * playback worklet's report of the flush until the bot's next turn begins (audio of a new
 * turn is allowed; audio of the interrupted one is not), for at most a second.
 */
import type { Page } from "playwright-core";

export interface SilenceWindow {
  /** Audible samples played during the window: must be 0. */
  audibleSamples: number;
  durationMs: number;
}

declare global {
  interface Window {
    interruptionWindows?: SilenceWindow[];
  }
}

export async function startInterruptionProbe(page: Page): Promise<void> {
  await page.evaluate(() => {
    const LONGEST_WINDOW_MS = 1_000;
    const debug = () => window.unmuteDebug!;
    const count = (type: string) => debug().eventCounts[type] ?? 0;
    const audible = () => debug().playback?.audibleSamples ?? 0;
    const flushes = () => debug().playback?.flushes ?? 0;
    const windows: SilenceWindow[] = [];
    window.interruptionWindows = windows;
    // Each interruption makes exactly one flush; count both from here on.
    const interruptionsAtStart = count("unmute.interrupted_by_vad");
    const flushesAtStart = flushes();
    let seenInterruptions = 0;
    let open: { turns: number; start: number | null; audible: number } | null = null;
    const close = (now: number): void => {
      if (open?.start != null) {
        windows.push({ audibleSamples: audible() - open.audible, durationMs: now - open.start });
      }
      open = null;
    };
    setInterval(() => {
      const now = performance.now();
      const interruptions = count("unmute.interrupted_by_vad") - interruptionsAtStart;
      if (interruptions > seenInterruptions) {
        seenInterruptions = interruptions;
        close(now);
        open = { turns: count("response.created"), start: null, audible: 0 };
      }
      if (open === null) return;
      if (count("response.created") > open.turns) return close(now);
      if (open.start === null) {
        // Counting starts once the worklet reported the flush: earlier reports may still
        // include audio played before the interruption arrived.
        if (flushes() - flushesAtStart >= seenInterruptions) {
          open = { ...open, start: now, audible: audible() };
        }
      } else if (now - open.start >= LONGEST_WINDOW_MS) {
        close(now);
      }
    }, 10);
  });
}

export async function interruptionWindows(page: Page): Promise<SilenceWindow[]> {
  return JSON.parse(
    await page.evaluate(() => JSON.stringify(window.interruptionWindows ?? [])),
  ) as SilenceWindow[];
}
