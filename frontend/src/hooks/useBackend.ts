/** The backend's address, character list and health, loaded once when the page opens. */

import { useCallback, useEffect, useState } from "react";

import { type BackendAddress, resolveBackendAddress } from "@/lib/backend/address";
import { fetchHealth, fetchVoices, type Health, type Voice } from "@/lib/backend/api";

export interface BackendInfo {
  address: BackendAddress | null;
  voices: Voice[] | null;
  health: Health | null;
  /** Why the address or the character list could not be had. */
  problem: string | null;
  reload: () => void;
}

export function useBackend(): BackendInfo {
  const [address, setAddress] = useState<BackendAddress | null>(null);
  const [voices, setVoices] = useState<Voice[] | null>(null);
  const [health, setHealth] = useState<Health | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    try {
      setAddress(resolveBackendAddress(window.location.href));
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
    }
  }, []);

  useEffect(() => {
    if (address === null) return;
    let current = true;
    setProblem(null);
    fetchVoices(address)
      .then((list) => current && setVoices(list))
      .catch(
        (error: unknown) =>
          current && setProblem(error instanceof Error ? error.message : String(error)),
      );
    fetchHealth(address)
      .then((answer) => current && setHealth(answer))
      .catch(() => current && setHealth(null));
    return () => {
      current = false;
    };
  }, [address, generation]);

  const reload = useCallback(() => setGeneration((value) => value + 1), []);
  return { address, voices, health, problem, reload };
}
