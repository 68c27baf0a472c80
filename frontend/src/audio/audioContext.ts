/** The page's one AudioContext, at the protocol's 24 kHz when the browser allows it. */
import { CAPTURE_WORKLET_URL, PLAYBACK_WORKLET_URL } from "./workletMessages";

export const PROTOCOL_SAMPLE_RATE = 24_000;

/**
 * Must be called from a user gesture (a click), or the context starts suspended. With
 * `nativeRate`, the device's own rate: for browsers that cannot feed a microphone into a
 * 24 kHz context (the audio is then resampled in code).
 */
export async function openAudioContext(nativeRate = false): Promise<AudioContext> {
  let context: AudioContext;
  try {
    context = new AudioContext({
      sampleRate: nativeRate ? undefined : PROTOCOL_SAMPLE_RATE,
      latencyHint: "interactive",
    });
  } catch {
    context = new AudioContext({ latencyHint: "interactive" });
  }
  await Promise.all([
    context.audioWorklet.addModule(new URL(CAPTURE_WORKLET_URL, document.baseURI).href),
    context.audioWorklet.addModule(new URL(PLAYBACK_WORKLET_URL, document.baseURI).href),
  ]);
  if (context.state !== "running") await context.resume();
  return context;
}

/** The error a browser throws when a microphone cannot join a context at this rate. */
export function isSampleRateMismatch(error: unknown): boolean {
  return error instanceof DOMException && error.name === "NotSupportedError";
}
