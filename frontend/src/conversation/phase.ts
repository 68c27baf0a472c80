/** Where a conversation stands, as the page shows it, and how a server refusal is read. */

export type Phase =
  | { kind: "idle"; notice: string | null }
  | { kind: "checking" }
  | { kind: "unhealthy"; servicesDown: string[]; detail: string | null }
  | { kind: "connecting" }
  | { kind: "waiting_for_seat"; attempt: number; retryAt: number }
  /** The connection dropped mid-conversation: a new one will resume it. */
  | { kind: "reconnecting"; attempt: number; retryAt: number }
  /** `resumed`: the conversation went on from its history after a dropped connection. */
  | { kind: "connected"; resumed: boolean }
  | { kind: "failed"; message: string };

/** Close codes of the protocol that decide what happens next. */
export const CLOSE_NORMAL = 1000;
export const CLOSE_GOING_AWAY = 1001; // the server is restarting: reconnect elsewhere
export const CLOSE_SERVER_ERROR = 1011; // follows a fatal error event

// Closes that say nothing about the conversation, only that its server or the way to it
// went away: no close frame (the process died), a restart, a crash without a fatal error.
const RESUMABLE_CLOSES = new Set([CLOSE_GOING_AWAY, 1005, 1006, CLOSE_SERVER_ERROR, 1012, 1013]);

export interface FatalError {
  code: string | null;
  message: string;
}

// Messages of fatal errors that mean "full or briefly unavailable": retrying helps.
const RETRYABLE_MESSAGE = /\b(retry|busy|capacity|no free|seats?|unavailable right now)\b/i;

/** A fatal error the page should answer by waiting for a free seat and trying again. */
export function isCapacityError(error: FatalError): boolean {
  return error.code === "capacity" || RETRYABLE_MESSAGE.test(error.message);
}

// Warning codes by which the server says it is ending the call (a normal close follows).
const SESSION_END_CODES = new Set(["session_idle", "session_time_limit"]);

/** True for a warning that says why the server is about to end the call. */
export function isSessionEnd(error: { type: string; code?: string | null }): boolean {
  return error.type === "warning" && SESSION_END_CODES.has(error.code ?? "");
}

export const ENDED_NOTICE = "The conversation has ended.";

export type AfterClose =
  | { next: "check_health" }
  | { next: "wait_for_seat" }
  | { next: "resume" }
  | { next: "ended"; notice: string }
  | { next: "failed"; message: string };

/** What to do once the socket closed without the user asking; `ending` is why the server
 * said it would end the call, if it did; `resuming`: this socket was to resume a dropped
 * conversation. */
export function afterClose(
  closed: { code: number; reason: string; opened: boolean },
  fatal: FatalError | null,
  ending: string | null = null,
  resuming = false,
): AfterClose {
  if (fatal !== null)
    return isCapacityError(fatal)
      ? { next: "wait_for_seat" }
      : { next: "failed", message: fatal.message };
  // A server that died is being replaced: keep trying until it (or another) answers.
  if (!closed.opened && resuming) return { next: "resume" };
  // The browser hides a refused handshake's HTTP status: health tells "down" from "full".
  if (!closed.opened) return { next: "check_health" };
  if (closed.code === CLOSE_NORMAL) return { next: "ended", notice: ending ?? ENDED_NOTICE };
  if (RESUMABLE_CLOSES.has(closed.code)) return { next: "resume" };
  const reason = closed.reason || `code ${closed.code}`;
  return { next: "failed", message: `The connection to the server was lost (${reason}).` };
}
