import { describe, expect, it } from "vitest";

import { base64ToBytes } from "@/lib/base64";
import {
  encodeOpusHead,
  encodeOpusTags,
  isOpusTags,
  opusPacketSamples,
  parseOpusHead,
} from "@/lib/ogg/opus";
import { OggOpusReader } from "@/lib/ogg/opusReader";
import { FLAG_BOS, parsePage } from "@/lib/ogg/page";
import { OggPacketAssembler, OggPageReader } from "@/lib/ogg/reader";
import { OggOpusWriter } from "@/lib/ogg/writer";

import { SERVER_TONE_STREAM_BASE64 } from "./fixtures";

// TOC bytes (RFC 6716 §3.1): config in the top 5 bits, then stereo flag, then frame code.
const CELT_20MS_ONE_FRAME = (31 << 3) | 0;
const SILK_20MS_TWO_FRAMES = (1 << 3) | 1;
const CELT_10MS_CODE3 = (30 << 3) | 3;

function packet(toc: number, ...rest: number[]): Uint8Array {
  return new Uint8Array([toc, ...rest]);
}

describe("Opus headers", () => {
  it("OpusHead round-trips", () => {
    const head = { channelCount: 1, preSkip: 312, inputSampleRate: 24_000, outputGain: -3 };
    const bytes = encodeOpusHead(head);
    expect(bytes.length).toBe(19);
    expect(new TextDecoder().decode(bytes.subarray(0, 8))).toBe("OpusHead");
    expect(bytes[8]).toBe(1);
    expect(parseOpusHead(bytes)).toEqual(head);
  });

  it("OpusTags carries the vendor string and no comments", () => {
    const bytes = encodeOpusTags("abc");
    expect(isOpusTags(bytes)).toBe(true);
    expect(Array.from(bytes.subarray(8))).toEqual([3, 0, 0, 0, 97, 98, 99, 0, 0, 0, 0]);
  });

  it("rejects a packet that is not an OpusHead", () => {
    expect(() => parseOpusHead(encodeOpusTags("x"))).toThrow();
  });
});

describe("opusPacketSamples", () => {
  it.each([
    ["CELT 20 ms, one frame", packet(CELT_20MS_ONE_FRAME), 960],
    ["SILK 20 ms, two frames", packet(SILK_20MS_TWO_FRAMES), 1920],
    ["CELT 10 ms, code 3 with 4 frames", packet(CELT_10MS_CODE3, 4), 1920],
    ["SILK 60 ms", packet(3 << 3), 2880],
    ["hybrid 10 ms", packet(12 << 3), 480],
    ["CELT 2.5 ms", packet(16 << 3), 120],
  ])("%s lasts %i samples at 48 kHz", (_name, bytes, samples) => {
    expect(opusPacketSamples(bytes)).toBe(samples);
  });

  it("reads the server's 40 ms packets", () => {
    const pages = new OggPageReader().push(base64ToBytes(SERVER_TONE_STREAM_BASE64));
    const assembler = new OggPacketAssembler();
    const audio = pages.slice(2).flatMap((page) => assembler.push(page));
    expect(audio.map(opusPacketSamples)).toEqual([1920, 1920, 1920, 1920, 1920, 1920]);
  });
});

describe("OggOpusWriter", () => {
  const head = { channelCount: 1, preSkip: 312, inputSampleRate: 24_000, outputGain: 0 };

  it("writes BOS + OpusHead, OpusTags, then audio pages counting 48 kHz samples", () => {
    const writer = new OggOpusWriter(head, 1234);
    const bytes = [
      ...writer.headerPages(),
      writer.audioPage([packet(CELT_20MS_ONE_FRAME, 1, 2)]),
      writer.audioPage([packet(CELT_20MS_ONE_FRAME, 3), packet(CELT_20MS_ONE_FRAME, 4)]),
    ];
    const pages = bytes.map((b) => {
      const parsed = parsePage(b);
      if (parsed.kind !== "page") throw new Error(parsed.kind);
      return parsed.page;
    });
    expect(pages.map((p) => p.sequence)).toEqual([0, 1, 2, 3]);
    expect(pages.map((p) => p.serial)).toEqual([1234, 1234, 1234, 1234]);
    expect(pages.map((p) => p.headerType)).toEqual([FLAG_BOS, 0, 0, 0]);
    expect(pages.map((p) => p.granulePosition)).toEqual([0n, 0n, 960n, 2880n]);
    expect(parseOpusHead(pages[0]!.body)).toEqual(head);
    expect(isOpusTags(pages[1]!.body)).toBe(true);
  });

  it("refuses audio before the headers, and headers twice", () => {
    const writer = new OggOpusWriter(head);
    expect(() => writer.audioPage([packet(CELT_20MS_ONE_FRAME)])).toThrow();
    writer.headerPages();
    expect(() => writer.headerPages()).toThrow();
  });

  it("gives each stream its own random serial", () => {
    expect(new OggOpusWriter(head).serial).not.toBe(new OggOpusWriter(head).serial);
  });
});

describe("OggOpusReader", () => {
  it("reads the server's stream: its head, then only audio packets", () => {
    const reader = new OggOpusReader();
    const bytes = base64ToBytes(SERVER_TONE_STREAM_BASE64);
    const first = reader.push(bytes.subarray(0, 200));
    const rest = reader.push(bytes.subarray(200));
    expect(first.head).toEqual({
      channelCount: 1,
      preSkip: 3840,
      inputSampleRate: 48_000,
      outputGain: 0,
    });
    expect(rest.head).toBeNull();
    expect(first.packets.length + rest.packets.length).toBe(6);
  });

  it("reads back what the writer wrote, and restarts on a new stream", () => {
    const reader = new OggOpusReader();
    const head = { channelCount: 1, preSkip: 312, inputSampleRate: 24_000, outputGain: 0 };
    const one = new OggOpusWriter(head, 1);
    const two = new OggOpusWriter({ ...head, preSkip: 100 }, 2);
    const a = reader.push(
      new Uint8Array([
        ...one.headerPages().flatMap((p) => [...p]),
        ...one.audioPage([packet(8, 9)]),
      ]),
    );
    expect(a.head?.preSkip).toBe(312);
    expect(a.packets).toEqual([packet(8, 9)]);
    const b = reader.push(new Uint8Array(two.headerPages().flatMap((p) => [...p])));
    expect(b.head?.preSkip).toBe(100);
    // A late page of the first stream is ignored once the second one began.
    expect(reader.push(one.audioPage([packet(8, 1)])).packets).toEqual([]);
    expect(reader.push(two.audioPage([packet(8, 2)])).packets).toEqual([packet(8, 2)]);
  });

  it("ignores audio until a stream begins", () => {
    const writer = new OggOpusWriter({
      channelCount: 1,
      preSkip: 0,
      inputSampleRate: 24_000,
      outputGain: 0,
    });
    writer.headerPages();
    const reader = new OggOpusReader();
    expect(reader.push(writer.audioPage([packet(8)]))).toEqual({
      head: null,
      headPacket: null,
      packets: [],
    });
  });
});
