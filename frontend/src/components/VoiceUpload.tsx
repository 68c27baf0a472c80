/** Speak with your own voice: upload a short clip when the server can clone voices. */
import { useState } from "react";

import type { BackendAddress } from "@/lib/backend/address";
import { uploadVoice } from "@/lib/backend/api";

interface Props {
  address: BackendAddress;
  customVoice: string | null;
  disabled: boolean;
  onVoice: (voice: string | null) => void;
}

type UploadState = { kind: "idle" } | { kind: "uploading" } | { kind: "failed"; message: string };

export function VoiceUpload({ address, customVoice, disabled, onVoice }: Props) {
  const [state, setState] = useState<UploadState>({ kind: "idle" });

  async function upload(file: File): Promise<void> {
    setState({ kind: "uploading" });
    try {
      onVoice(await uploadVoice(address, file, file.name));
      setState({ kind: "idle" });
    } catch (error) {
      setState({ kind: "failed", message: error instanceof Error ? error.message : String(error) });
    }
  }

  return (
    <div className="field voice-upload">
      <label htmlFor="voice-file">Your own voice (a clip of about 10 seconds)</label>
      <input
        id="voice-file"
        type="file"
        accept="audio/*"
        disabled={disabled || state.kind === "uploading"}
        onChange={(event) => {
          const file = event.target.files?.[0];
          if (file !== undefined) void upload(file);
        }}
      />
      <p className="hint" aria-live="polite">
        {state.kind === "uploading" && "Cloning the voice…"}
        {state.kind === "failed" && <span className="error-text">{state.message}</span>}
        {state.kind === "idle" && customVoice !== null && (
          <>
            The bot will speak with your voice.{" "}
            <button
              type="button"
              className="link"
              disabled={disabled}
              onClick={() => onVoice(null)}
            >
              Use the character&apos;s voice
            </button>
          </>
        )}
      </p>
    </div>
  );
}
