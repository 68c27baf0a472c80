/**
 * The page's audio: one AudioContext and playback worklet, made on the first click and
 * shared by every connection; the microphone; and the levels and audio-clock readings they
 * report (for the page's meters and the debug hooks).
 */
import { isSampleRateMismatch, openAudioContext } from "@/audio/audioContext";
import { AUDIBLE_RMS } from "@/audio/levels";
import { type Microphone, openMicrophone } from "@/audio/microphone";
import {
  type CaptureChunk,
  PLAYBACK_PROCESSOR,
  type PlaybackReport,
} from "@/audio/workletMessages";

import { type AudioClock, type DebugHooks, withQuietFrame } from "./debugHooks";

export interface Levels {
  user: number;
  bot: number;
}

export class PageAudio {
  private audio: Promise<AudioContext> | null = null;
  private currentContext: AudioContext | null = null;
  private currentPlayback: AudioWorkletNode | null = null;
  private microphone: Microphone | null = null;
  private userLevel = 0;
  private botLevel = 0;

  /** `onSamples` gets each chunk of the microphone's samples, to encode and send. */
  constructor(
    private readonly debug: DebugHooks,
    private readonly onSamples: (samples: CaptureChunk["samples"]) => void,
  ) {}

  get context(): AudioContext | null {
    return this.currentContext;
  }

  get playback(): AudioWorkletNode | null {
    return this.currentPlayback;
  }

  get hasMicrophone(): boolean {
    return this.microphone !== null;
  }

  get microphoneSampleRate(): number | null {
    return this.microphone?.sampleRate ?? null;
  }

  get levels(): Levels {
    return { user: this.userLevel, bot: this.botLevel };
  }

  /** The AudioContext and playback worklet, made once. Call first from a click. */
  ensure(nativeRate = false): Promise<AudioContext> {
    this.audio ??= openAudioContext(nativeRate).then((context) => {
      const playback = new AudioWorkletNode(context, PLAYBACK_PROCESSOR, {
        numberOfInputs: 0,
        numberOfOutputs: 1,
        outputChannelCount: [1],
      });
      playback.connect(context.destination);
      playback.port.onmessage = (event: MessageEvent<PlaybackReport>) =>
        this.onPlayback(context, event.data);
      this.currentContext = context;
      this.currentPlayback = playback;
      return context;
    });
    this.audio.catch(() => (this.audio = null)); // let the next click try again
    return this.audio;
  }

  /**
   * Opens the microphone on `context`, or on a new context at the device's own rate when
   * the browser cannot capture at ours. The caller keeps it (`keepMicrophone`) or stops it.
   */
  openMicrophone(context: AudioContext): Promise<Microphone> {
    return this.openMicrophoneOn(context).catch(async (error: unknown) => {
      if (!isSampleRateMismatch(error)) throw error;
      return this.openMicrophoneOn(await this.reopenAtNativeRate());
    });
  }

  keepMicrophone(microphone: Microphone): void {
    this.microphone = microphone;
  }

  stopMicrophone(): void {
    this.microphone?.stop();
    this.microphone = null;
    this.userLevel = 0;
  }

  close(): void {
    void this.currentContext?.close();
    this.audio = null;
    this.currentContext = null;
    this.currentPlayback = null;
  }

  private async reopenAtNativeRate(): Promise<AudioContext> {
    await this.currentContext?.close();
    this.audio = null;
    this.currentContext = null;
    this.currentPlayback = null;
    return this.ensure(true);
  }

  private openMicrophoneOn(context: AudioContext): Promise<Microphone> {
    let wasLoud = false;
    return openMicrophone(context, (chunk) => {
      const loud = chunk.rms > AUDIBLE_RMS;
      if (wasLoud && !loud) {
        const clock = audioClockOf(context, this.debug);
        clock.micQuietFrames = withQuietFrame(clock.micQuietFrames, chunk.startFrame);
        this.debug.audioClock = clock;
      }
      wasLoud = loud;
      this.userLevel = chunk.rms;
      this.debug.micRms = chunk.rms;
      this.onSamples(chunk.samples);
    });
  }

  private onPlayback(context: AudioContext, report: PlaybackReport): void {
    this.botLevel = report.stats.rms;
    this.debug.playback = report.stats;
    this.debug.audioClock = {
      ...audioClockOf(context, this.debug),
      soundOnsetFrames: report.soundOnsetFrames,
    };
  }
}

function audioClockOf(context: AudioContext, debug: DebugHooks): AudioClock {
  return {
    sampleRate: context.sampleRate,
    micQuietFrames: debug.audioClock?.micQuietFrames ?? [],
    soundOnsetFrames: debug.audioClock?.soundOnsetFrames ?? [],
    // outputLatency is missing in some browsers; baseLatency is the worklet's own share.
    outputLatencyS: (context.outputLatency || 0) + context.baseLatency,
  };
}
