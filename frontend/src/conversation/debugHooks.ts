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
  /**
   * The audio clock (the AudioContext's frames), for latency measurements: when the
   * microphone went quiet after sound (the user may have finished), when the latest bot
   * turns were first heard in the playback worklet, and the output latency after it.
   */
  audioClock: AudioClock | null;
}

export interface AudioClock {
  sampleRate: number;
  /** Frames at which a 20 ms microphone chunk was quiet after a loud one, latest last. */
  micQuietFrames: number[];
  soundOnsetFrames: number[];
  outputLatencyS: number;
}

const MIC_QUIET_FRAMES_KEPT = 256;

/** `frames` with `frame` appended, keeping the latest MIC_QUIET_FRAMES_KEPT. */
export function withQuietFrame(frames: readonly number[], frame: number): number[] {
  return [...frames, frame].slice(-MIC_QUIET_FRAMES_KEPT);
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
  audioClock: AudioClock | null = null;

  constructor() {
    if (typeof window !== "undefined") window.unmuteDebug = this;
  }

  record(type: string): void {
    this.eventCounts[type] = (this.eventCounts[type] ?? 0) + 1;
    this.recentEvents.push(type);
    if (this.recentEvents.length > RECENT_EVENTS_KEPT) this.recentEvents.shift();
  }
}
