/**
 * The user's microphone, with the browser's echo cancellation (so the bot does not hear
 * itself), noise suppression and automatic gain, delivered as 20 ms chunks of samples.
 */
import { CAPTURE_PROCESSOR, type CaptureChunk } from "./workletMessages";

export const MICROPHONE_CONSTRAINTS: MediaTrackConstraints = {
  echoCancellation: true,
  noiseSuppression: true,
  autoGainControl: true,
  channelCount: 1,
};

export interface Microphone {
  readonly sampleRate: number;
  stop(): void;
}

export async function openMicrophone(
  context: AudioContext,
  onChunk: (chunk: CaptureChunk) => void,
): Promise<Microphone> {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: MICROPHONE_CONSTRAINTS });
  let source: MediaStreamAudioSourceNode;
  try {
    source = context.createMediaStreamSource(stream);
  } catch (error) {
    for (const track of stream.getTracks()) track.stop();
    throw error;
  }
  const capture = new AudioWorkletNode(context, CAPTURE_PROCESSOR, {
    numberOfInputs: 1,
    numberOfOutputs: 1,
    channelCount: 1,
    channelCountMode: "explicit",
  });
  // A silent path to the destination keeps the capture node pulled in every browser.
  const mute = new GainNode(context, { gain: 0 });
  source.connect(capture).connect(mute).connect(context.destination);
  capture.port.onmessage = (event: MessageEvent<CaptureChunk>) => onChunk(event.data);
  return {
    sampleRate: context.sampleRate,
    stop() {
      capture.port.onmessage = null;
      source.disconnect();
      capture.disconnect();
      mute.disconnect();
      for (const track of stream.getTracks()) track.stop();
    },
  };
}
