"""Speech and LLM servers paced the way Kyutai's moshi-server and a GPU LLM pace a
conversation, for measuring the backend on a load its own choices did not shape.

- STT: a `Step` per 80 ms frame, a 25 ms model step after the frame is complete (a burst
  of frames queues behind the model); a word's `Word` 6 frames after it began, then its
  `EndWord`; pause probabilities high after 6 silent frames.
- TTS: a `Text` message before each word's audio; `Audio` messages of 1,920 float32
  samples as msgpack arrays (as moshi-server writes them), at 4x real time once the first
  audio is out.
- LLM: 20-23 words per reply, 100 tokens a second after 150 ms.
"""
