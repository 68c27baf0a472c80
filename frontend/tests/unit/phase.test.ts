import { describe, expect, it } from "vitest";

import { afterClose, ENDED_NOTICE, isCapacityError, isSessionEnd } from "@/conversation/phase";

const opened = { code: 1006, reason: "", opened: true };

describe("after the socket closes", () => {
  it("a refused handshake sends the page to the health check (down or full?)", () => {
    expect(afterClose({ code: 1006, reason: "", opened: false }, null)).toEqual({
      next: "check_health",
    });
  });

  it("a fatal capacity error means waiting for a seat", () => {
    const fatal = { code: "capacity", message: "All conversation seats are taken" };
    expect(afterClose({ ...opened, code: 1011 }, fatal)).toEqual({ next: "wait_for_seat" });
  });

  it("a fatal error that retrying cannot fix is shown as is", () => {
    const fatal = { code: null, message: "Your voice clip has expired." };
    expect(afterClose({ ...opened, code: 1011 }, fatal)).toEqual({
      next: "failed",
      message: "Your voice clip has expired.",
    });
  });

  it("a restarting server means reconnecting; a normal close means the end", () => {
    expect(afterClose({ ...opened, code: 1001 }, null)).toEqual({ next: "reconnect" });
    expect(afterClose({ ...opened, code: 1000 }, null)).toEqual({
      next: "ended",
      notice: ENDED_NOTICE,
    });
  });

  it("a call the server ended shows why", () => {
    const why = "The conversation was closed because nobody spoke for a while.";
    expect(afterClose({ ...opened, code: 1000 }, null, why)).toEqual({
      next: "ended",
      notice: why,
    });
  });

  it("a lost connection is reported with its reason", () => {
    expect(afterClose({ ...opened, code: 1008, reason: "client is not reading" }, null)).toEqual({
      next: "failed",
      message: "The connection to the server was lost (client is not reading).",
    });
  });
});

describe("isCapacityError", () => {
  it.each([
    [{ code: "capacity", message: "x" }, true],
    [
      { code: null, message: "Speech recognition is unavailable right now. Please retry soon." },
      true,
    ],
    [{ code: null, message: "All conversation seats are taken; please retry shortly." }, true],
    [{ code: null, message: "no free channels" }, true],
    [{ code: null, message: "Invalid voice." }, false],
  ])("%j → %s", (error, expected) => {
    expect(isCapacityError(error)).toBe(expected);
  });
});

describe("isSessionEnd", () => {
  it.each([
    [{ type: "warning", code: "session_idle" }, true],
    [{ type: "warning", code: "session_time_limit" }, true],
    [{ type: "warning", code: "llm_failed" }, false],
    [{ type: "warning", code: null }, false],
    [{ type: "fatal", code: "session_idle" }, false],
  ])("%j → %s", (error, expected) => {
    expect(isSessionEnd(error)).toBe(expected);
  });
});
