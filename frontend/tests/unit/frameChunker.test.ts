import { describe, expect, it } from "vitest";

import { FrameChunker } from "@/audio/frameChunker";

const ramp = (from: number, length: number): Float32Array =>
  Float32Array.from({ length }, (_, i) => from + i);

describe("FrameChunker", () => {
  it("cuts 128-sample render blocks into 480-sample (20 ms at 24 kHz) chunks, in order", () => {
    const chunker = new FrameChunker(480);
    const chunks: Float32Array[] = [];
    for (let block = 0; block < 15; block++) chunks.push(...chunker.push(ramp(block * 128, 128)));
    expect(chunks.map((chunk) => chunk.length)).toEqual([480, 480, 480, 480]);
    expect(Array.from(chunks.flatMap((chunk) => Array.from(chunk)))).toEqual(
      Array.from(ramp(0, 1920)),
    );
  });

  it("gives fresh arrays that stay intact when a previous one is transferred away", () => {
    const chunker = new FrameChunker(4);
    const [first] = chunker.push(ramp(0, 4));
    structuredClone(first!.buffer, { transfer: [first!.buffer] }); // detaches, as postMessage does
    expect(first!.length).toBe(0);
    expect(Array.from(chunker.push(ramp(4, 6))[0]!)).toEqual([4, 5, 6, 7]);
    expect(Array.from(chunker.push(ramp(10, 2))[0]!)).toEqual([8, 9, 10, 11]);
  });

  it("one block can complete several chunks", () => {
    expect(new FrameChunker(2).push(ramp(0, 7))).toHaveLength(3);
  });
});
