/**
 * What was said, turn by turn, built from server events: the bot's subtitles
 * (`response.text.delta`, words as they are spoken), the user's transcript, and the
 * tools the bot uses (`unmute.tool_call`).
 */
import {
  MAX_PRIOR_HISTORY_CHARS,
  MAX_PRIOR_MESSAGES,
  type PriorMessage,
  type ServerEvent,
} from "@/lib/protocol/events";

import { toolActivityText } from "./toolActivity";

export interface Turn {
  speaker: "user" | "bot" | "tool";
  text: string;
  /** The user barged in before the bot finished this turn. */
  interrupted: boolean;
  /** A tool turn's call, which its later events update. */
  callId?: string;
}

export type Transcript = readonly Turn[];

function appendWord(text: string, word: string): string {
  if (text === "" || /^\s/.test(word)) return (text + word).trimStart();
  return `${text} ${word}`;
}

function withLast(transcript: Transcript, update: (turn: Turn) => Turn): Transcript {
  const last = transcript.at(-1);
  return last === undefined ? transcript : [...transcript.slice(0, -1), update(last)];
}

/** The transcript after one server event (the same object when nothing changed). */
export function nextTranscript(transcript: Transcript, event: ServerEvent): Transcript {
  const last = transcript.at(-1);
  switch (event.type) {
    case "response.created":
      return [...transcript, { speaker: "bot", text: "", interrupted: false }];
    case "response.text.delta":
      if (last?.speaker !== "bot") {
        return [...transcript, { speaker: "bot", text: event.delta.trim(), interrupted: false }];
      }
      return withLast(transcript, (turn) => ({
        ...turn,
        text: appendWord(turn.text, event.delta),
      }));
    case "conversation.item.input_audio_transcription.delta":
      if (last?.speaker !== "user") {
        return [...transcript, { speaker: "user", text: event.delta.trim(), interrupted: false }];
      }
      return withLast(transcript, (turn) => ({
        ...turn,
        text: appendWord(turn.text, event.delta),
      }));
    case "unmute.tool_call": {
      const text = toolActivityText(event.server, event.tool, event.status);
      const shown = transcript.findIndex((turn) => turn.callId === event.call_id);
      if (shown >= 0) {
        return transcript.map((turn, index) => (index === shown ? { ...turn, text } : turn));
      }
      const activity: Turn = { speaker: "tool", text, interrupted: false, callId: event.call_id };
      // Before the bot's turn that has not said a word yet: its words come after the call.
      if (last?.speaker === "bot" && last.text === "") {
        return [...transcript.slice(0, -1), activity, last];
      }
      return [...transcript, activity];
    }
    case "unmute.interrupted_by_vad":
      if (last?.speaker !== "bot") return transcript;
      // A turn cut before its first word said nothing: drop it rather than show "…".
      if (last.text === "") return transcript.slice(0, -1);
      return withLast(transcript, (turn) => ({ ...turn, interrupted: true }));
    default:
      return transcript;
  }
}

/** The transcript once its connection dropped: a bot turn that had not said a word yet
 * never will (the new connection does not go on with it), so it is no longer shown. */
export function droppedTranscript(transcript: Transcript): Transcript {
  const last = transcript.at(-1);
  return last?.speaker === "bot" && last.text === "" ? transcript.slice(0, -1) : transcript;
}

// What the server's history appends to a reply the user cut off, so the LLM knows.
const INTERRUPTION_MARK = "—";

/** The conversation so far as `session.history`, to resume it on a new connection: the
 * user's and the bot's turns as heard (tool activity is the page's own), the newest ones
 * within the bounds the server accepts. */
export function historyOf(transcript: Transcript): PriorMessage[] {
  const history: PriorMessage[] = [];
  let chars = 0;
  for (const turn of [...transcript].reverse()) {
    if (turn.speaker === "tool" || turn.text === "") continue;
    const content = turn.interrupted ? `${turn.text}${INTERRUPTION_MARK}` : turn.text;
    if (history.length === MAX_PRIOR_MESSAGES) break;
    if (chars + content.length > MAX_PRIOR_HISTORY_CHARS) {
      if (history.length === 0)
        history.push({ role: roleOf(turn), content: content.slice(-MAX_PRIOR_HISTORY_CHARS) });
      break;
    }
    history.push({ role: roleOf(turn), content });
    chars += content.length;
  }
  return history.reverse();
}

function roleOf(turn: Turn): PriorMessage["role"] {
  return turn.speaker === "user" ? "user" : "assistant";
}
