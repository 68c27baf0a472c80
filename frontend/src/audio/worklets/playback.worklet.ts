/** The bot's voice: decoded samples in, the jitter-buffered stream out to the speakers. */
import { PlaybackQueue, playbackOptionsFor } from "../playbackQueue";
import { PLAYBACK_PROCESSOR, type PlaybackCommand, type PlaybackReport } from "../workletMessages";
import { type WorkletProcessor, workletScope } from "./scope";

// ~20 reports a second: smooth meters, negligible messaging cost.
const REPORT_EVERY_SECONDS = 0.05;

class PlaybackProcessor extends workletScope.AudioWorkletProcessor implements WorkletProcessor {
  private readonly queue = new PlaybackQueue(playbackOptionsFor(workletScope.sampleRate));
  private readonly reportEvery = Math.round(workletScope.sampleRate * REPORT_EVERY_SECONDS);
  private sinceReport = 0;

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
    this.queue.pull(first);
    for (const channel of output.slice(1)) channel.set(first);
    this.sinceReport += first.length;
    if (this.sinceReport >= this.reportEvery) this.report();
    return true;
  }

  private report(): void {
    this.sinceReport = 0;
    const message: PlaybackReport = { type: "stats", stats: { ...this.queue.stats } };
    this.port.postMessage(message);
  }
}

workletScope.registerProcessor(PLAYBACK_PROCESSOR, PlaybackProcessor);
