/**
 * Microphone samples → Opus (WebCodecs `AudioEncoder`, 24 kHz, 20 ms frames) → Ogg pages.
 * One instance writes one continuous Ogg stream: make a new one for each connection.
 */
import { parseOpusHead } from "@/lib/ogg/opus";
import { OggOpusWriter } from "@/lib/ogg/writer";

import { PROTOCOL_SAMPLE_RATE } from "./audioContext";
import { LinearResampler } from "./resampler";

// 24 kbit/s: transparent for wideband speech, and cheap on a phone's uplink.
const BITRATE = 24_000;
const FRAME_MICROSECONDS = 20_000; // the protocol's 20 ms Opus frames
// libopus's look-ahead at 24 kHz is 6.5 ms = 312 samples at 48 kHz, if the encoder omits it.
const DEFAULT_PRE_SKIP = 312;

export const ENCODER_CONFIG: AudioEncoderConfig = {
  codec: "opus",
  sampleRate: PROTOCOL_SAMPLE_RATE,
  numberOfChannels: 1,
  bitrate: BITRATE,
  opus: { frameDuration: FRAME_MICROSECONDS },
};

export class OggOpusEncoder {
  private readonly encoder: AudioEncoder;
  private readonly resampler: LinearResampler;
  private writer: OggOpusWriter | null = null;
  private encodedSamples = 0;

  /** `onPages` gets complete Ogg pages, header pages first, ready to send. */
  constructor(
    inputSampleRate: number,
    private readonly onPages: (pages: Uint8Array[]) => void,
    onError: (error: Error) => void,
  ) {
    this.resampler = new LinearResampler(inputSampleRate, PROTOCOL_SAMPLE_RATE);
    this.encoder = new AudioEncoder({
      output: (chunk, metadata) => this.write(chunk, metadata),
      error: (error) => onError(error),
    });
    this.encoder.configure(ENCODER_CONFIG);
  }

  encode(samples: Float32Array<ArrayBuffer>): void {
    if (this.encoder.state !== "configured") return;
    const resampled = this.resampler.process(samples);
    if (resampled.length === 0) return;
    const data = new AudioData({
      format: "f32-planar",
      sampleRate: PROTOCOL_SAMPLE_RATE,
      numberOfChannels: 1,
      numberOfFrames: resampled.length,
      timestamp: Math.round((this.encodedSamples * 1e6) / PROTOCOL_SAMPLE_RATE),
      data: resampled,
    });
    this.encodedSamples += resampled.length;
    this.encoder.encode(data);
    data.close();
  }

  close(): void {
    if (this.encoder.state !== "closed") this.encoder.close();
  }

  private write(chunk: EncodedAudioChunk, metadata?: EncodedAudioChunkMetadata): void {
    const packet = new Uint8Array(chunk.byteLength);
    chunk.copyTo(packet);
    const pages: Uint8Array[] = [];
    if (this.writer === null) {
      this.writer = new OggOpusWriter({
        channelCount: 1,
        preSkip: preSkipFrom(metadata) ?? DEFAULT_PRE_SKIP,
        inputSampleRate: PROTOCOL_SAMPLE_RATE,
        outputGain: 0,
      });
      pages.push(...this.writer.headerPages());
    }
    // One packet per page: each 20 ms frame leaves as soon as it is encoded.
    pages.push(this.writer.audioPage([packet]));
    this.onPages(pages);
  }
}

function preSkipFrom(metadata?: EncodedAudioChunkMetadata): number | null {
  const description = metadata?.decoderConfig?.description;
  if (description === undefined) return null;
  const bytes = ArrayBuffer.isView(description)
    ? new Uint8Array(description.buffer, description.byteOffset, description.byteLength)
    : new Uint8Array(description);
  try {
    return parseOpusHead(bytes).preSkip;
  } catch {
    return null;
  }
}
