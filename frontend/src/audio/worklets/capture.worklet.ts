/** Microphone → page in 20 ms chunks at the context's rate, with each chunk's level. */
import { FrameChunker } from "../frameChunker";
import { rms } from "../levels";
import { CAPTURE_PROCESSOR, type CaptureChunk } from "../workletMessages";
import { type WorkletProcessor, workletScope } from "./scope";

// 20 ms: one Opus frame per message keeps the encoder fed without flooding the page.
const CHUNK_SECONDS = 0.02;

class CaptureProcessor extends workletScope.AudioWorkletProcessor implements WorkletProcessor {
  private readonly chunker = new FrameChunker(Math.round(workletScope.sampleRate * CHUNK_SECONDS));
  /** The audio-clock frame of the next sample a chunk will start with. */
  private nextChunkFrame: number | null = null;

  process(inputs: Float32Array[][]): boolean {
    const channel = inputs[0]?.[0];
    if (channel === undefined) return true; // no input connected yet
    this.nextChunkFrame ??= workletScope.currentFrame;
    for (const samples of this.chunker.push(channel)) {
      const startFrame = this.nextChunkFrame;
      this.nextChunkFrame += samples.length;
      const message: CaptureChunk = { type: "chunk", samples, rms: rms(samples), startFrame };
      this.port.postMessage(message, [samples.buffer]);
    }
    return true;
  }
}

workletScope.registerProcessor(CAPTURE_PROCESSOR, CaptureProcessor);
