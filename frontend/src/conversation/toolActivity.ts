/** How a tool the bot uses is shown in the chat: "Checking weather…", then how it went. */
import type { ToolStatus } from "@/lib/protocol/events";

/** `server` names the service ("weather"); a tool the backend does not know has none. */
export function toolActivityText(server: string, tool: string, status: ToolStatus): string {
  const name = server || tool;
  switch (status) {
    case "running":
      return `Checking ${name}…`;
    case "done":
      return `Checked ${name}`;
    case "timeout":
      return `Checking ${name} failed: no answer in time`;
    case "error":
      return `Checking ${name} failed`;
    case "unavailable":
      return `Checking ${name} failed: unavailable`;
    case "cancelled":
      return `Stopped checking ${name}`;
  }
}
