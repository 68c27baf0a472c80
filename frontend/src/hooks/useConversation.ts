/** A `Conversation` for the page's lifetime, with its state as React state. */

import { useEffect, useState, useSyncExternalStore } from "react";

import { Conversation, type ConversationState } from "@/conversation/conversation";
import type { BackendAddress } from "@/lib/backend/address";

const IDLE_STATE: ConversationState = {
  phase: { kind: "idle", notice: null },
  transcript: [],
  botTurn: false,
};

export function useConversation(address: BackendAddress | null): {
  conversation: Conversation | null;
  state: ConversationState;
} {
  const [conversation, setConversation] = useState<Conversation | null>(null);

  useEffect(() => {
    if (address === null) return;
    const created = new Conversation(address);
    setConversation(created);
    return () => created.dispose();
  }, [address]);

  const state = useSyncExternalStore(
    (listener) => conversation?.subscribe(listener) ?? (() => undefined),
    () => conversation?.state ?? IDLE_STATE,
    () => IDLE_STATE,
  );
  return { conversation, state };
}
