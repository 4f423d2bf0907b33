// Small pure helpers: link parsing (the forms docs/DESIGN.md section 4 accepts),
// caption files, prices and words for numbers.

const VIDEO_ID = /^[A-Za-z0-9_-]{11}$/;
const WATCH_HOSTS = new Set(["youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com"]);
const PATH_PREFIXES = new Set(["shorts", "embed", "live"]);

/** The 11-character id a pasted link names, or null (the API has the last word). */
export function parseVideoId(input: string): string | null {
  let link = input.trim();
  if (!link) return null;
  if (VIDEO_ID.test(link)) return link;
  if (!link.includes("://")) {
    if (!/^(?:www\.|m\.|music\.)?youtu(?:\.be|be\.com)\//i.test(link)) return null;
    link = `https://${link}`;
  }
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    return null;
  }
  if (!/^https?:$/.test(url.protocol) || url.port || url.username || url.password) return null;
  const host = url.hostname.toLowerCase();
  const segments = url.pathname.split("/").filter(Boolean);
  let candidate: string | null = null;
  if (WATCH_HOSTS.has(host)) {
    if (segments.length === 1 && segments[0] === "watch") {
      const ids = url.searchParams.getAll("v");
      candidate = ids.length === 1 ? ids[0] : null;
    } else if (segments.length === 2 && PATH_PREFIXES.has(segments[0])) {
      candidate = segments[1];
    }
  } else if (host === "youtu.be" || host === "www.youtu.be") {
    candidate = segments.length === 1 ? segments[0] : null;
  }
  return candidate && VIDEO_ID.test(candidate) ? candidate : null;
}

export const MAX_CAPTION_BYTES = 2 * 1024 * 1024;

export interface CaptionCheck {
  format: "WebVTT" | "SRT";
  cues: number;
  durationSeconds: number;
}

const TIMING = /^\s*((?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})\s*-->\s*((?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})/;

function toSeconds(stamp: string): number {
  const parts = stamp.replace(",", ".").split(":").map(Number);
  return parts.reduce((total, part) => total * 60 + part, 0);
}

/** A quick look at a caption file before upload; the API validates it fully. */
export function checkCaptions(text: string): CaptionCheck | string {
  const body = text.replace(/^\uFEFF/, "");
  const isVtt = /^WEBVTT(?:[ \t].*)?(?:\r?\n|$)/.test(body);
  const lines = body.split(/\r?\n/);
  let cues = 0;
  let end = 0;
  lines.forEach((line) => {
    const timing = TIMING.exec(line);
    if (timing) {
      cues++;
      end = Math.max(end, toSeconds(timing[2]));
    }
  });
  if (!cues) {
    return isVtt
      ? "This WebVTT file has no cues (lines like 00:00:01.000 --> 00:00:04.000)."
      : "This is not a WebVTT or SRT caption file: it has no timing lines like 00:00:01,000 --> 00:00:04,000.";
  }
  return { format: isVtt ? "WebVTT" : "SRT", cues, durationSeconds: Math.ceil(end) };
}

/** Credits for a video of this length: one per started hour (docs/DESIGN.md section 8). */
export function priceFor(durationSeconds: number): number {
  return Math.max(1, Math.ceil(durationSeconds / 3600));
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

export function formatDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  const mm = String(m).padStart(h ? 2 : 1, "0");
  return `${h ? `${h}:` : ""}${mm}:${String(s).padStart(2, "0")}`;
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function formatMoney(amount: number, currency: string): string {
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency: currency.toUpperCase() }).format(amount / 100);
  } catch {
    return `${(amount / 100).toFixed(2)} ${currency.toUpperCase()}`;
  }
}

/** Start a download of a (presigned, Content-Disposition: attachment) URL. */
export function startDownload(url: string, filename: string): void {
  if (!/^https?:\/\//i.test(url)) return;
  const anchor = document.createElement("a");
  anchor.href = url;
  anchor.download = filename;
  anchor.rel = "noopener";
  document.body.appendChild(anchor);
  anchor.click();
  anchor.remove();
}

export const TRANSACTION_WORDS: Record<string, string> = {
  signup_bonus: "Sign-up bonus",
  purchase: "Purchase",
  usage: "Video processing",
  refund: "Refund",
  dispute: "Dispute",
  adjustment: "Adjustment",
};
