/**
 * Counters on `window.unmuteDebug`, read by the end-to-end tests and handy in a browser
 * console: events received by type, microphone level, pages sent, playback statistics.
 */
import type { PlaybackStats } from "@/audio/playbackQueue";

export interface UnmuteDebug {
  phase: string;
  eventCounts: Record<string, number>;
  /** The last event types received, oldest first. */
  recentEvents: string[];
  micRms: number;
  pagesSent: number;
  /** Bot audio packets not played because they arrived after an interruption. */
  skippedPackets: number;
  /** The voice the server confirmed in `session.updated`. */
  sessionVoice: string | null;
  playback: PlaybackStats | null;
}

declare global {
  interface Window {
    unmuteDebug?: UnmuteDebug;
  }
}

const RECENT_EVENTS_KEPT = 200;

export class DebugHooks implements UnmuteDebug {
  phase = "idle";
  eventCounts: Record<string, number> = {};
  recentEvents: string[] = [];
  micRms = 0;
  pagesSent = 0;
  skippedPackets = 0;
  sessionVoice: string | null = null;
  playback: PlaybackStats | null = null;

  constructor() {
    if (typeof window !== "undefined") window.unmuteDebug = this;
  }

  record(type: string): void {
    this.eventCounts[type] = (this.eventCounts[type] ?? 0) + 1;
    this.recentEvents.push(type);
    if (this.recentEvents.length > RECENT_EVENTS_KEPT) this.recentEvents.shift();
  }
}
