/** The page's one AudioContext, at the protocol's 24 kHz when the browser allows it. */
import { CAPTURE_WORKLET_URL, PLAYBACK_WORKLET_URL } from "./workletMessages";

export const PROTOCOL_SAMPLE_RATE = 24_000;

/** Must be called from a user gesture (a click), or the context starts suspended. */
export async function openAudioContext(): Promise<AudioContext> {
  let context: AudioContext;
  try {
    context = new AudioContext({ sampleRate: PROTOCOL_SAMPLE_RATE, latencyHint: "interactive" });
  } catch {
    context = new AudioContext({ latencyHint: "interactive" }); // resampled in code instead
  }
  await Promise.all([
    context.audioWorklet.addModule(new URL(CAPTURE_WORKLET_URL, document.baseURI).href),
    context.audioWorklet.addModule(new URL(PLAYBACK_WORKLET_URL, document.baseURI).href),
  ]);
  if (context.state !== "running") await context.resume();
  return context;
}
