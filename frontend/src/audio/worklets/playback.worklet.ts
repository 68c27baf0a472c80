/** The bot's voice: decoded samples in, the jitter-buffered stream out to the speakers. */
import { PlaybackQueue, playbackOptionsFor } from "../playbackQueue";
import { PLAYBACK_PROCESSOR, type PlaybackCommand, type PlaybackReport } from "../workletMessages";
import { type WorkletProcessor, workletScope } from "./scope";

// ~20 reports a second: smooth meters, negligible messaging cost.
const REPORT_EVERY_SECONDS = 0.05;
const SOUND_ONSETS_KEPT = 64;

class PlaybackProcessor extends workletScope.AudioWorkletProcessor implements WorkletProcessor {
  private readonly queue = new PlaybackQueue(playbackOptionsFor(workletScope.sampleRate));
  private readonly reportEvery = Math.round(workletScope.sampleRate * REPORT_EVERY_SECONDS);
  private sinceReport = 0;
  private readonly soundOnsetFrames: number[] = [];

  constructor() {
    super();
    this.port.onmessage = (event: MessageEvent<PlaybackCommand>) => {
      if (event.data.type === "samples") this.queue.push(event.data.samples);
      else {
        this.queue.flush();
        this.report(); // let the page see the flush at once
      }
    };
  }

  process(_inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    const output = outputs[0];
    const first = output?.[0];
    if (output === undefined || first === undefined) return true;
    if (this.queue.pull(first)) {
      this.soundOnsetFrames.push(workletScope.currentFrame);
      if (this.soundOnsetFrames.length > SOUND_ONSETS_KEPT) this.soundOnsetFrames.shift();
    }
    for (const channel of output.slice(1)) channel.set(first);
    this.sinceReport += first.length;
    if (this.sinceReport >= this.reportEvery) this.report();
    return true;
  }

  private report(): void {
    this.sinceReport = 0;
    const message: PlaybackReport = {
      type: "stats",
      stats: { ...this.queue.stats },
      soundOnsetFrames: [...this.soundOnsetFrames],
    };
    this.port.postMessage(message);
  }
}

workletScope.registerProcessor(PLAYBACK_PROCESSOR, PlaybackProcessor);
