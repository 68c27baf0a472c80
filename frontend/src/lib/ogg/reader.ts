/**
 * Reading an Ogg stream that arrives in chunks cut anywhere: complete, checked pages
 * first, then the packets those pages carry (a packet may span pages).
 */
import { CAPTURE_PATTERN, FLAG_CONTINUED, MAX_PAGE_BYTES, type OggPage, parsePage } from "./page";

function indexOfCapture(bytes: Uint8Array, from: number): number {
  for (let i = from; i + CAPTURE_PATTERN.length <= bytes.length; i++) {
    if (
      bytes[i] === 0x4f &&
      bytes[i + 1] === 0x67 &&
      bytes[i + 2] === 0x67 &&
      bytes[i + 3] === 0x53
    ) {
      return i;
    }
  }
  return -1;
}

/** Splits a byte stream into pages; damaged bytes are skipped up to the next page. */
export class OggPageReader {
  private pending: Uint8Array = new Uint8Array(0);
  /** Bytes thrown away because they were not part of a valid page. */
  skippedBytes = 0;

  push(chunk: Uint8Array): OggPage[] {
    const bytes = new Uint8Array(this.pending.length + chunk.length);
    bytes.set(this.pending, 0);
    bytes.set(chunk, this.pending.length);
    const pages: OggPage[] = [];
    let offset = 0;
    while (offset < bytes.length) {
      const parsed = parsePage(bytes, offset);
      if (parsed.kind === "page") {
        pages.push(parsed.page);
        offset += parsed.length;
        continue;
      }
      if (parsed.kind === "incomplete" && bytes.length - offset < MAX_PAGE_BYTES) break;
      // Not a page here (or an impossibly long one): resynchronise on the next "OggS".
      const next = indexOfCapture(bytes, offset + 1);
      const resumeAt = next === -1 ? Math.max(offset + 1, bytes.length - 3) : next;
      this.skippedBytes += resumeAt - offset;
      offset = resumeAt;
    }
    this.pending = bytes.slice(offset);
    return pages;
  }
}

/** Joins the lacing segments of consecutive pages into packets. */
export class OggPacketAssembler {
  private partial: Uint8Array[] = [];
  private expectedSequence: number | null = null;
  /** Packets dropped because a page was missing in the middle of them. */
  droppedPackets = 0;

  push(page: OggPage): Uint8Array[] {
    const gap = this.expectedSequence !== null && page.sequence !== this.expectedSequence;
    this.expectedSequence = (page.sequence + 1) >>> 0;
    let skipContinuation = false;
    if (gap && this.partial.length > 0) {
      this.partial = [];
      this.droppedPackets++;
    }
    if (page.headerType & FLAG_CONTINUED) {
      // The first segments finish a packet we never saw the start of: skip them.
      skipContinuation = this.partial.length === 0;
    } else if (this.partial.length > 0) {
      this.partial = [];
      this.droppedPackets++;
    }
    const packets: Uint8Array[] = [];
    let offset = 0;
    for (const lace of page.segments) {
      if (!skipContinuation) this.partial.push(page.body.subarray(offset, offset + lace));
      offset += lace;
      if (lace < 255) {
        if (!skipContinuation) packets.push(concat(this.partial));
        this.partial = [];
        skipContinuation = false;
      }
    }
    return packets;
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const joined = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}
