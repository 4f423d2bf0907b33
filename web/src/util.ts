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

// The server's rules for an uploaded caption file (chalicelib/youtube/captions.py,
// strict mode), mirrored so a broken file is refused here, with the line it fails on,
// before anything is sent. A cue starts at a timing line (_TIMING_LINE_RE); it must be
// whole, minutes and seconds below 60 (_STRICT_TIMING_RE), and not end before it
// starts. A cue's text runs to the first empty line; every other line that is not blank
// must be a cue number (SRT) or id (WebVTT) followed by a timing line, or (WebVTT) a
// NOTE, STYLE or REGION line. The header of a WebVTT file (up to its first blank line,
// or its first line with "-->") is not checked. Cross-checked against the server's
// parser on thousands of generated files: the same verdict and the same line.
const TIMING = /^[^\S\n]*(?:(\d+):)?(\d{1,2}):(\d{2}[.,]\d{1,3})[^\S\n]+-->[^\S\n]+(?:(\d+):)?(\d{1,2}):(\d{2}[.,]\d{1,3})/;
const STRICT_TIMING = /^\s*((?:\d+:)?[0-5]?\d:[0-5]\d[.,]\d{1,3})\s+-->\s+((?:\d+:)?[0-5]?\d:[0-5]\d[.,]\d{1,3})(?:\s+\S.*)?\s*$/;
const VTT_BLOCKS = new Set(["NOTE", "STYLE", "REGION"]);
const EXAMPLE = { WebVTT: "00:00:01.000 --> 00:00:04.000", SRT: "00:00:01,000 --> 00:00:04,000" };

function toSeconds(hours: string | undefined, minutes: string, seconds: string): number {
  return (Number(hours ?? 0) * 60 + Number(minutes)) * 60 + Number(seconds.replace(",", "."));
}

function shown(line: string): string {
  const text = line.trim();
  return `“${text.length > 80 ? `${text.slice(0, 80)}…` : text}”`;
}

/** A caption file checked as the API will check it: its cues and length, or what is wrong
 *  (naming the line, as the API does). */
export function checkCaptions(text: string): CaptionCheck | string {
  const body = text.replace(/^\uFEFF+/, "").replace(/\r\n?/g, "\n");
  const isVtt = body.startsWith("WEBVTT");
  const format = isVtt ? "WebVTT" : "SRT";
  const lines = body.split("\n");
  if (!lines.some((line) => TIMING.test(line))) {
    return isVtt
      ? "This WebVTT file has no cues (lines like 00:00:01.000 --> 00:00:04.000)."
      : "This is not a WebVTT or SRT caption file: it has no timing lines like 00:00:01,000 --> 00:00:04,000.";
  }
  const refuse = (index: number, problem: string) => `Line ${index + 1} of this ${format} file: ${problem}. Fix it and choose the file again.`;
  let first = 0;
  if (isVtt) { // the header block
    first = 1;
    while (first < lines.length && lines[first].trim() !== "" && !lines[first].includes("-->")) first++;
  }
  let cues = 0;
  let withText = 0;
  let end = 0;
  let inCue = false;
  let cueHasText = false;
  for (let index = first; index < lines.length; index++) {
    const line = lines[index];
    const timing = TIMING.exec(line);
    if (timing) {
      if (!STRICT_TIMING.test(line)) return refuse(index, `the cue timing ${shown(line)} cannot be read; write it as ${EXAMPLE[format]}`);
      const cueStart = toSeconds(timing[1], timing[2], timing[3]);
      const cueEnd = toSeconds(timing[4], timing[5], timing[6]);
      if (cueEnd < cueStart) return refuse(index, "the cue ends before it starts");
      if (cueHasText) withText++;
      cues++;
      end = Math.max(end, cueEnd);
      inCue = true;
      cueHasText = false;
      continue;
    }
    if (line === "") { // only an empty line ends a cue (a line of spaces is part of it)
      inCue = false;
      continue;
    }
    if (inCue) {
      cueHasText ||= line.trim() !== "";
      continue;
    }
    if (line.trim() === "") continue;
    if (isVtt && VTT_BLOCKS.has(line.split(" ")[0]) && !line.includes("-->")) continue;
    if (line.includes("-->")) return refuse(index, `the cue timing ${shown(line)} cannot be read; write it as ${EXAMPLE[format]}`);
    if (!(lines[index + 1] ?? "").includes("-->")) return refuse(index, `a cue timing like ${EXAMPLE[format]} was expected, not ${shown(line)}`);
    if (!isVtt && !/^\d+$/.test(line.trim())) return refuse(index, `a cue number was expected, not ${shown(line)}`);
  }
  if (cueHasText) withText++;
  if (!withText) return "This caption file has no cues with text.";
  return { format, cues, durationSeconds: Math.ceil(end) };
}

// A sentence for the next page to show once (a cancelled video says its refund on Submit).
let flash: string | null = null;

export function setFlash(text: string | null): void {
  flash = text;
}

/** The sentence left for this page, if any; clear: forget it (it is shown once). */
export function readFlash(clear: boolean): string | null {
  const text = flash;
  if (clear) flash = null;
  return text;
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

/** A date and its time apart ("Jun 5, 2025", "3:04 PM"), for a narrow column to break
 *  between them and nowhere else. */
export function formatDateParts(iso: string | null | undefined): [string, string] {
  if (!iso) return ["", ""];
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return [iso, ""];
  return [date.toLocaleDateString(undefined, { dateStyle: "medium" }), date.toLocaleTimeString(undefined, { timeStyle: "short" })];
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

// A course's index note is saved as the note of a "video" named by its course
// (chalicelib/courses/index_note.py): it has no video to delete, and goes with its
// course. The course's id, or null for a lecture's note.
export function indexNoteCourse(note: { video_id?: string | null }): string | null {
  const match = /^course-([0-9a-f]{32})$/.exec(note.video_id ?? "");
  return match ? match[1] : null;
}
