/** Choose who the bot is: one radio button per character from `/v1/voices`. */
import type { Voice } from "@/lib/backend/api";

interface Props {
  voices: readonly Voice[];
  selected: string | null;
  disabled: boolean;
  onSelect: (name: string) => void;
}

function summary(voice: Voice): string {
  const instructions = voice.instructions;
  if (instructions.type === "constant") return instructions.text;
  return {
    smalltalk: "Chats about anything.",
    guess_animal: "Plays a guess-the-animal game.",
    quiz_show: "Hosts a quiz show.",
    news: "Talks about the news.",
    unmute_explanation: "Explains how Unmute works.",
  }[instructions.type];
}

export function CharacterPicker({ voices, selected, disabled, onSelect }: Props) {
  return (
    <fieldset className="characters" disabled={disabled}>
      <legend>Character</legend>
      <div className="character-grid">
        {voices.map((voice) => (
          <label key={voice.name} className="character" data-selected={voice.name === selected}>
            <input
              type="radio"
              name="character"
              value={voice.name}
              checked={voice.name === selected}
              onChange={() => onSelect(voice.name)}
            />
            <span className="character-name">{voice.name}</span>
            <span className="character-summary">{summary(voice)}</span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}
