/** Audio levels for the meters and for the page's test hooks. */

/** Root mean square of a block of samples (0 for an empty block). */
export function rms(samples: Float32Array): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (const sample of samples) sum += sample * sample;
  return Math.sqrt(sum / samples.length);
}

// Meters show -60 dBFS (a quiet room) to 0 dBFS on a linear scale, as people hear loudness.
const METER_FLOOR_DB = -60;

/** An RMS level mapped to 0..1 for a meter. */
export function meterLevel(level: number): number {
  if (level <= 0) return 0;
  const db = 20 * Math.log10(level);
  return Math.min(1, Math.max(0, (db - METER_FLOOR_DB) / -METER_FLOOR_DB));
}

// -50 dBFS: above dither and codec noise, below the quietest syllable of real speech.
export const AUDIBLE_RMS = 0.003;
