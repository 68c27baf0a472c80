import { describe, expect, it } from "vitest";

import { buildSession } from "@/conversation/sessionConfig";
import { type Voice, voiceSchema } from "@/lib/backend/api";
import { audioAppend, parseServerEvent, sessionUpdate } from "@/lib/protocol/events";

import { SERVER_EVENT_FRAMES, VOICES_RESPONSE } from "./fixtures";

describe("parseServerEvent", () => {
  it("accepts every event the backend's own models produce", () => {
    const types = SERVER_EVENT_FRAMES.map((frame) => {
      const parsed = parseServerEvent(frame);
      if (!parsed.ok) throw new Error(`${frame}: ${parsed.problem}`);
      return parsed.event.type;
    });
    expect(new Set(types).size).toBe(13); // all server event types of protocols.md §1
  });

  it("keeps the fields the page uses", () => {
    const parsed = parseServerEvent(
      '{"type":"conversation.item.input_audio_transcription.delta","event_id":"event_1","delta":"hi","start_time":0.5}',
    );
    expect(parsed).toEqual({
      ok: true,
      event: {
        type: "conversation.item.input_audio_transcription.delta",
        event_id: "event_1",
        delta: "hi",
        start_time: 0.5,
      },
    });
  });

  it("reads the tool calls a session asked to see, as the backend sends them", () => {
    const parsed = parseServerEvent(
      '{"event_id":"event_1","type":"unmute.tool_call","call_id":"call_1","server":"weather","tool":"forecast","status":"timeout"}',
    );
    expect(parsed.ok && parsed.event.type === "unmute.tool_call" && parsed.event.status).toBe(
      "timeout",
    );
    const unknown = parseServerEvent(
      '{"event_id":"e","type":"unmute.tool_call","call_id":"c","server":"s","tool":"t","status":"lost"}',
    );
    expect(unknown.ok).toBe(false);
  });

  it("ignores unknown extra fields", () => {
    const parsed = parseServerEvent('{"type":"response.audio.done","event_id":"e","later":1}');
    expect(parsed.ok).toBe(true);
  });

  it.each([
    ["not JSON", "{", null],
    ["an unknown type", '{"type":"response.nonsense","event_id":"e"}', "response.nonsense"],
    ["a missing field", '{"type":"response.text.delta","event_id":"e"}', "response.text.delta"],
    [
      "a wrong field type",
      '{"type":"response.text.delta","event_id":"e","delta":3}',
      "response.text.delta",
    ],
    ["no event_id", '{"type":"response.audio.done"}', "response.audio.done"],
    [
      "an unknown error kind",
      '{"type":"error","event_id":"e","error":{"type":"oops","message":"m"}}',
      "error",
    ],
    ["a JSON array", "[1]", null],
  ])("rejects %s, naming the type when there is one", (_name, frame, type) => {
    const parsed = parseServerEvent(frame);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.type).toBe(type);
      expect(parsed.problem.length).toBeGreaterThan(0);
    }
  });
});

describe("client events", () => {
  it("session.update carries the session as protocols.md §1 spells it", () => {
    const event = sessionUpdate({
      instructions: { type: "constant", text: "Be brief.", language: "en" },
      voice: "custom:abc",
      allow_recording: false,
    });
    expect(JSON.parse(JSON.stringify(event))).toEqual({
      type: "session.update",
      session: {
        instructions: { type: "constant", text: "Be brief.", language: "en" },
        voice: "custom:abc",
        allow_recording: false,
      },
    });
  });

  it("session.update refuses instructions the server would refuse", () => {
    expect(() =>
      sessionUpdate({
        // @ts-expect-error: not a known instructions type
        instructions: { type: "poetry" },
        allow_recording: false,
      }),
    ).toThrow();
  });

  it("input_audio_buffer.append carries base64 audio", () => {
    expect(audioAppend("T2dnUw==")).toEqual({
      type: "input_audio_buffer.append",
      audio: "T2dnUw==",
    });
  });
});

describe("characters and sessions", () => {
  const voices: Voice[] = VOICES_RESPONSE.map((entry) => voiceSchema.parse(entry));

  it("reads the backend's character list", () => {
    expect(voices.map((voice) => voice.name)).toEqual(["Robin", "Ada", "Chef Basile"]);
  });

  it("uses the character's instructions and voice by default", () => {
    const robin = voices[0]!;
    expect(buildSession({ character: robin, customInstructions: "  ", customVoice: null })).toEqual(
      {
        instructions: { type: "smalltalk", language: "en" },
        voice: "unmute-prod-website/p329_022.wav",
        allow_recording: false,
        tool_events: true,
        history_updates: "delta",
      },
    );
  });

  it("custom text and an uploaded voice replace the character's", () => {
    const ada = voices[1]!;
    expect(
      buildSession({
        character: ada,
        customInstructions: " Talk like a pirate. ",
        customVoice: "custom:42",
      }),
    ).toEqual({
      instructions: { type: "constant", text: "Talk like a pirate.", language: "en" },
      voice: "custom:42",
      allow_recording: false,
      tool_events: true,
      history_updates: "delta",
    });
  });
});
