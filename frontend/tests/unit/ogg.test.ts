import { describe, expect, it } from "vitest";

import { base64ToBytes } from "@/lib/base64";
import { oggCrc32 } from "@/lib/ogg/crc";
import {
  CRC_OFFSET,
  encodePage,
  FLAG_BOS,
  FLAG_CONTINUED,
  HEADER_BYTES,
  lacingFor,
  parsePage,
} from "@/lib/ogg/page";
import { OggPacketAssembler, OggPageReader } from "@/lib/ogg/reader";

import { SERVER_TONE_STREAM_BASE64 } from "./fixtures";

const ascii = new TextEncoder();

function filled(length: number, value: number): Uint8Array {
  return new Uint8Array(length).fill(value);
}

function flipBits(bytes: Uint8Array, index: number): void {
  bytes[index] = (bytes[index] ?? 0) ^ 0xff;
}

/** A page with raw lacing values, for packets that span pages (encodePage writes whole ones). */
function rawPage(
  flags: number,
  sequence: number,
  segments: number[],
  body: Uint8Array,
): Uint8Array {
  const page = new Uint8Array(HEADER_BYTES + segments.length + body.length);
  const view = new DataView(page.buffer);
  page.set(ascii.encode("OggS"), 0);
  view.setUint8(5, flags);
  view.setBigInt64(6, -1n, true);
  view.setUint32(14, 7, true);
  view.setUint32(18, sequence, true);
  view.setUint8(26, segments.length);
  page.set(segments, HEADER_BYTES);
  page.set(body, HEADER_BYTES + segments.length);
  view.setUint32(CRC_OFFSET, oggCrc32(page), true);
  return page;
}

describe("Ogg CRC-32", () => {
  it("matches the published check value of CRC-32 with polynomial 0x04c11db7, no reflection", () => {
    expect(oggCrc32(ascii.encode("123456789"))).toBe(0x89a1897f);
  });

  it("is zero for no bytes and can be continued chunk by chunk", () => {
    const bytes = ascii.encode("The quick brown fox");
    expect(oggCrc32(new Uint8Array())).toBe(0);
    expect(oggCrc32(bytes.subarray(7), oggCrc32(bytes.subarray(0, 7)))).toBe(oggCrc32(bytes));
  });

  it("agrees with libogg on every page the backend sends", () => {
    const pages = new OggPageReader().push(base64ToBytes(SERVER_TONE_STREAM_BASE64));
    expect(pages).toHaveLength(8); // parsePage rejects any page whose CRC differs
  });
});

describe("lacing", () => {
  it.each([
    [0, [0]],
    [100, [100]],
    [255, [255, 0]],
    [300, [255, 45]],
    [510, [255, 255, 0]],
  ])("a %i-byte packet is laced as %j", (length, expected) => {
    expect(lacingFor(length)).toEqual(expected);
  });
});

describe("encodePage / parsePage", () => {
  it("round-trips header fields and packets", () => {
    const packets = [filled(3, 1), filled(300, 2)];
    const bytes = encodePage({
      headerType: FLAG_BOS,
      granulePosition: 123456789012n,
      serial: 0xdeadbeef,
      sequence: 42,
      packets,
    });
    const parsed = parsePage(bytes);
    if (parsed.kind !== "page") throw new Error(parsed.kind);
    expect(parsed.length).toBe(bytes.length);
    expect(parsed.page).toMatchObject({
      headerType: FLAG_BOS,
      granulePosition: 123456789012n,
      serial: 0xdeadbeef,
      sequence: 42,
    });
    expect(Array.from(parsed.page.segments)).toEqual([3, 255, 45]);
    expect(parsed.page.body).toEqual(new Uint8Array([...packets[0]!, ...packets[1]!]));
  });

  it("refuses packets that need more than 255 lacing values", () => {
    const packets = [filled(255 * 255, 0)];
    expect(() =>
      encodePage({ headerType: 0, granulePosition: 0n, serial: 1, sequence: 0, packets }),
    ).toThrow(RangeError);
  });

  it("detects a corrupted byte", () => {
    const bytes = encodePage({
      headerType: 0,
      granulePosition: 0n,
      serial: 1,
      sequence: 0,
      packets: [filled(10, 9)],
    });
    flipBits(bytes, bytes.length - 1);
    expect(parsePage(bytes)).toEqual({ kind: "invalid", reason: "CRC mismatch" });
  });

  it("asks for more bytes when a page is cut short", () => {
    const bytes = encodePage({
      headerType: 0,
      granulePosition: 0n,
      serial: 1,
      sequence: 0,
      packets: [filled(10, 9)],
    });
    expect(parsePage(bytes.subarray(0, 2)).kind).toBe("incomplete");
    expect(parsePage(bytes.subarray(0, 20)).kind).toBe("incomplete");
    expect(parsePage(bytes.subarray(0, bytes.length - 1)).kind).toBe("incomplete");
  });
});

describe("OggPageReader", () => {
  const stream = base64ToBytes(SERVER_TONE_STREAM_BASE64);

  it("finds the same pages whatever the chunk boundaries", () => {
    const whole = new OggPageReader().push(stream);
    for (const size of [1, 7, 100, 333]) {
      const reader = new OggPageReader();
      const pages = [];
      for (let i = 0; i < stream.length; i += size) {
        pages.push(...reader.push(stream.subarray(i, i + size)));
      }
      expect(pages).toEqual(whole);
    }
    expect(whole.map((page) => page.sequence)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(whole[0]!.headerType & FLAG_BOS).toBe(FLAG_BOS);
    expect(whole.slice(2).map((page) => page.granulePosition)).toEqual(
      [1, 2, 3, 4, 5, 6].map((n) => BigInt(n * 1920)),
    );
  });

  it("skips garbage and a damaged page, then carries on", () => {
    const pages = new OggPageReader().push(stream);
    const damaged = stream.slice();
    const pageLength = (index: number): number =>
      HEADER_BYTES + pages[index]!.segments.length + pages[index]!.body.length;
    const fourthPageStart = pageLength(0) + pageLength(1) + pageLength(2);
    flipBits(damaged, fourthPageStart + HEADER_BYTES + 5); // a byte of its Opus packet
    const reader = new OggPageReader();
    const read = [...reader.push(ascii.encode("junk OggS junk")), ...reader.push(damaged)];
    expect(reader.skippedBytes).toBeGreaterThan(0);
    expect(read.length).toBe(pages.length - 1);
  });
});

describe("OggPacketAssembler", () => {
  it("joins a packet that spans two pages", () => {
    const packet = Uint8Array.from({ length: 600 }, (_, i) => i % 251);
    const first = rawPage(0, 0, [255, 255], packet.subarray(0, 510));
    const second = rawPage(
      FLAG_CONTINUED,
      1,
      [90, 4],
      new Uint8Array([...packet.subarray(510), 1, 2, 3, 4]),
    );
    const reader = new OggPageReader();
    const assembler = new OggPacketAssembler();
    const packets = [...reader.push(first), ...reader.push(second)].flatMap((page) =>
      assembler.push(page),
    );
    expect(packets).toEqual([packet, new Uint8Array([1, 2, 3, 4])]);
  });

  it("drops a packet whose middle page was lost, and the orphan end of one", () => {
    const assembler = new OggPacketAssembler();
    const pages = new OggPageReader().push(
      new Uint8Array([
        ...rawPage(0, 0, [255], filled(255, 1)),
        // sequence 1 is missing
        ...rawPage(FLAG_CONTINUED, 2, [10, 3], new Uint8Array([...filled(10, 2), 7, 8, 9])),
      ]),
    );
    const packets = pages.flatMap((page) => assembler.push(page));
    expect(packets).toEqual([new Uint8Array([7, 8, 9])]);
    expect(assembler.droppedPackets).toBe(1);
  });
});
