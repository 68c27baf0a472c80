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

  it("a restarting server means resuming; a normal close means the end", () => {
    expect(afterClose({ ...opened, code: 1001 }, null)).toEqual({ next: "resume" });
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

  it.each([1006, 1005, 1011, 1012, 1013])(
    "a server that went away without a word (%i) means resuming the conversation",
    (code) => {
      expect(afterClose({ ...opened, code }, null)).toEqual({ next: "resume" });
    },
  );

  it("while resuming, a refused handshake means trying again, not a health check", () => {
    const refused = { code: 1006, reason: "", opened: false };
    expect(afterClose(refused, null, null, true)).toEqual({ next: "resume" });
    expect(afterClose(refused, null, null, false)).toEqual({ next: "check_health" });
  });

  it("a normal close or a fatal error is not resumed, even while resuming", () => {
    expect(afterClose({ ...opened, code: 1000 }, null, null, true)).toEqual({
      next: "ended",
      notice: ENDED_NOTICE,
    });
    const fatal = { code: null, message: "Your voice clip has expired." };
    expect(afterClose({ ...opened, code: 1011 }, fatal, null, true).next).toBe("failed");
  });

  it("a connection the server refused is reported with its reason", () => {
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
