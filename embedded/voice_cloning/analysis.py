"""Measure a speaker's voice from a clip: pitch, pitch range and speaking rate.

Pitch comes from a normalised autocorrelation per frame (voiced frames only); the rate
from counting loudness peaks, which in speech fall roughly one per syllable. Both are
plain numpy: good enough to tell a low voice from a high one, or a slow talker from a
fast one, which is all the CPU voice needs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import soxr

FloatArray = npt.NDArray[np.float32]

# Analysis runs at 16 kHz: plenty for pitch and loudness, and cheaper than 24 or 48 kHz.
ANALYSIS_RATE = 16_000
# 40 ms frames hold at least two periods of the lowest pitch we look for.
_FRAME_S = 0.040
_HOP_S = 0.010
# Covers bass to child voices; espeak's lowest settings sit near 60 Hz.
MIN_PITCH_HZ = 55.0
MAX_PITCH_HZ = 420.0
# A frame is voiced when its periodicity is clear and it is not far below the loud parts.
_VOICING_THRESHOLD = 0.5
_SILENCE_BELOW_LOUDEST_DB = 30.0
# Syllable nuclei: loudness peaks at least this far apart (no one says 12 syllables/s).
_MIN_SYLLABLE_GAP_S = 0.085
_SYLLABLE_PROMINENCE_DB = 3.0


@dataclass(frozen=True)
class VoiceMeasurements:
    """What a clip says about its speaker, in physical units."""

    pitch_hz: float  # median pitch of the voiced frames
    pitch_range_semitones: float  # spread between the 10th and 90th pitch percentiles
    syllables_per_s: float  # syllable nuclei per second of speech (pauses excluded)
    voiced_s: float  # how much voiced audio the measurements rest on


def to_analysis_rate(audio: FloatArray, sample_rate: int) -> FloatArray:
    if sample_rate == ANALYSIS_RATE:
        return audio.astype(np.float32, copy=False)
    resampled: FloatArray = soxr.resample(audio, sample_rate, ANALYSIS_RATE).astype(np.float32)
    return resampled


def _frames(audio: FloatArray) -> FloatArray:
    frame = int(_FRAME_S * ANALYSIS_RATE)
    hop = int(_HOP_S * ANALYSIS_RATE)
    if len(audio) < frame:
        return np.zeros((0, frame), np.float32)
    windows = np.lib.stride_tricks.sliding_window_view(audio, frame)[::hop]
    return np.ascontiguousarray(windows, dtype=np.float32)


def _frame_loudness_db(frames: FloatArray) -> FloatArray:
    rms = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-12)
    loudness: FloatArray = (20 * np.log10(rms)).astype(np.float32)
    return loudness


def pitch_track(audio: FloatArray) -> FloatArray:
    """Pitch in Hz per 10 ms frame of 16 kHz audio; 0 where the frame is unvoiced."""
    frames = _frames(audio)
    if len(frames) == 0:
        return np.zeros(0, np.float32)
    size = frames.shape[1]
    window = np.hanning(size)
    # Dividing by the window's own autocorrelation undoes its taper (Boersma, 1993).
    window_ac = _autocorrelation(window[None, :])[0]
    window_ac /= window_ac[0]
    centred = (frames - frames.mean(axis=1, keepdims=True)) * window
    ac = _autocorrelation(centred)
    energy = ac[:, :1]
    normalised = ac / np.maximum(energy, 1e-12) / np.maximum(window_ac, 1e-12)

    min_lag = int(ANALYSIS_RATE / MAX_PITCH_HZ)
    max_lag = min(int(ANALYSIS_RATE / MIN_PITCH_HZ), size // 2)
    search = normalised[:, min_lag : max_lag + 1]
    best = np.argmax(search, axis=1)
    strength = search[np.arange(len(search)), best]
    # Prefer the shortest-lag peak nearly as strong as the best one: avoids octave-low errors.
    inner = search[:, 1:-1]
    is_peak = (inner >= search[:, :-2]) & (inner >= search[:, 2:])
    strong_peak = is_peak & (inner >= (0.9 * strength)[:, None])
    chosen = np.where(strong_peak.any(axis=1), np.argmax(strong_peak, axis=1) + 1, best)
    lag = (chosen + min_lag).astype(np.float64)
    lag += _parabolic_offset(normalised, chosen + min_lag)

    loudness = _frame_loudness_db(frames)
    loud_enough = loudness > np.max(loudness) - _SILENCE_BELOW_LOUDEST_DB
    voiced = (strength > _VOICING_THRESHOLD) & loud_enough
    pitch = np.where(voiced, ANALYSIS_RATE / lag, 0.0)
    return pitch.astype(np.float32)


def _autocorrelation(frames: npt.NDArray[np.floating]) -> npt.NDArray[np.float64]:
    n = frames.shape[1]
    spectrum = np.fft.rfft(frames, 2 * n, axis=1)
    result: npt.NDArray[np.float64] = np.fft.irfft(np.abs(spectrum) ** 2, axis=1)[:, :n]
    return result


def _parabolic_offset(curves: npt.NDArray[np.floating], peaks: npt.NDArray[np.intp]) -> FloatArray:
    rows = np.arange(len(curves))
    left = curves[rows, peaks - 1]
    centre = curves[rows, peaks]
    right = curves[rows, np.minimum(peaks + 1, curves.shape[1] - 1)]
    denominator = left - 2 * centre + right
    safe = np.where(np.abs(denominator) > 1e-9, denominator, 1.0)
    offset = np.where(np.abs(denominator) > 1e-9, 0.5 * (left - right) / safe, 0.0)
    clipped: FloatArray = np.clip(offset, -0.5, 0.5).astype(np.float32)
    return clipped


def syllable_rate(audio: FloatArray) -> float:
    """Loudness peaks per second of non-silent 16 kHz audio."""
    frames = _frames(audio)
    if len(frames) < 3:
        return 0.0
    loudness = _frame_loudness_db(frames)
    # Smooth over ~50 ms so that one vowel gives one peak.
    kernel = np.hanning(7)
    smooth = np.convolve(loudness, kernel / kernel.sum(), mode="same")
    floor = np.max(smooth) - _SILENCE_BELOW_LOUDEST_DB
    speaking = smooth > floor
    speech_s = float(np.count_nonzero(speaking)) * _HOP_S
    if speech_s <= 0:
        return 0.0
    return _count_peaks(smooth, floor) / speech_s


def _count_peaks(curve: FloatArray, floor: float) -> int:
    """Local maxima above `floor` that rise `_SYLLABLE_PROMINENCE_DB` over the dip before."""
    min_gap = int(_MIN_SYLLABLE_GAP_S / _HOP_S)
    count = 0
    last_peak = -min_gap
    dip = float(curve[0])
    for index in range(1, len(curve) - 1):
        value = float(curve[index])
        dip = min(dip, value)
        is_peak = curve[index - 1] < value >= curve[index + 1]
        if (
            is_peak
            and value > floor
            and value - dip >= _SYLLABLE_PROMINENCE_DB
            and index - last_peak >= min_gap
        ):
            count += 1
            last_peak = index
            dip = value
    return count


def measure_voice(audio: FloatArray, sample_rate: int) -> VoiceMeasurements:
    """Pitch, pitch range and speaking rate of the (mono) speech in `audio`."""
    analysed = to_analysis_rate(audio, sample_rate)
    pitch = pitch_track(analysed)
    voiced = pitch[pitch > 0]
    if len(voiced) == 0:
        return VoiceMeasurements(0.0, 0.0, 0.0, 0.0)
    low, median, high = np.percentile(voiced, [10, 50, 90])
    return VoiceMeasurements(
        pitch_hz=float(median),
        pitch_range_semitones=float(12 * np.log2(high / low)),
        syllables_per_s=syllable_rate(analysed),
        voiced_s=len(voiced) * _HOP_S,
    )
