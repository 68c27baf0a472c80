/**
 * Streaming linear-interpolation resampler for mono float audio. Only a fallback: the app
 * runs its AudioContext at 24 kHz, so this is used when a browser refuses that rate (or a
 * decoder answers at another one). Speech survives linear interpolation well enough.
 */
export class LinearResampler {
  /** Input samples advanced per output sample. */
  private readonly step: number;
  /** Where the next output sample falls, in input samples from the current chunk's start. */
  private position = 0;
  /** The previous chunk's last sample, at position -1. */
  private previous = 0;

  constructor(
    readonly fromRate: number,
    readonly toRate: number,
  ) {
    if (!(fromRate > 0 && toRate > 0)) throw new RangeError("sample rates must be positive");
    this.step = fromRate / toRate;
  }

  get passthrough(): boolean {
    return this.fromRate === this.toRate;
  }

  process(input: Float32Array<ArrayBuffer>): Float32Array<ArrayBuffer> {
    if (this.passthrough || input.length === 0) return input;
    const output: number[] = [];
    const last = input.length - 1;
    while (this.position < last) {
      const index = Math.floor(this.position);
      const fraction = this.position - index;
      const a = index < 0 ? this.previous : (input[index] as number);
      const b = input[index + 1] as number;
      output.push(a + (b - a) * fraction);
      this.position += this.step;
    }
    this.position -= input.length;
    this.previous = input[last] as number;
    return Float32Array.from(output);
  }
}
