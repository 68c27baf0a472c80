/** The backend's HTTP routes: health, the character list, voice upload. */
import { z } from "zod";

import { instructionsSchema } from "../protocol/events";
import type { BackendAddress } from "./address";

const REQUEST_TIMEOUT_MS = 8_000; // the backend caches health; a slow answer means trouble
const UPLOAD_TIMEOUT_MS = 60_000; // cloning runs a model over the clip

export const healthSchema = z.object({
  tts_up: z.boolean(),
  stt_up: z.boolean(),
  llm_up: z.boolean(),
  voice_cloning_up: z.boolean(),
  ok: z.boolean(),
});
export type Health = z.infer<typeof healthSchema>;

export const voiceSchema = z.object({
  name: z.string(),
  good: z.boolean(),
  instructions: instructionsSchema,
  source: z.discriminatedUnion("source_type", [
    z.object({
      source_type: z.literal("file"),
      path_on_server: z.string(),
      description: z.string().nullable().optional(),
      description_link: z.string().nullable().optional(),
    }),
    z.object({
      source_type: z.literal("freesound"),
      url: z.string(),
      path_on_server: z.string().optional(),
      description: z.string().nullable().optional(),
      description_link: z.string().nullable().optional(),
    }),
  ]),
});
export type Voice = z.infer<typeof voiceSchema>;

/** The voice id a `session.update` names for this character. */
export function voiceId(voice: Voice): string | null {
  return voice.source.path_on_server ?? null;
}

export class BackendUnreachable extends Error {
  constructor(
    readonly route: string,
    reason: string,
  ) {
    super(`The Unmute server did not answer ${route}: ${reason}`);
  }
}

async function getJson<T>(
  address: BackendAddress,
  route: string,
  schema: z.ZodType<T>,
  fetcher: typeof fetch,
): Promise<T> {
  let response: Response;
  try {
    response = await fetcher(`${address.http}${route}`, {
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      cache: "no-store",
    });
  } catch (error) {
    throw new BackendUnreachable(route, error instanceof Error ? error.message : String(error));
  }
  if (!response.ok) throw new BackendUnreachable(route, `HTTP ${response.status}`);
  const parsed = schema.safeParse(await response.json().catch(() => undefined));
  if (!parsed.success) throw new BackendUnreachable(route, "unexpected answer");
  return parsed.data;
}

export function fetchHealth(
  address: BackendAddress,
  fetcher: typeof fetch = fetch,
): Promise<Health> {
  return getJson(address, "/v1/health", healthSchema, fetcher);
}

export function fetchVoices(
  address: BackendAddress,
  fetcher: typeof fetch = fetch,
): Promise<Voice[]> {
  return getJson(address, "/v1/voices", z.array(voiceSchema), fetcher);
}

/** The services a conversation needs that are down, in words, for the health page. */
export function servicesDown(health: Health): string[] {
  const down: string[] = [];
  if (!health.stt_up) down.push("speech recognition (STT)");
  if (!health.llm_up) down.push("language model (LLM)");
  if (!health.tts_up) down.push("speech synthesis (TTS)");
  return down;
}

/** Upload a voice clip; the answer is the `custom:<id>` voice to put in `session.update`. */
export async function uploadVoice(
  address: BackendAddress,
  clip: Blob,
  fileName: string,
  fetcher: typeof fetch = fetch,
): Promise<string> {
  const form = new FormData();
  form.append("file", clip, fileName);
  const response = await fetcher(`${address.http}/v1/voices`, {
    method: "POST",
    body: form,
    signal: AbortSignal.timeout(UPLOAD_TIMEOUT_MS),
  });
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const detail = z.object({ detail: z.string() }).safeParse(body);
    throw new Error(
      detail.success ? detail.data.detail : `upload failed (HTTP ${response.status})`,
    );
  }
  return z.object({ name: z.string() }).parse(body).name;
}
