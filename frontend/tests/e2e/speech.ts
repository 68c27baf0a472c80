/**
 * The fake microphone's recording: spoken sentences (Debian's `flite`, voice kal16, which
 * the CPU speech recogniser understands well) placed at given times, as one WAV file.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Utterance {
  text: string;
  /** Seconds from the moment the page opens the microphone. */
  at: number;
}

interface Pcm {
  sampleRate: number;
  samples: Int16Array;
}

/** The samples of a 16-bit mono PCM WAV file, found by walking its RIFF chunks. */
export function readWav(bytes: Buffer): Pcm {
  if (bytes.toString("ascii", 0, 4) !== "RIFF" || bytes.toString("ascii", 8, 12) !== "WAVE") {
    throw new Error("not a WAV file");
  }
  let sampleRate = 0;
  for (let offset = 12; offset + 8 <= bytes.length;) {
    const id = bytes.toString("ascii", offset, offset + 4);
    const size = bytes.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === "fmt ") {
      if (bytes.readUInt16LE(body) !== 1 || bytes.readUInt16LE(body + 2) !== 1) {
        throw new Error("expected mono PCM");
      }
      sampleRate = bytes.readUInt32LE(body + 4);
    } else if (id === "data") {
      const data = bytes.subarray(body, body + size);
      const samples = new Int16Array(data.length / 2);
      for (let i = 0; i < samples.length; i++) samples[i] = data.readInt16LE(i * 2);
      return { sampleRate, samples };
    }
    offset = body + size + (size % 2);
  }
  throw new Error("WAV file without data");
}

export function writeWav(pcm: Pcm): Buffer {
  const header = Buffer.alloc(44);
  const dataBytes = pcm.samples.length * 2;
  header.write("RIFF", 0, "ascii");
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write("WAVEfmt ", 8, "ascii");
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(pcm.sampleRate, 24);
  header.writeUInt32LE(pcm.sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36, "ascii");
  header.writeUInt32LE(dataBytes, 40);
  return Buffer.concat([
    header,
    Buffer.from(pcm.samples.buffer, pcm.samples.byteOffset, dataBytes),
  ]);
}

function speak(text: string): Pcm {
  const dir = mkdtempSync(join(tmpdir(), "unmute-e2e-"));
  try {
    const wav = join(dir, "sentence.wav");
    execFileSync("flite", ["-voice", "kal16", "-t", text, "-o", wav]);
    return readWav(readFileSync(wav));
  } catch (error) {
    throw new Error(`flite could not speak (apt-get install flite): ${String(error)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Write a recording `durationS` long with each utterance at its time; silence elsewhere. */
export function writeRecording(path: string, utterances: Utterance[], durationS: number): void {
  const spoken = utterances.map((utterance) => ({ ...utterance, pcm: speak(utterance.text) }));
  const sampleRate = spoken[0]?.pcm.sampleRate ?? 16_000;
  const samples = new Int16Array(Math.round(durationS * sampleRate));
  for (const { text, at, pcm } of spoken) {
    if (pcm.sampleRate !== sampleRate) throw new Error("flite changed its sample rate");
    const start = Math.round(at * sampleRate);
    if (start + pcm.samples.length > samples.length) throw new Error(`"${text}" runs past the end`);
    samples.set(pcm.samples, start);
  }
  writeFileSync(path, writeWav({ sampleRate, samples }));
}

/** Seconds that `text` takes to say. */
export function spokenDuration(text: string): number {
  const pcm = speak(text);
  return pcm.samples.length / pcm.sampleRate;
}
