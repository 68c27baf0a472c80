/** The one big control: connect, or hang up / stop waiting. */
import type { Phase } from "@/conversation/phase";

interface Props {
  phase: Phase;
  disabled: boolean;
  onConnect: () => void;
  onDisconnect: () => void;
}

function isActive(phase: Phase): boolean {
  return ["checking", "connecting", "waiting_for_seat", "reconnecting", "connected"].includes(
    phase.kind,
  );
}

export function ConnectButton({ phase, disabled, onConnect, onDisconnect }: Props) {
  const active = isActive(phase);
  const label = !active ? "Connect" : phase.kind === "connected" ? "Disconnect" : "Cancel";
  return (
    <button
      type="button"
      className={`connect ${active ? "connect-active" : ""}`}
      disabled={disabled && !active}
      onClick={active ? onDisconnect : onConnect}
    >
      {label}
    </button>
  );
}
