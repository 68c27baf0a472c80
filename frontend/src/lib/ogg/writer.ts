/**
 * One continuous Ogg Opus stream, written page by page as Opus packets come out of the
 * encoder: a BOS page with OpusHead, a page with OpusTags, then audio pages.
 */
import { encodeOpusHead, encodeOpusTags, type OpusHead, opusPacketSamples } from "./opus";
import { encodePage, FLAG_BOS } from "./page";

const VENDOR = "unmute-browser";

function randomSerial(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0] as number;
}

export class OggOpusWriter {
  private sequence = 0;
  /** Total 48 kHz samples of the packets written so far, pre-skip included (RFC 7845 §4). */
  private granule = 0n;

  constructor(
    private readonly head: OpusHead,
    readonly serial: number = randomSerial(),
  ) {}

  /** The two header pages; they must go out before any audio page. */
  headerPages(): Uint8Array[] {
    if (this.sequence !== 0) throw new Error("header pages were already written");
    return [
      this.page(FLAG_BOS, 0n, [encodeOpusHead(this.head)]),
      this.page(0, 0n, [encodeOpusTags(VENDOR)]),
    ];
  }

  /** Audio packets on one page; its granule position counts them. */
  audioPage(packets: readonly Uint8Array[]): Uint8Array {
    if (this.sequence < 2) throw new Error("write the header pages first");
    for (const packet of packets) this.granule += BigInt(opusPacketSamples(packet));
    return this.page(0, this.granule, packets);
  }

  private page(flags: number, granulePosition: bigint, packets: readonly Uint8Array[]): Uint8Array {
    return encodePage({
      headerType: flags,
      granulePosition,
      serial: this.serial,
      sequence: this.sequence++,
      packets,
    });
  }
}
