/** Debian's Chromium, headless, with a fake microphone that plays a WAV file once. */
import { type Browser, chromium, type Page } from "playwright-core";

import { CHROMIUM } from "./paths";

export async function launchChromium(microphoneWav: string): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless=new",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--no-first-run",
      "--use-fake-ui-for-media-stream",
      "--use-fake-device-for-media-stream",
      `--use-file-for-fake-audio-capture=${microphoneWav}%noloop`,
      "--autoplay-policy=no-user-gesture-required",
    ],
  });
}

/** A new page whose console errors and crashes are collected for the assertions. */
export async function openPage(
  browser: Browser,
  url: string,
): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`console error: ${message.text()}`);
  });
  await page.goto(url);
  return { page, errors };
}
