/**
 * The browser ⇄ backend protocol (shared/docs/protocols.md §1): every server event the
 * app understands, validated on arrival, and builders for the events it sends.
 */
import { z } from "zod";

export const LANGUAGES = ["en", "fr", "en/fr", "fr/en"] as const;
export type Language = (typeof LANGUAGES)[number];
const language = z.enum(LANGUAGES).nullable().optional();

export const instructionsSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("constant"), text: z.string(), language }),
  z.object({ type: z.literal("smalltalk"), language }),
  z.object({ type: z.literal("guess_animal"), language }),
  z.object({ type: z.literal("quiz_show"), language }),
  z.object({ type: z.literal("news"), language }),
  z.object({ type: z.literal("unmute_explanation") }),
]);
export type Instructions = z.infer<typeof instructionsSchema>;

/** The bounds the server puts on an offered history (`session.history`). */
export const MAX_PRIOR_MESSAGES = 1000;
export const MAX_PRIOR_HISTORY_CHARS = 100_000;

const priorMessage = z.object({
  role: z.enum(["user", "assistant"]),
  content: z.string().min(1),
});
export type PriorMessage = z.infer<typeof priorMessage>;

const sessionSchema = z.object({
  instructions: instructionsSchema.nullable().optional(),
  voice: z.string().nullable().optional(),
  allow_recording: z.boolean(),
  /** An Unmute extension: also send `unmute.tool_call`, the bot's tool calls. */
  tool_events: z.boolean().optional(),
  /** An Unmute extension: send the chat history as changes (`chat_history_start`). */
  history_updates: z.literal("delta").optional(),
  /** An Unmute extension: the conversation so far, to resume it on a new connection. */
  history: z.array(priorMessage).max(MAX_PRIOR_MESSAGES).optional(),
});
export type SessionConfig = z.infer<typeof sessionSchema>;

const chatMessage = z.object({
  role: z.enum(["system", "user", "assistant"]),
  content: z.string(),
});
export type ChatMessage = z.infer<typeof chatMessage>;

const base = { event_id: z.string() };

export const TOOL_STATUSES = [
  "running",
  "done",
  "timeout",
  "error",
  "unavailable",
  "cancelled",
] as const;
export type ToolStatus = (typeof TOOL_STATUSES)[number];
const delta = { ...base, delta: z.string() };

export const serverEventSchema = z.discriminatedUnion("type", [
  z.object({
    ...base,
    type: z.literal("error"),
    error: z.object({
      type: z.enum(["fatal", "warning", "invalid_request_error"]),
      code: z.string().nullable().optional(),
      message: z.string(),
      param: z.string().nullable().optional(),
      details: z.unknown().optional(),
    }),
  }),
  z.object({ ...base, type: z.literal("session.updated"), session: sessionSchema }),
  z.object({
    ...base,
    type: z.literal("response.created"),
    response: z.object({
      object: z.literal("realtime.response"),
      status: z.string(),
      voice: z.string(),
      chat_history: z.array(chatMessage),
    }),
  }),
  z.object({ ...delta, type: z.literal("unmute.response.text.delta.ready") }),
  z.object({ ...delta, type: z.literal("response.text.delta") }),
  z.object({ ...base, type: z.literal("response.text.done"), text: z.string() }),
  z.object({ ...delta, type: z.literal("response.audio.delta") }),
  z.object({ ...base, type: z.literal("response.audio.done") }),
  z.object({
    ...delta,
    type: z.literal("conversation.item.input_audio_transcription.delta"),
    start_time: z.number(),
  }),
  z.object({ ...base, type: z.literal("input_audio_buffer.speech_started") }),
  z.object({ ...base, type: z.literal("input_audio_buffer.speech_stopped") }),
  z.object({ ...base, type: z.literal("unmute.interrupted_by_vad") }),
  z.object({
    ...base,
    type: z.literal("unmute.additional_outputs"),
    args: z.object({
      chat_history: z.array(chatMessage),
      /** With `history_updates: "delta"`: chat_history holds the messages from here on. */
      chat_history_start: z.number().int().optional(),
      debug_dict: z.record(z.string(), z.unknown()).optional(),
      debug_plot_data: z.array(z.unknown()).optional(),
    }),
  }),
  // Only sent because the session asks for it (`tool_events`).
  z.object({
    ...base,
    type: z.literal("unmute.tool_call"),
    call_id: z.string(),
    server: z.string(),
    tool: z.string(),
    status: z.enum(TOOL_STATUSES),
  }),
]);
export type ServerEvent = z.infer<typeof serverEventSchema>;
export type ServerEventType = ServerEvent["type"];
export type ServerEventOf<T extends ServerEventType> = Extract<ServerEvent, { type: T }>;

export type ParsedServerEvent =
  { ok: true; event: ServerEvent } | { ok: false; problem: string; type: string | null };

/** Validate one text frame from the server; never throws. */
export function parseServerEvent(frame: string): ParsedServerEvent {
  let json: unknown;
  try {
    json = JSON.parse(frame);
  } catch {
    return { ok: false, problem: "not JSON", type: null };
  }
  const result = serverEventSchema.safeParse(json);
  if (result.success) return { ok: true, event: result.data };
  const type =
    typeof json === "object" && json !== null && "type" in json && typeof json.type === "string"
      ? json.type
      : null;
  const problem = result.error.issues
    .map((issue) => `${issue.path.join(".") || "(event)"}: ${issue.message}`)
    .join("; ");
  return { ok: false, problem, type };
}

export interface SessionUpdateEvent {
  type: "session.update";
  session: SessionConfig;
}

export interface AudioAppendEvent {
  type: "input_audio_buffer.append";
  audio: string;
}

export type ClientEvent = SessionUpdateEvent | AudioAppendEvent;

export function sessionUpdate(session: SessionConfig): SessionUpdateEvent {
  return { type: "session.update", session: sessionSchema.parse(session) };
}

export function audioAppend(base64OggPages: string): AudioAppendEvent {
  return { type: "input_audio_buffer.append", audio: base64OggPages };
}
