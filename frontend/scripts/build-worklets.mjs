// Bundles each AudioWorklet (TypeScript) into one self-contained ES module under
// public/worklets/, where `audioWorklet.addModule()` loads it from the static export.
import { build } from "esbuild";

await build({
  entryPoints: {
    capture: "src/audio/worklets/capture.worklet.ts",
    playback: "src/audio/worklets/playback.worklet.ts",
  },
  outdir: "public/worklets",
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: true,
  sourcemap: "linked",
  logLevel: "warning",
});
