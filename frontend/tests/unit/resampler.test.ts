import { describe, expect, it } from "vitest";

import { LinearResampler } from "@/audio/resampler";

function sine(length: number, rate: number, hz = 200): Float32Array<ArrayBuffer> {
  return Float32Array.from({ length }, (_, i) => Math.sin((2 * Math.PI * hz * i) / rate));
}

describe("LinearResampler", () => {
  it("passes audio through when the rates match", () => {
    const input = sine(100, 24_000);
    expect(new LinearResampler(24_000, 24_000).process(input)).toBe(input);
  });

  it.each([
    [48_000, 24_000],
    [44_100, 24_000],
    [24_000, 48_000],
  ])("%i Hz → %i Hz keeps duration and shape", (from, to) => {
    const resampler = new LinearResampler(from, to);
    const output = resampler.process(sine(from, from)); // one second
    expect(Math.abs(output.length - to)).toBeLessThanOrEqual(2);
    const expected = sine(output.length, to);
    const worst = Math.max(...output.map((value, i) => Math.abs(value - (expected[i] ?? 0))));
    expect(worst).toBeLessThan(0.01);
  });

  it("gives the same samples whether fed at once or in pieces", () => {
    const input = sine(4410, 44_100);
    const whole = new LinearResampler(44_100, 24_000).process(input);
    const pieces = new LinearResampler(44_100, 24_000);
    const parts: number[] = [];
    for (let i = 0; i < input.length; i += 128)
      parts.push(...pieces.process(input.slice(i, i + 128)));
    expect(parts.length).toBe(whole.length);
    parts.forEach((value, i) => expect(value).toBeCloseTo(whole[i] ?? NaN, 6));
  });
});
