import { describe, expect, it } from "vitest";

import { PlaybackQueue, playbackOptionsFor } from "@/audio/playbackQueue";

const BLOCK = 128; // an AudioWorklet render quantum

function constant(length: number, value = 0.5): Float32Array {
  return new Float32Array(length).fill(value);
}

function pull(queue: PlaybackQueue): Float32Array {
  const out = new Float32Array(BLOCK);
  queue.pull(out);
  return out;
}

describe("PlaybackQueue", () => {
  const options = { startThresholdSamples: 300, maxBufferedSamples: 1000 };

  it("holds audio back until the jitter buffer has filled", () => {
    const queue = new PlaybackQueue(options);
    queue.push(constant(200));
    expect(pull(queue).every((sample) => sample === 0)).toBe(true);
    queue.push(constant(200));
    expect(pull(queue).every((sample) => sample === 0.5)).toBe(true);
    expect(queue.stats.playedSamples).toBe(BLOCK);
    expect(queue.stats.audibleSamples).toBe(BLOCK);
  });

  it("plays samples in order across chunk boundaries", () => {
    const queue = new PlaybackQueue({ ...options, startThresholdSamples: 1 });
    const ramp = Float32Array.from({ length: 300 }, (_, i) => i / 1000);
    queue.push(ramp.slice(0, 100));
    queue.push(ramp.slice(100));
    const played = [...pull(queue), ...pull(queue)];
    expect(played.slice(0, 256)).toEqual(Array.from(ramp.slice(0, 256)));
  });

  it("plays a short tail once it has waited as long as the threshold", () => {
    const queue = new PlaybackQueue(options);
    queue.push(constant(100));
    expect(pull(queue)[0]).toBe(0); // waited 128 of 300
    expect(pull(queue)[0]).toBe(0); // waited 256
    const out = pull(queue); // waited 384: play what there is
    expect(out.slice(0, 100).every((sample) => sample === 0.5)).toBe(true);
    expect(out.slice(100).every((sample) => sample === 0)).toBe(true);
    expect(queue.stats.starvations).toBe(1);
    expect(queue.stats.bufferedSamples).toBe(0);
  });

  it("goes back to buffering after running dry", () => {
    const queue = new PlaybackQueue(options);
    queue.push(constant(400));
    for (let i = 0; i < 3; i++) pull(queue); // 384 played, 16 left
    const dry = pull(queue);
    expect(dry[15]).toBe(0.5);
    expect(dry[16]).toBe(0);
    expect(queue.stats.starvations).toBe(1);
    queue.push(constant(100));
    expect(pull(queue)[0]).toBe(0);
  });

  it("flush silences at once and counts what it dropped", () => {
    const queue = new PlaybackQueue(options);
    queue.push(constant(800));
    pull(queue);
    queue.flush();
    expect(pull(queue).every((sample) => sample === 0)).toBe(true);
    expect(queue.stats).toMatchObject({
      flushes: 1,
      droppedSamples: 800 - BLOCK,
      bufferedSamples: 0,
    });
  });

  it("drops the oldest audio when it lags too far behind", () => {
    const queue = new PlaybackQueue({ ...options, startThresholdSamples: 1 });
    queue.push(constant(900, 0.1));
    queue.push(constant(300, 0.9));
    expect(queue.stats.bufferedSamples).toBe(1000);
    expect(queue.stats.droppedSamples).toBe(200);
    expect(pull(queue)[0]).toBeCloseTo(0.1);
  });

  it("does not count silence as audible", () => {
    const queue = new PlaybackQueue({ ...options, startThresholdSamples: 1 });
    queue.push(new Float32Array(BLOCK));
    pull(queue);
    expect(queue.stats.playedSamples).toBe(BLOCK);
    expect(queue.stats.audibleSamples).toBe(0);
  });

  it("marks the first audible block of each stretch of sound", () => {
    const queue = new PlaybackQueue({ ...options, startThresholdSamples: 1 });
    const onsets = (): boolean[] =>
      Array.from({ length: 4 }, () => queue.pull(new Float32Array(BLOCK)));
    queue.push(new Float32Array(BLOCK)); // a turn opening with silence...
    queue.push(constant(2 * BLOCK)); // ...then the voice
    expect(onsets()).toEqual([false, true, false, false]); // ran dry at the fourth block
    queue.push(constant(BLOCK)); // the next turn
    expect(onsets()).toEqual([true, false, false, false]);
    queue.push(constant(4 * BLOCK));
    queue.pull(new Float32Array(BLOCK));
    queue.flush(); // an interruption: the next sound is a new turn's
    queue.push(constant(BLOCK));
    expect(onsets()[0]).toBe(true);
  });

  it("defaults to 60 ms of jitter buffer", () => {
    expect(playbackOptionsFor(24_000).startThresholdSamples).toBe(1440);
  });
});
