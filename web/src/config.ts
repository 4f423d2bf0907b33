// Where the API lives. serve.py (and `make deploy`) write /config.json next to
// index.html, so one build serves every stage; the default is the local API.
export interface AppConfig {
  apiUrl: string;
}

const DEFAULT_API_URL = "http://127.0.0.1:8000";

export async function loadConfig(): Promise<AppConfig> {
  try {
    const response = await fetch("/config.json", { cache: "no-store" });
    if (response.ok) {
      const raw = (await response.json()) as Partial<AppConfig>;
      if (typeof raw.apiUrl === "string" && /^https?:\/\//.test(raw.apiUrl)) {
        return { apiUrl: raw.apiUrl.replace(/\/+$/, "") };
      }
    }
  } catch {
    // No config file: the local default below.
  }
  return { apiUrl: DEFAULT_API_URL };
}
