"""Word times from Whisper's alignment, tidied at the edges of what was heard.

CTranslate2 times words by aligning the text with the audio through Whisper's
cross-attention (dynamic time warping), which places words well inside a sentence and
poorly at its edges: the first word takes in the silence before it, the last word the
silence after it, and words the decoder wrote beyond what it heard (a sentence repeated
after the real one, a cut-off last syllable) land at the end of the audio or past it.
So, as faster-whisper does, a word at either edge lasts at most twice the median word,
the first starts no sooner than Whisper's own first timestamp says speech starts, and
words that start at the very end are dropped.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from embedded.stt.word_commit import TimedWord

# Words starting this close to the end of the audio, or past it, were not heard.
UNHEARD_TAIL_S = 0.1
MAX_MEDIAN_WORD_S = 0.7  # faster-whisper's cap on the median used below
EDGE_WORD_MEDIANS = 2.0  # an edge word may last this many median words


def tidy_words(
    aligned: Sequence[TimedWord], audio_s: float, speech_start_s: float = 0.0
) -> list[TimedWord]:
    """`aligned` (times from the audio's start) with its edges tidied; see the module."""
    words = [
        TimedWord(word.text, word.start_s, min(word.stop_s, audio_s))
        for word in aligned
        if word.start_s < audio_s - UNHEARD_TAIL_S
    ]
    if not words:
        return []
    durations = [word.stop_s - word.start_s for word in words if word.stop_s > word.start_s]
    median = min(MAX_MEDIAN_WORD_S, statistics.median(durations)) if durations else 0.0
    longest = EDGE_WORD_MEDIANS * median
    first, last = words[0], words[-1]
    start = max(first.start_s, min(speech_start_s, first.stop_s), first.stop_s - longest)
    words[0] = TimedWord(first.text, start, first.stop_s)
    if len(words) > 1:
        words[-1] = TimedWord(last.text, last.start_s, min(last.stop_s, last.start_s + longest))
    return words
