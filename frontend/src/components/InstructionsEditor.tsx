/** Optional free-text instructions that replace the character's own. */

interface Props {
  value: string;
  disabled: boolean;
  onChange: (value: string) => void;
}

// Matches the backend's limit on constant instructions.
const MAX_INSTRUCTIONS_LENGTH = 20_000;

export function InstructionsEditor({ value, disabled, onChange }: Props) {
  return (
    <div className="field">
      <label htmlFor="instructions">Custom instructions (optional)</label>
      <textarea
        id="instructions"
        rows={3}
        maxLength={MAX_INSTRUCTIONS_LENGTH}
        placeholder="e.g. You are a pirate who answers every question with a sea story."
        value={value}
        disabled={disabled}
        onChange={(event) => onChange(event.target.value)}
      />
    </div>
  );
}
