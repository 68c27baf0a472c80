import type { NextConfig } from "next";
import { PHASE_DEVELOPMENT_SERVER } from "next/constants";

// `npm run dev` forwards /api/* to this backend, as the production proxy does, so the
// page talks to its own origin in development too.
const DEV_BACKEND = process.env.UNMUTE_DEV_BACKEND ?? "http://127.0.0.1:8000";

export default function config(phase: string): NextConfig {
  const shared: NextConfig = { reactStrictMode: true, poweredByHeader: false };
  if (phase === PHASE_DEVELOPMENT_SERVER) {
    return {
      ...shared,
      rewrites: () =>
        Promise.resolve([{ source: "/api/:path*", destination: `${DEV_BACKEND}/:path*` }]),
    };
  }
  // Set by `npm run build:if-stale` (./scripts/setup and the browser tests): there the lint
  // and type checks are `npm run check`'s job, and a first `./scripts/run` need not wait for
  // them. What is built is the same; only the checks are left out.
  const skipChecks = process.env.UNMUTE_BUILD_SKIP_CHECKS === "1";
  return {
    ...shared,
    // Plain static files: servable by a CDN, by the backend's local mode or any static server.
    output: "export",
    images: { unoptimized: true },
    eslint: { ignoreDuringBuilds: skipChecks },
    typescript: { ignoreBuildErrors: skipChecks },
  };
}
