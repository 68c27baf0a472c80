/**
 * One Ogg page (RFC 3533): building it from packets and reading it back from bytes.
 *
 * Layout: "OggS", version 0, header type, granule position (int64 LE), serial (u32 LE),
 * sequence number (u32 LE), CRC (u32 LE), segment count, lacing values, then the body.
 */
import { oggCrc32 } from "./crc";

export const CAPTURE_PATTERN = new Uint8Array([0x4f, 0x67, 0x67, 0x53]); // "OggS"
export const HEADER_BYTES = 27;
export const CRC_OFFSET = 22;
export const MAX_SEGMENTS = 255;
export const MAX_PAGE_BYTES = HEADER_BYTES + MAX_SEGMENTS + MAX_SEGMENTS * 255;

export const FLAG_CONTINUED = 0x01;
export const FLAG_BOS = 0x02;
export const FLAG_EOS = 0x04;

/** A granule position meaning "no packet ends on this page". */
export const NO_GRANULE = -1n;

export interface OggPage {
  headerType: number;
  granulePosition: bigint;
  serial: number;
  sequence: number;
  /** Lacing values: a packet ends at every value below 255. */
  segments: Uint8Array;
  body: Uint8Array;
}

/** Lacing values for one whole packet: runs of 255, then the remainder (maybe 0). */
export function lacingFor(packetLength: number): number[] {
  const values: number[] = new Array<number>(Math.floor(packetLength / 255)).fill(255);
  values.push(packetLength % 255);
  return values;
}

export interface PageSpec {
  headerType: number;
  granulePosition: bigint;
  serial: number;
  sequence: number;
  /** Whole packets; together they must fit the page's 255 lacing values. */
  packets: readonly Uint8Array[];
}

/** Serialise whole packets into one page, CRC included. */
export function encodePage(spec: PageSpec): Uint8Array {
  const lacing = spec.packets.flatMap((packet) => lacingFor(packet.length));
  if (lacing.length > MAX_SEGMENTS) {
    throw new RangeError(`packets need ${lacing.length} lacing values; a page holds 255`);
  }
  const bodyLength = spec.packets.reduce((sum, packet) => sum + packet.length, 0);
  const page = new Uint8Array(HEADER_BYTES + lacing.length + bodyLength);
  const view = new DataView(page.buffer);
  page.set(CAPTURE_PATTERN, 0);
  view.setUint8(4, 0);
  view.setUint8(5, spec.headerType);
  view.setBigInt64(6, spec.granulePosition, true);
  view.setUint32(14, spec.serial >>> 0, true);
  view.setUint32(18, spec.sequence >>> 0, true);
  view.setUint8(26, lacing.length);
  page.set(lacing, HEADER_BYTES);
  let offset = HEADER_BYTES + lacing.length;
  for (const packet of spec.packets) {
    page.set(packet, offset);
    offset += packet.length;
  }
  view.setUint32(CRC_OFFSET, oggCrc32(page), true);
  return page;
}

export type PageParse =
  | { kind: "page"; page: OggPage; length: number }
  | { kind: "incomplete" }
  | { kind: "invalid"; reason: string };

/** Read the page starting at `offset` of `bytes`, checking its structure and CRC. */
export function parsePage(bytes: Uint8Array, offset = 0): PageParse {
  const available = bytes.length - offset;
  for (let i = 0; i < CAPTURE_PATTERN.length && i < available; i++) {
    if (bytes[offset + i] !== CAPTURE_PATTERN[i]) {
      return { kind: "invalid", reason: "no capture pattern" };
    }
  }
  if (available < HEADER_BYTES) return { kind: "incomplete" };
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, available);
  if (view.getUint8(4) !== 0) return { kind: "invalid", reason: "unknown Ogg version" };
  const segmentCount = view.getUint8(26);
  if (available < HEADER_BYTES + segmentCount) return { kind: "incomplete" };
  const segments = bytes.slice(offset + HEADER_BYTES, offset + HEADER_BYTES + segmentCount);
  const bodyLength = segments.reduce((sum, value) => sum + value, 0);
  const length = HEADER_BYTES + segmentCount + bodyLength;
  if (available < length) return { kind: "incomplete" };
  const raw = bytes.slice(offset, offset + length);
  const expected = view.getUint32(CRC_OFFSET, true);
  raw.fill(0, CRC_OFFSET, CRC_OFFSET + 4);
  if (oggCrc32(raw) !== expected) return { kind: "invalid", reason: "CRC mismatch" };
  return {
    kind: "page",
    length,
    page: {
      headerType: view.getUint8(5),
      granulePosition: view.getBigInt64(6, true),
      serial: view.getUint32(14, true),
      sequence: view.getUint32(18, true),
      segments,
      body: raw.slice(HEADER_BYTES + segmentCount),
    },
  };
}
