/**
 * Opus in Ogg (RFC 7845): the two header packets and packet durations.
 * Granule positions and pre-skip always count 48 kHz samples, whatever the input rate.
 */

export const GRANULE_RATE = 48_000;

export interface OpusHead {
  channelCount: number;
  /** Samples (at 48 kHz) the decoder must discard at the start of the stream. */
  preSkip: number;
  /** The rate the audio had before encoding; informational for the decoder. */
  inputSampleRate: number;
  outputGain: number;
}

const OPUS_HEAD_MAGIC = "OpusHead";
const OPUS_TAGS_MAGIC = "OpusTags";
const ascii = new TextEncoder();

function startsWith(packet: Uint8Array, magic: string): boolean {
  if (packet.length < magic.length) return false;
  for (let i = 0; i < magic.length; i++) {
    if (packet[i] !== magic.charCodeAt(i)) return false;
  }
  return true;
}

export function isOpusHead(packet: Uint8Array): boolean {
  return startsWith(packet, OPUS_HEAD_MAGIC);
}

export function isOpusTags(packet: Uint8Array): boolean {
  return startsWith(packet, OPUS_TAGS_MAGIC);
}

/** The 19-byte identification header (channel mapping family 0: mono or stereo). */
export function encodeOpusHead(head: OpusHead): Uint8Array {
  const packet = new Uint8Array(19);
  const view = new DataView(packet.buffer);
  packet.set(ascii.encode(OPUS_HEAD_MAGIC), 0);
  view.setUint8(8, 1); // version
  view.setUint8(9, head.channelCount);
  view.setUint16(10, head.preSkip, true);
  view.setUint32(12, head.inputSampleRate, true);
  view.setInt16(16, head.outputGain, true);
  view.setUint8(18, 0); // mapping family 0
  return packet;
}

export function parseOpusHead(packet: Uint8Array): OpusHead {
  if (!isOpusHead(packet) || packet.length < 19) throw new Error("not an OpusHead packet");
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  if (view.getUint8(8) >> 4 !== 0) throw new Error("unsupported OpusHead version");
  return {
    channelCount: view.getUint8(9),
    preSkip: view.getUint16(10, true),
    inputSampleRate: view.getUint32(12, true),
    outputGain: view.getInt16(16, true),
  };
}

/** The comment header: a vendor string and no user comments. */
export function encodeOpusTags(vendor: string): Uint8Array {
  const vendorBytes = ascii.encode(vendor);
  const packet = new Uint8Array(8 + 4 + vendorBytes.length + 4);
  const view = new DataView(packet.buffer);
  packet.set(ascii.encode(OPUS_TAGS_MAGIC), 0);
  view.setUint32(8, vendorBytes.length, true);
  packet.set(vendorBytes, 12);
  view.setUint32(12 + vendorBytes.length, 0, true);
  return packet;
}

/** Frame size in 48 kHz samples for each of the 32 TOC configurations (RFC 6716 §3.1). */
function frameSamples(config: number): number {
  if (config < 12) return [480, 960, 1920, 2880][config % 4] as number; // SILK: 10–60 ms
  if (config < 16) return [480, 960][config % 2] as number; // hybrid: 10, 20 ms
  return [120, 240, 480, 960][config % 4] as number; // CELT: 2.5–20 ms
}

/** How many 48 kHz samples an Opus packet decodes to, read from its TOC byte. */
export function opusPacketSamples(packet: Uint8Array): number {
  const toc = packet[0];
  if (toc === undefined) throw new Error("empty Opus packet");
  const perFrame = frameSamples(toc >> 3);
  switch (toc & 0x03) {
    case 0:
      return perFrame;
    case 1:
    case 2:
      return 2 * perFrame;
    default: {
      const countByte = packet[1];
      if (countByte === undefined) throw new Error("truncated Opus packet");
      return (countByte & 0x3f) * perFrame;
    }
  }
}
