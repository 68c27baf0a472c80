/** A short, quiet two-note chime: the page tells the user by ear that the call is back. */

const NOTES_HZ = [660, 880];
const NOTE_S = 0.1;
const LEVEL = 0.1; // quiet: under the bot's voice, and little for the microphone to pick up

export function playChime(context: AudioContext): void {
  const start = context.currentTime;
  const gain = context.createGain();
  gain.gain.setValueAtTime(LEVEL, start);
  gain.gain.linearRampToValueAtTime(0, start + NOTES_HZ.length * NOTE_S);
  gain.connect(context.destination);
  NOTES_HZ.forEach((frequency, index) => {
    const note = context.createOscillator();
    note.frequency.value = frequency;
    note.connect(gain);
    note.start(start + index * NOTE_S);
    note.stop(start + (index + 1) * NOTE_S);
  });
}
