/** Subtitles of the bot and the user's transcript, newest at the bottom. */
import { useEffect, useRef } from "react";

import type { Transcript } from "@/conversation/transcript";

const SPEAKERS = { bot: "Bot", user: "You", tool: "Tool" } as const;
const TEST_IDS = { bot: "bot-subtitle", user: "user-transcript", tool: "tool-activity" } as const;

interface Props {
  transcript: Transcript;
}

export function ConversationView({ transcript }: Props) {
  const end = useRef<HTMLLIElement>(null);
  const count = transcript.length;
  const lastText = transcript.at(-1)?.text;

  useEffect(() => {
    end.current?.scrollIntoView({ block: "nearest" });
  }, [count, lastText]);

  return (
    <section className="conversation" aria-label="Conversation">
      {transcript.length === 0 ? (
        <p className="hint">Subtitles appear here once the conversation starts.</p>
      ) : (
        <ol aria-live="polite">
          {transcript.map((turn, index) => (
            <li
              key={index}
              ref={index === transcript.length - 1 ? end : undefined}
              className={`turn turn-${turn.speaker}`}
              data-testid={TEST_IDS[turn.speaker]}
            >
              <span className="speaker">{SPEAKERS[turn.speaker]}</span>
              <span className="words">
                {turn.text || "…"}
                {turn.interrupted && <span className="interrupted"> (interrupted)</span>}
              </span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
