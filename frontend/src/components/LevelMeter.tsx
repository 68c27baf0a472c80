/** A live audio level bar, redrawn every animation frame without re-rendering React. */
import { useEffect, useRef } from "react";

import { meterLevel } from "@/audio/levels";

interface Props {
  label: string;
  /** Current RMS level; read every frame. */
  read: () => number;
}

export function LevelMeter({ label, read }: Props) {
  const bar = useRef<HTMLDivElement>(null);
  const meter = useRef<HTMLDivElement>(null);

  useEffect(() => {
    let frame = 0;
    let shown = 0;
    const draw = (): void => {
      // Fast attack, slow release: how level meters are easy to read.
      const target = meterLevel(read());
      shown = target > shown ? target : shown * 0.9 + target * 0.1;
      bar.current?.style.setProperty("--level", shown.toFixed(3));
      meter.current?.setAttribute("aria-valuenow", String(Math.round(shown * 100)));
      frame = requestAnimationFrame(draw);
    };
    frame = requestAnimationFrame(draw);
    return () => cancelAnimationFrame(frame);
  }, [read]);

  return (
    <div className="meter">
      <span className="meter-label">{label}</span>
      <div
        ref={meter}
        className="meter-track"
        role="meter"
        aria-label={`${label} level`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={0}
      >
        <div ref={bar} className="meter-bar" />
      </div>
    </div>
  );
}
