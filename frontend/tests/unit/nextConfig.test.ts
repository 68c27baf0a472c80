import { PHASE_PRODUCTION_BUILD } from "next/constants";
import { afterEach, describe, expect, it, vi } from "vitest";

import config from "../../next.config";

describe("next.config build checks", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("lints and type-checks in a plain `next build` (the images' build)", () => {
    vi.stubEnv("UNMUTE_BUILD_SKIP_CHECKS", undefined);
    const built = config(PHASE_PRODUCTION_BUILD);
    expect(built.eslint?.ignoreDuringBuilds).toBe(false);
    expect(built.typescript?.ignoreBuildErrors).toBe(false);
  });

  it("leaves both checks to `npm run check` when build:if-stale asks", () => {
    vi.stubEnv("UNMUTE_BUILD_SKIP_CHECKS", "1");
    const built = config(PHASE_PRODUCTION_BUILD);
    expect(built.eslint?.ignoreDuringBuilds).toBe(true);
    expect(built.typescript?.ignoreBuildErrors).toBe(true);
    expect(built.output).toBe("export");
  });

  it("skips nothing for any other value", () => {
    vi.stubEnv("UNMUTE_BUILD_SKIP_CHECKS", "0");
    const built = config(PHASE_PRODUCTION_BUILD);
    expect(built.eslint?.ignoreDuringBuilds).toBe(false);
    expect(built.typescript?.ignoreBuildErrors).toBe(false);
  });
});
