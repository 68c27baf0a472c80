import type { NextConfig } from "next";

const config: NextConfig = {
  // Plain static files: servable by a CDN, by the backend's local mode or any static server.
  output: "export",
  // Relative asset paths would break under nested routes; the app is a single page at `/`.
  trailingSlash: false,
  images: { unoptimized: true },
  reactStrictMode: true,
  poweredByHeader: false,
};

export default config;
