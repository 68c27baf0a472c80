import { describe, expect, it } from "vitest";

import { realtimeUrl, resolveBackendAddress } from "@/lib/backend/address";
import { BackendUnreachable, fetchHealth, servicesDown, uploadVoice } from "@/lib/backend/api";

function answering(
  status: number,
  body: unknown,
): { fetcher: typeof fetch; urls: string[]; inits: RequestInit[] } {
  const urls: string[] = [];
  const inits: RequestInit[] = [];
  const fetcher = ((url: string, init: RequestInit) => {
    urls.push(url);
    inits.push(init);
    return Promise.resolve(new Response(JSON.stringify(body), { status }));
  }) as typeof fetch;
  return { fetcher, urls, inits };
}

describe("backend address", () => {
  it("is the same origin under /api by default", () => {
    const address = resolveBackendAddress("https://unmute.example/", undefined);
    expect(address).toEqual({ http: "https://unmute.example/api", ws: "wss://unmute.example/api" });
    expect(realtimeUrl(address)).toBe("wss://unmute.example/api/v1/realtime");
  });

  it("can be set at build time, and overridden per visit", () => {
    expect(resolveBackendAddress("http://localhost:3000/", "http://localhost:8000/").http).toBe(
      "http://localhost:8000",
    );
    const visit = "http://localhost:3000/?backend=http%3A%2F%2F127.0.0.1%3A9000";
    expect(resolveBackendAddress(visit, "http://localhost:8000")).toEqual({
      http: "http://127.0.0.1:9000",
      ws: "ws://127.0.0.1:9000",
    });
  });

  it("accepts a path on the same origin, and refuses other schemes", () => {
    expect(resolveBackendAddress("http://localhost:8000/?backend=/", undefined).http).toBe(
      "http://localhost:8000",
    );
    expect(() =>
      resolveBackendAddress("http://x/?backend=javascript:alert(1)", undefined),
    ).toThrow();
  });
});

describe("backend routes", () => {
  const address = { http: "http://h/api", ws: "ws://h/api" };

  it("reads /v1/health and names the services that are down", async () => {
    const { fetcher, urls } = answering(200, {
      tts_up: true,
      stt_up: false,
      llm_up: false,
      voice_cloning_up: false,
      ok: false,
    });
    const health = await fetchHealth(address, fetcher);
    expect(urls).toEqual(["http://h/api/v1/health"]);
    expect(servicesDown(health)).toEqual(["speech recognition (STT)", "language model (LLM)"]);
  });

  it("reports a server that is not there", async () => {
    const failing = (() => Promise.reject(new TypeError("Failed to fetch"))) as typeof fetch;
    await expect(fetchHealth(address, failing)).rejects.toBeInstanceOf(BackendUnreachable);
    await expect(fetchHealth(address, answering(502, {}).fetcher)).rejects.toThrow(/HTTP 502/);
  });

  it("uploads a voice clip as the multipart field `file`", async () => {
    const { fetcher, urls, inits } = answering(200, { name: "custom:abc" });
    const voice = await uploadVoice(address, new Blob([new Uint8Array([1, 2])]), "me.wav", fetcher);
    expect(voice).toBe("custom:abc");
    expect(urls).toEqual(["http://h/api/v1/voices"]);
    expect(inits[0]?.method).toBe("POST");
    const form = inits[0]?.body as FormData;
    expect((form.get("file") as File).name).toBe("me.wav");
  });

  it("shows the server's reason when an upload is refused", async () => {
    const { fetcher } = answering(413, { detail: "Voice clips are limited to 10485760 bytes." });
    await expect(uploadVoice(address, new Blob([]), "big.wav", fetcher)).rejects.toThrow(/limited/);
  });
});
