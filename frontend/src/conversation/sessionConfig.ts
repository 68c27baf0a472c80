/** The `session.update` the page sends for the user's choices. */
import { type Voice, voiceId } from "@/lib/backend/api";
import type { Instructions, Language, SessionConfig } from "@/lib/protocol/events";

export interface SessionChoices {
  character: Voice;
  /** Free text that replaces the character's own instructions when not blank. */
  customInstructions: string;
  /** A `custom:<id>` voice from an upload, spoken instead of the character's voice. */
  customVoice: string | null;
}

function languageOf(instructions: Instructions): Language | null {
  return "language" in instructions ? (instructions.language ?? null) : null;
}

export function buildSession(choices: SessionChoices): SessionConfig {
  const text = choices.customInstructions.trim();
  const instructions: Instructions =
    text === ""
      ? choices.character.instructions
      : { type: "constant", text, language: languageOf(choices.character.instructions) };
  return {
    instructions,
    voice: choices.customVoice ?? voiceId(choices.character),
    // Conversations are not recorded unless a deployment adds explicit consent.
    allow_recording: false,
    // Show the bot's tool calls ("Checking weather…"); the server sends them only if asked.
    tool_events: true,
    // The page builds its transcript from the deltas it hears, not from the history: the
    // server need not send the whole history at every turn.
    history_updates: "delta",
  };
}
