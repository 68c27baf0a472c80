/** The `/v1/realtime` WebSocket: subprotocol `realtime`, JSON text frames, typed events. */
import { type ClientEvent, parseServerEvent, type ServerEvent } from "@/lib/protocol/events";

export const REALTIME_SUBPROTOCOL = "realtime";
// Past this much unsent data the network cannot keep up; audio is dropped, not queued.
const MAX_BUFFERED_BYTES = 256 * 1024;

export interface SocketClosed {
  code: number;
  reason: string;
  /** False when the handshake itself failed (server down or full: HTTP 503). */
  opened: boolean;
}

export interface RealtimeSocketHandlers {
  onOpen(): void;
  onEvent(event: ServerEvent): void;
  onInvalidEvent(problem: string, type: string | null): void;
  onClose(closed: SocketClosed): void;
}

export class RealtimeSocket {
  private readonly socket: WebSocket;
  private opened = false;
  private closed = false;
  droppedSends = 0;

  constructor(url: string, handlers: RealtimeSocketHandlers) {
    this.socket = new WebSocket(url, REALTIME_SUBPROTOCOL);
    this.socket.onopen = () => {
      this.opened = true;
      handlers.onOpen();
    };
    this.socket.onmessage = (message: MessageEvent<unknown>) => {
      if (typeof message.data !== "string") {
        handlers.onInvalidEvent("binary frame", null);
        return;
      }
      const parsed = parseServerEvent(message.data);
      if (parsed.ok) handlers.onEvent(parsed.event);
      else handlers.onInvalidEvent(parsed.problem, parsed.type);
    };
    this.socket.onclose = (event) => {
      if (this.closed) return;
      this.closed = true;
      handlers.onClose({ code: event.code, reason: event.reason, opened: this.opened });
    };
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  send(event: ClientEvent): void {
    if (!this.isOpen) return;
    if (
      event.type === "input_audio_buffer.append" &&
      this.socket.bufferedAmount > MAX_BUFFERED_BYTES
    ) {
      this.droppedSends++;
      return;
    }
    this.socket.send(JSON.stringify(event));
  }

  /** Close from our side; no `onClose` follows. */
  close(code = 1000, reason = "user hung up"): void {
    this.closed = true;
    this.socket.close(code, reason);
  }
}
