/**
 * The receiving side of an Ogg Opus stream: bytes in, the stream's OpusHead and its audio
 * packets out. A new beginning-of-stream page starts over (a new stream replaced the old).
 */
import { isOpusHead, isOpusTags, type OpusHead, parseOpusHead } from "./opus";
import { FLAG_BOS } from "./page";
import { OggPacketAssembler, OggPageReader } from "./reader";

export interface OpusChunk {
  /** Set when this chunk began a stream; the decoder must be (re)configured with it. */
  head: OpusHead | null;
  /** The raw OpusHead packet, for decoders that take it as their description. */
  headPacket: Uint8Array | null;
  packets: Uint8Array[];
}

export class OggOpusReader {
  private readonly pages = new OggPageReader();
  private assembler = new OggPacketAssembler();
  private serial: number | null = null;
  private seenHead = false;

  push(bytes: Uint8Array): OpusChunk {
    const chunk: OpusChunk = { head: null, headPacket: null, packets: [] };
    for (const page of this.pages.push(bytes)) {
      if (page.headerType & FLAG_BOS) {
        this.assembler = new OggPacketAssembler();
        this.serial = page.serial;
        this.seenHead = false;
      } else if (page.serial !== this.serial) {
        continue; // a stale page from a stream we are not reading
      }
      for (const packet of this.assembler.push(page)) {
        if (!this.seenHead) {
          if (isOpusHead(packet)) {
            chunk.head = parseOpusHead(packet);
            chunk.headPacket = packet;
            chunk.packets = [];
            this.seenHead = true;
          }
        } else if (!isOpusTags(packet)) {
          chunk.packets.push(packet);
        }
      }
    }
    return chunk;
  }
}
