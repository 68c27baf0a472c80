/**
 * The globals of AudioWorkletGlobalScope, typed. TypeScript's DOM library describes the
 * page side only, so the worklets reach these through `globalThis`.
 */

export interface WorkletProcessor {
  readonly port: MessagePort;
  process(inputs: Float32Array[][], outputs: Float32Array[][]): boolean;
}

interface AudioWorkletScope {
  AudioWorkletProcessor: new () => { readonly port: MessagePort };
  registerProcessor(name: string, processor: new () => WorkletProcessor): void;
  sampleRate: number;
  /** The context's frame at the start of the block being processed: the audio clock. */
  currentFrame: number;
}

export const workletScope = globalThis as unknown as AudioWorkletScope;
