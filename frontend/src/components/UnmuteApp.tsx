"use client";

/** The whole page: pick a character, connect, talk, read the subtitles. */
import { useCallback, useEffect, useState } from "react";

import { buildSession } from "@/conversation/sessionConfig";
import { useBackend } from "@/hooks/useBackend";
import { useConversation } from "@/hooks/useConversation";

import { CharacterPicker } from "./CharacterPicker";
import { ConnectButton } from "./ConnectButton";
import { ConversationView } from "./ConversationView";
import { InstructionsEditor } from "./InstructionsEditor";
import { LevelMeter } from "./LevelMeter";
import { StatusPanel } from "./StatusPanel";
import { VoiceUpload } from "./VoiceUpload";

export function UnmuteApp() {
  const backend = useBackend();
  const { conversation, state } = useConversation(backend.address);
  const [characterName, setCharacterName] = useState<string | null>(null);
  const [customInstructions, setCustomInstructions] = useState("");
  const [customVoice, setCustomVoice] = useState<string | null>(null);

  const voices = backend.voices;
  useEffect(() => {
    if (characterName === null && voices !== null && voices.length > 0) {
      setCharacterName((voices.find((voice) => voice.good) ?? voices[0])?.name ?? null);
    }
  }, [characterName, voices]);

  const character = voices?.find((voice) => voice.name === characterName) ?? null;
  const busy =
    state.phase.kind !== "idle" &&
    state.phase.kind !== "failed" &&
    state.phase.kind !== "unhealthy";

  const connect = useCallback(() => {
    if (conversation === null || character === null) return;
    void conversation.start(buildSession({ character, customInstructions, customVoice }));
  }, [conversation, character, customInstructions, customVoice]);
  const disconnect = useCallback(() => conversation?.stop(), [conversation]);
  const userLevel = useCallback(() => conversation?.levels.user ?? 0, [conversation]);
  const botLevel = useCallback(() => conversation?.levels.bot ?? 0, [conversation]);

  return (
    <main className="app">
      <header className="app-header">
        <h1>Unmute</h1>
        <p className="tagline">Talk with a text model, out loud.</p>
      </header>

      <section className="controls" aria-label="Settings">
        {backend.problem !== null && (
          <div className="status status-error" role="alert">
            <p>Could not load the characters: {backend.problem}</p>
            <button type="button" onClick={backend.reload}>
              Try again
            </button>
          </div>
        )}
        {voices === null && backend.problem === null && <p className="hint">Loading characters…</p>}
        {voices !== null && (
          <CharacterPicker
            voices={voices}
            selected={characterName}
            disabled={busy}
            onSelect={setCharacterName}
          />
        )}
        <InstructionsEditor
          value={customInstructions}
          disabled={busy}
          onChange={setCustomInstructions}
        />
        {backend.health?.voice_cloning_up === true && backend.address !== null && (
          <VoiceUpload
            address={backend.address}
            customVoice={customVoice}
            disabled={busy}
            onVoice={setCustomVoice}
          />
        )}
      </section>

      <section className="talk" aria-label="Conversation controls">
        <ConnectButton
          phase={state.phase}
          disabled={conversation === null || character === null}
          onConnect={connect}
          onDisconnect={disconnect}
        />
        <div className="meters">
          <LevelMeter label="You" read={userLevel} />
          <LevelMeter label="Bot" read={botLevel} />
        </div>
        <StatusPanel phase={state.phase} onRetry={connect} />
      </section>

      <ConversationView transcript={state.transcript} />
    </main>
  );
}
