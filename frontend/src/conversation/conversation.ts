/**
 * One user's conversation with the backend: health check, microphone, the realtime socket,
 * the bot's voice, retries while the server is full, and a dropped conversation resumed on
 * a new connection from the transcript it keeps. React-free; the page subscribes.
 */
import { playChime } from "@/audio/chime";
import { OggOpusEncoder } from "@/audio/opusEncoder";
import { BotSpeaker } from "@/audio/speaker";
import { unsupportedReason } from "@/audio/support";
import { type BackendAddress, realtimeUrl } from "@/lib/backend/address";
import { BackendUnreachable, fetchHealth, servicesDown } from "@/lib/backend/api";
import {
  backoffDelayMs,
  RESUME_MAX_ATTEMPTS,
  RESUME_POLICY,
  SEAT_RETRY_POLICY,
} from "@/lib/backoff";
import { bytesToBase64 } from "@/lib/base64";
import {
  audioAppend,
  type ServerEvent,
  type SessionConfig,
  sessionUpdate,
} from "@/lib/protocol/events";

import { DebugHooks } from "./debugHooks";
import { type Levels, PageAudio } from "./pageAudio";
import { afterClose, type FatalError, isSessionEnd, type Phase } from "./phase";
import { RealtimeSocket, type SocketClosed } from "./realtimeSocket";
import { droppedTranscript, historyOf, nextTranscript, type Transcript } from "./transcript";

export interface ConversationState {
  phase: Phase;
  transcript: Transcript;
}

export const RESUME_FAILED =
  "The connection to the server was lost and could not be restored. Connect to start again.";

export const IDLE_STATE: ConversationState = {
  phase: { kind: "idle", notice: null },
  transcript: [],
};

/** Per-connection parts: a new Ogg stream each way for each socket. */
interface Connection {
  socket: RealtimeSocket;
  encoder: OggOpusEncoder | null;
  speaker: BotSpeaker | null;
  fatal: FatalError | null;
  ending: string | null; // why the server said it is ending the call
}

export class Conversation {
  private current: ConversationState = IDLE_STATE;
  private readonly listeners = new Set<() => void>();
  private readonly debug = new DebugHooks();
  private readonly audio = new PageAudio(this.debug, (samples) =>
    this.connection?.encoder?.encode(samples),
  );
  private connection: Connection | null = null;
  private session: SessionConfig | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  /** Bumped by every start and stop: async work of an abandoned attempt sees it and quits. */
  private generation = 0;
  private seatAttempts = 0;
  private resumeAttempts = 0; // since the conversation last had a working connection

  constructor(private readonly address: BackendAddress) {}

  get state(): ConversationState {
    return this.current;
  }

  get levels(): Levels {
    return this.audio.levels;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Start talking as `session`'s character. Call from a click: audio needs a gesture. */
  async start(session: SessionConfig): Promise<void> {
    const unsupported = unsupportedReason();
    if (unsupported !== null) return this.fail(unsupported);
    const generation = ++this.generation;
    this.session = session;
    this.seatAttempts = 0;
    this.resumeAttempts = 0;
    this.update({ phase: { kind: "checking" }, transcript: [] });
    try {
      const audioReady = this.audio.ensure(); // first, while the click still counts
      audioReady.catch(() => undefined); // awaited below; no "unhandled" noise meanwhile
      const healthy = await this.checkHealth();
      if (generation !== this.generation) return; // the user gave up meanwhile
      if (!healthy) return;
      const context = await audioReady;
      if (!this.audio.hasMicrophone) {
        const microphone = await this.audio.openMicrophone(context);
        if (generation !== this.generation) return microphone.stop();
        this.audio.keepMicrophone(microphone);
      }
    } catch (error) {
      if (generation === this.generation) this.fail(describeStartError(error));
      return;
    }
    this.connect();
  }

  /** Hang up (or stop waiting for a seat) and release the microphone. */
  stop(notice: string | null = null): void {
    this.generation++;
    this.clearRetry();
    this.closeConnection();
    this.audio.stopMicrophone();
    this.update({ phase: { kind: "idle", notice } });
  }

  dispose(): void {
    this.stop();
    this.audio.close();
    this.listeners.clear();
  }

  /** True when every service is up; otherwise the page shows which is down. */
  private async checkHealth(): Promise<boolean> {
    const generation = this.generation;
    let phase: Phase;
    try {
      const health = await fetchHealth(this.address);
      if (health.ok) return true;
      phase = { kind: "unhealthy", servicesDown: servicesDown(health), detail: null };
    } catch (error) {
      const detail = error instanceof BackendUnreachable ? error.message : String(error);
      phase = { kind: "unhealthy", servicesDown: [], detail };
    }
    if (generation === this.generation) {
      this.audio.stopMicrophone();
      this.update({ phase });
    }
    return false;
  }

  private connect(): void {
    this.clearRetry();
    const kind = this.current.phase.kind;
    if (kind !== "waiting_for_seat" && kind !== "reconnecting")
      this.update({ phase: { kind: "connecting" } });
    const socket = new RealtimeSocket(realtimeUrl(this.address), {
      onOpen: () => this.onOpen(connection),
      onEvent: (event) => this.onEvent(connection, event),
      onInvalidEvent: (problem, type) =>
        console.warn(`Ignored server event ${type ?? "?"}: ${problem}`),
      onClose: (closed) => void this.onClose(connection, closed),
    });
    const connection: Connection = {
      socket,
      encoder: null,
      speaker: null,
      fatal: null,
      ending: null,
    };
    this.connection = connection;
  }

  private onOpen(connection: Connection): void {
    const { context, playback } = this.audio;
    if (this.session === null || context === null || playback === null) return;
    this.seatAttempts = 0;
    // A conversation under way goes on where it was: the server takes its history.
    const history = historyOf(this.current.transcript);
    const resumed = history.length > 0;
    connection.socket.send(sessionUpdate(resumed ? { ...this.session, history } : this.session));
    connection.speaker = new BotSpeaker(playback.port, context.sampleRate, (error) =>
      console.warn("Decoding the bot's voice failed; starting a new decoder.", error),
    );
    connection.encoder = new OggOpusEncoder(
      this.audio.microphoneSampleRate ?? context.sampleRate,
      (pages) => {
        this.debug.pagesSent += pages.length;
        connection.socket.send(audioAppend(bytesToBase64(concatPages(pages))));
      },
      (error) => {
        if (connection === this.connection)
          this.fail(`Could not encode the microphone: ${error.message}`);
      },
    );
    this.update({ phase: { kind: "connected", resumed } });
    if (resumed) playChime(context);
  }

  private onEvent(connection: Connection, event: ServerEvent): void {
    if (connection !== this.connection) return;
    this.debug.record(event.type);
    switch (event.type) {
      case "response.audio.delta":
        connection.speaker?.pushDelta(event.delta);
        this.debug.skippedPackets = connection.speaker?.skippedPackets ?? 0;
        return; // many per second: no re-render
      case "unmute.interrupted_by_vad":
        connection.speaker?.interrupt();
        break;
      case "response.created":
        connection.speaker?.startTurn();
        break;
      case "session.updated":
        this.resumeAttempts = 0; // a server took the conversation
        this.debug.sessionVoice = event.session.voice ?? null;
        return;
      case "error":
        if (event.error.type === "fatal") {
          connection.fatal = { code: event.error.code ?? null, message: event.error.message };
        } else if (isSessionEnd(event.error)) {
          connection.ending = event.error.message;
        } else {
          console.warn(`Server ${event.error.type}: ${event.error.message}`);
        }
        return;
      default:
        break;
    }
    const transcript = nextTranscript(this.current.transcript, event);
    if (transcript !== this.current.transcript) this.update({ transcript });
  }

  private async onClose(connection: Connection, closed: SocketClosed): Promise<void> {
    if (connection !== this.connection) return;
    this.closeConnection();
    const resuming = this.resumeAttempts > 0;
    const decision = afterClose(closed, connection.fatal, connection.ending, resuming);
    switch (decision.next) {
      case "wait_for_seat":
        return this.waitForSeat();
      case "resume":
        return this.resume();
      case "ended":
        return this.stop(decision.notice);
      case "failed":
        return this.fail(decision.message);
      case "check_health": {
        const generation = this.generation;
        if ((await this.checkHealth()) && generation === this.generation) this.waitForSeat();
      }
    }
  }

  private waitForSeat(): void {
    const attempt = this.seatAttempts++;
    const delay = backoffDelayMs(SEAT_RETRY_POLICY, attempt);
    this.update({
      phase: { kind: "waiting_for_seat", attempt: attempt + 1, retryAt: Date.now() + delay },
    });
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  /** Connect again soon, with backoff, and offer the conversation so far. */
  private resume(): void {
    const attempt = this.resumeAttempts++;
    if (attempt >= RESUME_MAX_ATTEMPTS) return this.fail(RESUME_FAILED);
    const delay = backoffDelayMs(RESUME_POLICY, attempt);
    this.update({
      phase: { kind: "reconnecting", attempt: attempt + 1, retryAt: Date.now() + delay },
      transcript: droppedTranscript(this.current.transcript),
    });
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private fail(message: string): void {
    this.generation++;
    this.clearRetry();
    this.closeConnection();
    this.audio.stopMicrophone();
    this.update({ phase: { kind: "failed", message } });
  }

  private closeConnection(): void {
    const connection = this.connection;
    if (connection === null) return;
    this.connection = null;
    connection.socket.close();
    connection.encoder?.close();
    connection.speaker?.interrupt();
    connection.speaker?.close();
  }

  private clearRetry(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private update(change: Partial<ConversationState>): void {
    this.current = { ...this.current, ...change };
    this.debug.phase = this.current.phase.kind;
    for (const listener of this.listeners) listener();
  }
}

function concatPages(pages: readonly Uint8Array[]): Uint8Array {
  if (pages.length === 1) return pages[0] as Uint8Array;
  const joined = new Uint8Array(pages.reduce((sum, page) => sum + page.length, 0));
  let offset = 0;
  for (const page of pages) {
    joined.set(page, offset);
    offset += page.length;
  }
  return joined;
}

function describeStartError(error: unknown): string {
  if (
    error instanceof DOMException &&
    (error.name === "NotAllowedError" || error.name === "SecurityError")
  ) {
    return "Microphone access was refused. Allow the microphone for this page and try again.";
  }
  if (error instanceof DOMException && error.name === "NotFoundError") {
    return "No microphone was found. Plug one in and try again.";
  }
  return `Could not start audio: ${error instanceof Error ? error.message : String(error)}`;
}
