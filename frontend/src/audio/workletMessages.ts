/** Messages between the page and its two AudioWorklets (capture and playback). */
import type { PlaybackStats } from "./playbackQueue";

export const CAPTURE_PROCESSOR = "unmute-capture";
export const PLAYBACK_PROCESSOR = "unmute-playback";
/** Built by `npm run worklets` from src/audio/worklets/ into public/worklets/. */
export const CAPTURE_WORKLET_URL = "worklets/capture.js";
export const PLAYBACK_WORKLET_URL = "worklets/playback.js";

/** Capture → page: 20 ms of microphone audio at the context's rate. */
export interface CaptureChunk {
  type: "chunk";
  samples: Float32Array<ArrayBuffer>;
  rms: number;
  /** The context frame (audio clock) at which the chunk's first sample was captured. */
  startFrame: number;
}

/** Page → playback. */
export type PlaybackCommand =
  { type: "samples"; samples: Float32Array<ArrayBuffer> } | { type: "flush" };

/** Playback → page, a few times a second. */
export interface PlaybackReport {
  type: "stats";
  stats: PlaybackStats;
  /** Context frames at which the latest turns were first heard, oldest first. */
  soundOnsetFrames: number[];
}
