/**
 * Where the backend is. By default the same origin under `/api` (the proxy, or the
 * backend's own local mode, strips the prefix). For local development it can be set at
 * build time (`NEXT_PUBLIC_UNMUTE_BACKEND_URL`) or per visit (`?backend=http://host:port`).
 */

export const BACKEND_QUERY_PARAMETER = "backend";

export interface BackendAddress {
  /** Base for HTTP routes, without a trailing slash: `${http}/v1/health`. */
  http: string;
  /** Base for the WebSocket: `${ws}/v1/realtime`. */
  ws: string;
}

function withoutTrailingSlash(url: string): string {
  return url.replace(/\/+$/, "");
}

/** Resolve the backend address against the page's own URL. */
export function resolveBackendAddress(
  pageUrl: string,
  buildTimeDefault: string | undefined = process.env.NEXT_PUBLIC_UNMUTE_BACKEND_URL,
): BackendAddress {
  const page = new URL(pageUrl);
  const configured = page.searchParams.get(BACKEND_QUERY_PARAMETER) || buildTimeDefault || "/api";
  const http = new URL(withoutTrailingSlash(configured) || "/", page);
  if (http.protocol !== "http:" && http.protocol !== "https:") {
    throw new Error(`the backend address must be http(s), not ${http.protocol}`);
  }
  const base = withoutTrailingSlash(http.href);
  return { http: base, ws: base.replace(/^http/, "ws") };
}

export function realtimeUrl(address: BackendAddress): string {
  return `${address.ws}/v1/realtime`;
}
