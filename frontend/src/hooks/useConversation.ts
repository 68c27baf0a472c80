/** A `Conversation` for the page's lifetime, with its state as React state. */

import { useCallback, useEffect, useState, useSyncExternalStore } from "react";

import { Conversation, type ConversationState, IDLE_STATE } from "@/conversation/conversation";
import type { BackendAddress } from "@/lib/backend/address";

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

  const subscribe = useCallback(
    (listener: () => void) => conversation?.subscribe(listener) ?? (() => undefined),
    [conversation],
  );
  const state = useSyncExternalStore(
    subscribe,
    () => conversation?.state ?? IDLE_STATE,
    () => IDLE_STATE,
  );
  return { conversation, state };
}
