/** Subtitles of the bot and the user's transcript, newest at the bottom. */
import { useEffect, useRef } from "react";

import type { Transcript } from "@/conversation/transcript";

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
              data-testid={turn.speaker === "bot" ? "bot-subtitle" : "user-transcript"}
            >
              <span className="speaker">{turn.speaker === "bot" ? "Bot" : "You"}</span>
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
