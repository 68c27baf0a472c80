/**
 * The bot's voice: base64 Ogg Opus pages → packets → WebCodecs `AudioDecoder` → the
 * playback worklet's jitter buffer → speakers. One instance reads one connection's stream.
 */
import { base64ToBytes } from "@/lib/base64";
import { GRANULE_RATE, type OpusHead, opusPacketSamples } from "@/lib/ogg/opus";
import { OggOpusReader } from "@/lib/ogg/opusReader";

import { LinearResampler } from "./resampler";
import type { PlaybackCommand } from "./workletMessages";

export class BotSpeaker {
  private readonly reader = new OggOpusReader();
  private decoder: AudioDecoder | null = null;
  private resampler: LinearResampler | null = null;
  /** Stream time of the next packet, in 48 kHz samples. */
  private granule = 0;
  /** Decoded audio stamped at or before this (µs) belongs to an interrupted turn. */
  private discardThrough = -1;
  /** Between an interruption and the next turn: audio still arriving is not played. */
  private muted = false;
  /** Packets skipped because they belonged to an interrupted turn. */
  skippedPackets = 0;
  /** The stream's header, to start a fresh decoder if the current one fails. */
  private header: { head: OpusHead; packet: Uint8Array } | null = null;

  constructor(
    private readonly playback: MessagePort,
    private readonly outputSampleRate: number,
    private readonly onError: (error: Error) => void,
  ) {}

  /** One `response.audio.delta`. */
  pushDelta(base64Pages: string): void {
    const chunk = this.reader.push(base64ToBytes(base64Pages));
    if (chunk.head !== null && chunk.headPacket !== null) {
      this.header = { head: chunk.head, packet: chunk.headPacket };
      this.granule = 0;
      this.discardThrough = -1;
      this.closeDecoder();
    }
    if (this.header === null) return; // nothing can be decoded before the stream's header
    if (this.decoder?.state !== "configured") this.decoder = this.newDecoder(this.header);
    const decoder = this.decoder;
    for (const packet of chunk.packets) {
      if (this.muted) {
        this.skippedPackets++;
        this.granule += opusPacketSamples(packet);
        continue;
      }
      decoder.decode(
        new EncodedAudioChunk({ type: "key", timestamp: this.microseconds(), data: packet }),
      );
      this.granule += opusPacketSamples(packet);
    }
  }

  /**
   * The user barged in: silence now, including audio still inside the decoder or in
   * flight from the server, until the bot's next turn begins.
   */
  interrupt(): void {
    this.muted = true;
    this.discardThrough = this.microseconds();
    this.send({ type: "flush" });
  }

  /** The bot's next turn began (`response.created`): play again. */
  startTurn(): void {
    this.muted = false;
  }

  close(): void {
    this.closeDecoder();
    this.header = null;
  }

  private closeDecoder(): void {
    if (this.decoder !== null && this.decoder.state !== "closed") this.decoder.close();
    this.decoder = null;
  }

  private newDecoder({ head, packet }: { head: OpusHead; packet: Uint8Array }): AudioDecoder {
    const decoder = new AudioDecoder({
      output: (data) => this.play(data),
      // The decoder is closed after an error; the next delta makes a new one.
      error: (error) => this.onError(error),
    });
    decoder.configure({
      codec: "opus",
      // Opus decodes natively at 24 kHz; ask for the playback rate to skip resampling.
      sampleRate: this.outputSampleRate,
      numberOfChannels: head.channelCount,
      description: packet,
    });
    return decoder;
  }

  private play(data: AudioData): void {
    try {
      if (data.timestamp < this.discardThrough) return;
      const samples = new Float32Array(data.numberOfFrames);
      data.copyTo(samples, { planeIndex: 0, format: "f32-planar" });
      if (this.resampler?.fromRate !== data.sampleRate) {
        this.resampler = new LinearResampler(data.sampleRate, this.outputSampleRate);
      }
      this.send({ type: "samples", samples: this.resampler.process(samples) });
    } finally {
      data.close();
    }
  }

  private microseconds(): number {
    return Math.round((this.granule * 1e6) / GRANULE_RATE);
  }

  private send(command: PlaybackCommand): void {
    if (command.type === "samples") this.playback.postMessage(command, [command.samples.buffer]);
    else this.playback.postMessage(command);
  }
}
