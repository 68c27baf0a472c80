/**
 * Cuts a stream of audio blocks (128 samples per AudioWorklet call) into fixed-length
 * chunks. Every chunk is a fresh array, so it can be transferred to another thread.
 */
export class FrameChunker {
  private current: Float32Array<ArrayBuffer>;
  private filled = 0;

  constructor(readonly chunkLength: number) {
    if (!(chunkLength > 0)) throw new RangeError("chunks must hold at least one sample");
    this.current = new Float32Array(chunkLength);
  }

  /** The chunks that `block` completed (often none). */
  push(block: Float32Array): Float32Array<ArrayBuffer>[] {
    const done: Float32Array<ArrayBuffer>[] = [];
    let offset = 0;
    while (offset < block.length) {
      const take = Math.min(block.length - offset, this.chunkLength - this.filled);
      this.current.set(block.subarray(offset, offset + take), this.filled);
      this.filled += take;
      offset += take;
      if (this.filled === this.chunkLength) {
        done.push(this.current);
        this.current = new Float32Array(this.chunkLength);
        this.filled = 0;
      }
    }
    return done;
  }
}
