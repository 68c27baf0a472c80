/**
 * The bot's audio between the network and the speaker: a small jitter buffer that runs
 * inside the playback AudioWorklet. Pure logic, so it is unit-tested outside a browser.
 */
import { AUDIBLE_RMS, rms } from "./levels";

export interface PlaybackOptions {
  /** Audio held back before playing starts (or restarts after running dry). */
  startThresholdSamples: number;
  /** More than this buffered means we lag the bot: the oldest audio is dropped. */
  maxBufferedSamples: number;
}

export interface PlaybackStats {
  playedSamples: number;
  /** Played samples in blocks louder than AUDIBLE_RMS: proof that sound came out. */
  audibleSamples: number;
  bufferedSamples: number;
  /** Times playback ran dry and went back to buffering. */
  starvations: number;
  flushes: number;
  droppedSamples: number;
  /** Level of the most recent block played. */
  rms: number;
}

export function playbackOptionsFor(sampleRate: number): PlaybackOptions {
  return {
    // 60 ms: three Opus frames absorb network jitter yet keep the reply snappy.
    startThresholdSamples: Math.round(0.06 * sampleRate),
    // 2 s: the server runs at most a few hundred ms ahead; more is drift to shed.
    maxBufferedSamples: Math.round(2 * sampleRate),
  };
}

export class PlaybackQueue {
  private readonly chunks: Float32Array[] = [];
  private headOffset = 0;
  private playing = false;
  private waitedSamples = 0;
  /** Something audible played since the queue last ran dry (or was flushed). */
  private soundSinceEmpty = false;
  readonly stats: PlaybackStats = {
    playedSamples: 0,
    audibleSamples: 0,
    bufferedSamples: 0,
    starvations: 0,
    flushes: 0,
    droppedSamples: 0,
    rms: 0,
  };

  constructor(private readonly options: PlaybackOptions) {}

  push(samples: Float32Array): void {
    if (samples.length === 0) return;
    this.chunks.push(samples);
    this.stats.bufferedSamples += samples.length;
    const excess = this.stats.bufferedSamples - this.options.maxBufferedSamples;
    if (excess > 0) this.discard(excess);
  }

  /** Drop everything queued at once: the user interrupted the bot. */
  flush(): void {
    this.stats.flushes++;
    this.discard(this.stats.bufferedSamples);
    this.playing = false;
    this.waitedSamples = 0;
    this.soundSinceEmpty = false;
  }

  /**
   * Fill `out` with the next samples to play (silence while buffering). Returns true when
   * this block is the first audible one since the queue ran dry: the moment a turn's
   * voice is first heard, which latency measurements date on the audio clock.
   */
  pull(out: Float32Array): boolean {
    out.fill(0);
    this.stats.rms = 0;
    if (!this.playing) {
      if (this.stats.bufferedSamples === 0) return false;
      this.waitedSamples += out.length;
      // Also start when audio has waited as long as the threshold: it may be a turn's tail.
      const ready =
        this.stats.bufferedSamples >= this.options.startThresholdSamples ||
        this.waitedSamples >= this.options.startThresholdSamples;
      if (!ready) return false;
      this.playing = true;
    }
    const copied = this.read(out);
    if (copied < out.length) {
      this.playing = false;
      this.waitedSamples = 0;
      this.stats.starvations++;
    }
    this.stats.playedSamples += copied;
    this.stats.rms = rms(out);
    const audible = this.stats.rms > AUDIBLE_RMS;
    if (audible) this.stats.audibleSamples += copied;
    const onset = audible && !this.soundSinceEmpty;
    this.soundSinceEmpty = (this.soundSinceEmpty || audible) && copied === out.length;
    return onset;
  }

  private read(out: Float32Array): number {
    let written = 0;
    while (written < out.length && this.chunks.length > 0) {
      const head = this.chunks[0] as Float32Array;
      const take = Math.min(out.length - written, head.length - this.headOffset);
      out.set(head.subarray(this.headOffset, this.headOffset + take), written);
      written += take;
      this.headOffset += take;
      if (this.headOffset === head.length) {
        this.chunks.shift();
        this.headOffset = 0;
      }
    }
    this.stats.bufferedSamples -= written;
    return written;
  }

  private discard(count: number): void {
    let left = count;
    while (left > 0 && this.chunks.length > 0) {
      const head = this.chunks[0] as Float32Array;
      const take = Math.min(left, head.length - this.headOffset);
      left -= take;
      this.headOffset += take;
      if (this.headOffset === head.length) {
        this.chunks.shift();
        this.headOffset = 0;
      }
    }
    const dropped = count - left;
    this.stats.bufferedSamples -= dropped;
    this.stats.droppedSamples += dropped;
  }
}
