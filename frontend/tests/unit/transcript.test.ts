import { describe, expect, it } from "vitest";

import {
  droppedTranscript,
  historyOf,
  nextTranscript,
  type Transcript,
} from "@/conversation/transcript";
import {
  MAX_PRIOR_HISTORY_CHARS,
  MAX_PRIOR_MESSAGES,
  type ServerEvent,
  type ToolStatus,
} from "@/lib/protocol/events";

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

describe("tool activity", () => {
  const tool = (status: ToolStatus, callId = "call_1"): ServerEvent => ({
    ...id,
    type: "unmute.tool_call",
    call_id: callId,
    server: "weather",
    tool: "forecast",
    status,
  });

  it("shows the check before the bot's words about it, then how it went", () => {
    expect(
      run([
        heard("weather in Paris"),
        created,
        tool("running"),
        said("One moment, let me check."),
        { ...id, type: "response.audio.done" },
        tool("done"),
        created,
        said("Sunny."),
      ]),
    ).toEqual([
      { speaker: "user", text: "weather in Paris", interrupted: false },
      { speaker: "tool", text: "Checked weather", interrupted: false, callId: "call_1" },
      { speaker: "bot", text: "One moment, let me check.", interrupted: false },
      { speaker: "bot", text: "Sunny.", interrupted: false },
    ]);
  });

  it.each<[ToolStatus, string]>([
    ["running", "Checking weather…"],
    ["timeout", "Checking weather failed: no answer in time"],
    ["error", "Checking weather failed"],
    ["unavailable", "Checking weather failed: unavailable"],
    ["cancelled", "Stopped checking weather"],
  ])("says %s as %s", (status, text) => {
    expect(run([created, said("Hm."), tool("running"), tool(status)]).at(-1)).toEqual({
      speaker: "tool",
      text,
      interrupted: false,
      callId: "call_1",
    });
  });

  it("keeps each call in its own line", () => {
    const transcript = run([tool("running", "a"), tool("running", "b"), tool("error", "a")]);
    expect(transcript.map((turn) => turn.text)).toEqual([
      "Checking weather failed",
      "Checking weather…",
    ]);
  });
});

describe("the history offered to resume a conversation", () => {
  it("is what the user and the bot said, a cut reply marked, tool activity left out", () => {
    const transcript: Transcript = [
      { speaker: "bot", text: "Hello there!", interrupted: false },
      { speaker: "user", text: "what's the weather", interrupted: false },
      { speaker: "tool", text: "Checking weather…", interrupted: false, callId: "c1" },
      { speaker: "bot", text: "It is sunny and", interrupted: true },
      { speaker: "user", text: "thanks", interrupted: false },
      { speaker: "bot", text: "", interrupted: false }, // a reply that had not started
    ];
    expect(historyOf(transcript)).toEqual([
      { role: "assistant", content: "Hello there!" },
      { role: "user", content: "what's the weather" },
      { role: "assistant", content: "It is sunny and—" },
      { role: "user", content: "thanks" },
    ]);
  });

  it("is empty for a conversation that has not started", () => {
    expect(historyOf([])).toEqual([]);
  });

  it("keeps the newest turns within the bounds the server accepts", () => {
    const many: Transcript = Array.from({ length: MAX_PRIOR_MESSAGES + 5 }, (_, i) => ({
      speaker: i % 2 === 0 ? "user" : "bot",
      text: `turn ${i}`,
      interrupted: false,
    }));
    const history = historyOf(many);
    expect(history).toHaveLength(MAX_PRIOR_MESSAGES);
    expect(history.at(-1)?.content).toBe(`turn ${MAX_PRIOR_MESSAGES + 4}`);

    const long = "word ".repeat(MAX_PRIOR_HISTORY_CHARS / 5);
    const big: Transcript = [
      { speaker: "user", text: "the oldest", interrupted: false },
      { speaker: "bot", text: long, interrupted: false },
      { speaker: "user", text: long, interrupted: false },
    ];
    const kept = historyOf(big);
    expect(kept).toEqual([{ role: "user", content: long }]);
    expect(
      historyOf([{ speaker: "user", text: `${long}!`, interrupted: false }])[0]?.content,
    ).toHaveLength(MAX_PRIOR_HISTORY_CHARS);
  });
});

describe("the transcript of a dropped connection", () => {
  it("no longer shows a bot turn that had not said a word; keeps everything said", () => {
    const said: Transcript = [
      { speaker: "user", text: "hello", interrupted: false },
      { speaker: "bot", text: "Hi", interrupted: false },
    ];
    expect(droppedTranscript(said)).toBe(said);
    const waiting: Transcript = [...said, { speaker: "bot", text: "", interrupted: false }];
    expect(droppedTranscript(waiting)).toEqual(said);
  });
});
