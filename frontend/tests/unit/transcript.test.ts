import { describe, expect, it } from "vitest";

import { nextTranscript, type Transcript } from "@/conversation/transcript";
import type { ServerEvent } from "@/lib/protocol/events";

const id = { event_id: "e" };
const created: ServerEvent = {
  ...id,
  type: "response.created",
  response: { object: "realtime.response", status: "in_progress", voice: "v", chat_history: [] },
};
const said = (delta: string): ServerEvent => ({ ...id, type: "response.text.delta", delta });
const heard = (delta: string): ServerEvent => ({
  ...id,
  type: "conversation.item.input_audio_transcription.delta",
  delta,
  start_time: 0,
});

function run(events: ServerEvent[]): Transcript {
  return events.reduce<Transcript>(nextTranscript, []);
}

describe("transcript", () => {
  it("builds bot subtitles and user transcripts turn by turn", () => {
    expect(
      run([
        created,
        said("Hello"),
        said(" there!"),
        { ...id, type: "response.audio.done" },
        heard("what"),
        heard("time"),
        heard(" is it"),
        created,
        said("Noon."),
      ]),
    ).toEqual([
      { speaker: "bot", text: "Hello there!", interrupted: false },
      { speaker: "user", text: "what time is it", interrupted: false },
      { speaker: "bot", text: "Noon.", interrupted: false },
    ]);
  });

  it("marks the bot's turn when the user barges in", () => {
    const transcript = run([
      created,
      said("Once upon"),
      { ...id, type: "unmute.interrupted_by_vad" },
      heard("stop"),
    ]);
    expect(transcript).toEqual([
      { speaker: "bot", text: "Once upon", interrupted: true },
      { speaker: "user", text: "stop", interrupted: false },
    ]);
  });

  it("drops a bot turn interrupted before it said a word", () => {
    const interrupted: ServerEvent = { ...id, type: "unmute.interrupted_by_vad" };
    expect(run([created, said("Hi"), interrupted, created, interrupted, heard("wait")])).toEqual([
      { speaker: "bot", text: "Hi", interrupted: true },
      { speaker: "user", text: "wait", interrupted: false },
    ]);
  });

  it("ignores the LLM's early words: subtitles follow the voice", () => {
    const before = run([created]);
    const ready: ServerEvent = { ...id, type: "unmute.response.text.delta.ready", delta: "Hi" };
    expect(nextTranscript(before, ready)).toBe(before);
  });
});
