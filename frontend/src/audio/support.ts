/** Whether this browser can hold a conversation, and if not, why (in words for the page). */

export function unsupportedReason(): string | null {
  if (typeof window === "undefined") return "This page needs a browser.";
  if (!window.isSecureContext) {
    return "Browsers only allow the microphone on HTTPS pages or on localhost. Open this page over HTTPS.";
  }
  if (!("mediaDevices" in navigator)) {
    return "This browser gives no access to a microphone.";
  }
  if (typeof AudioWorkletNode === "undefined") {
    return "This browser cannot process audio in real time (no AudioWorklet).";
  }
  if (typeof AudioEncoder === "undefined" || typeof AudioDecoder === "undefined") {
    return "This browser cannot encode or decode Opus audio (no WebCodecs). Use a recent Chrome, Edge, Firefox or Safari.";
  }
  return null;
}
