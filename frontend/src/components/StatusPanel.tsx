/** Where the conversation stands: checking, waiting for a seat, reconnecting, failed, ended. */
import { useEffect, useState } from "react";

import type { Phase } from "@/conversation/phase";

import { HealthReport } from "./HealthReport";

function useSecondsUntil(time: number | null): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (time === null) return;
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, [time]);
  return time === null ? 0 : Math.max(0, Math.ceil((time - now) / 1000));
}

export function StatusPanel({ phase, onRetry }: { phase: Phase; onRetry: () => void }) {
  const seconds = useSecondsUntil(phase.kind === "waiting_for_seat" ? phase.retryAt : null);
  if (phase.kind === "connected" && phase.resumed) {
    return (
      <p className="status status-live" role="status" data-testid="resumed">
        Reconnected. Carry on where you left off.
      </p>
    );
  }
  switch (phase.kind) {
    case "idle":
      return phase.notice === null ? null : (
        <p className="status" role="status">
          {phase.notice}
        </p>
      );
    case "checking":
      return (
        <p className="status" role="status">
          Checking the server…
        </p>
      );
    case "connecting":
      return (
        <p className="status" role="status">
          Connecting…
        </p>
      );
    case "connected":
      return (
        <p className="status status-live" role="status">
          Connected. Speak whenever you like.
        </p>
      );
    case "reconnecting":
      return (
        <p className="status status-waiting" role="status" data-testid="reconnecting">
          The connection dropped. Reconnecting… (attempt {phase.attempt})
        </p>
      );
    case "waiting_for_seat":
      return (
        <p className="status status-waiting" role="status" data-testid="waiting-for-seat">
          Waiting for a free seat: the server is busy. Trying again
          {seconds > 0 ? ` in ${seconds} s` : " now"} (attempt {phase.attempt}).
        </p>
      );
    case "unhealthy":
      return (
        <HealthReport servicesDown={phase.servicesDown} detail={phase.detail} onRetry={onRetry} />
      );
    case "failed":
      return (
        <div className="status status-error" role="alert">
          <p>{phase.message}</p>
        </div>
      );
  }
}
