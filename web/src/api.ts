// The HTTP API (docs/DESIGN.md section 4), and nothing else: every call goes through
// request(), which adds the ID token, refreshes it before it expires, and turns
// a 401 that a refresh cannot fix into "signed out" (the page keeps its drafts).
import { Session, saveSession } from "./session";

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public body: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

// Refresh this long before the ID token expires (Cognito's last an hour).
export const REFRESH_MARGIN_MS = 120_000;

export type SessionReason = "signin" | "refresh" | "signout" | "expired";
type Listener = (session: Session | null, reason: SessionReason) => void;

export interface TokenAnswer {
  id_token: string;
  refresh_token?: string;
  expires_in: number;
}

export class Api {
  private session: Session | null = null;
  private refreshing: Promise<boolean> | null = null;
  private timer: number | undefined;
  private listeners = new Set<Listener>();

  constructor(public readonly baseUrl: string) {}

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  current(): Session | null {
    return this.session;
  }

  setSession(session: Session | null, reason: SessionReason): void {
    this.session = session;
    saveSession(session);
    window.clearTimeout(this.timer);
    if (session) {
      const wait = Math.max(0, session.expiresAt - REFRESH_MARGIN_MS - Date.now());
      this.timer = window.setTimeout(() => void this.refresh(), Math.min(wait, 2 ** 31 - 1));
    }
    for (const listener of this.listeners) listener(session, reason);
  }

  signedIn(email: string, answer: TokenAnswer): void {
    this.setSession({
      email,
      idToken: answer.id_token,
      refreshToken: answer.refresh_token ?? this.session?.refreshToken ?? "",
      expiresAt: Date.now() + answer.expires_in * 1000,
    }, "signin");
  }

  signOut(): void {
    this.setSession(null, "signout");
  }

  /** A new ID token from the refresh token; false (and signed out) if refused. */
  refresh(): Promise<boolean> {
    if (this.refreshing) return this.refreshing;
    const session = this.session;
    if (!session) return Promise.resolve(false);
    this.refreshing = (async () => {
      try {
        const answer = await this.request<TokenAnswer>("POST", "/auth/refresh", {
          body: { refresh_token: session.refreshToken }, auth: false,
        });
        if (this.session !== session) return this.session !== null; // signed out meanwhile
        this.setSession({
          ...session,
          idToken: answer.id_token,
          refreshToken: answer.refresh_token ?? session.refreshToken,
          expiresAt: Date.now() + answer.expires_in * 1000,
        }, "refresh");
        return true;
      } catch (error) {
        if (error instanceof ApiError && error.status !== 0 && this.session === session) {
          this.setSession(null, "expired");
        }
        return false;
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  async request<T>(
    method: string,
    path: string,
    options: { body?: unknown; query?: Record<string, string | number | undefined | null>; auth?: boolean } = {},
  ): Promise<T> {
    const auth = options.auth ?? true;
    if (auth) {
      if (!this.session) throw new ApiError(401, "SignedOut", "Please sign in.");
      if (this.session.expiresAt - Date.now() < REFRESH_MARGIN_MS) await this.refresh();
    }
    let response = await this.send(method, path, options, auth);
    if (response.status === 401 && auth && this.session) {
      // The token was refused: one refresh, one retry, then back to sign-in.
      const refreshed = await this.refresh();
      if (refreshed) response = await this.send(method, path, options, auth);
      if (response.status === 401 && this.session) this.setSession(null, "expired");
    }
    const text = await response.text();
    let data: unknown = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = { Message: text };
      }
    }
    if (!response.ok) {
      const body = (data && typeof data === "object" ? data : {}) as Record<string, unknown>;
      throw new ApiError(
        response.status,
        String(body.Code ?? `HTTP${response.status}`),
        String(body.Message ?? `The server answered ${response.status}`),
        body,
      );
    }
    return data as T;
  }

  private async send(
    method: string,
    path: string,
    options: { body?: unknown; query?: Record<string, string | number | undefined | null> },
    auth: boolean,
  ): Promise<Response> {
    const url = new URL(this.baseUrl + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = {};
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    if (auth && this.session) headers.Authorization = `Bearer ${this.session.idToken}`;
    try {
      return await fetch(url.toString(), {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        credentials: "omit",
        cache: "no-store",
      });
    } catch {
      throw new ApiError(0, "NetworkError", "The server could not be reached. Check your connection and try again.");
    }
  }
}

// --- the shapes of section 4 ----------------------------------------------------

export interface Video {
  video_id: string;
  youtube_video_id: string;
  url: string;
  title: string | null;
  channel: string | null;
  duration_seconds: number | null;
  status: "queued" | "processing" | "completed" | "failed";
  progress: number;
  status_message: string | null;
  error: { code: string; message: string } | null;
  note_id: string | null;
  subject: string | null;
  credits_charged: number;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
  credits_remaining?: number;
}

export interface NoteSummary {
  note_id: string;
  video_id: string;
  title: string;
  category: string;
  tags: string[];
  related: { note_id: string; title: string }[];
  content_length: number;
  created_at: string;
  updated_at: string;
}

export interface Note extends NoteSummary {
  content?: string;
}

export interface Package {
  id: string;
  credits: number;
  amount: number;
  currency: string;
  display_amount?: string;
}

export interface Transaction {
  transaction_id: string;
  type: string;
  amount: number;
  balance_after: number;
  metadata: Record<string, unknown>;
  created_at: string;
}

export interface Preferences {
  language: string;
  note_style: string;
  include_questions: boolean;
  default_subject: string | null;
}

export interface Profile {
  user_id: string;
  email: string;
  name: string;
  credits: number;
  preferences: Preferences;
}

export interface FileLink {
  url: string;
  expires_in: number;
  filename: string;
  note_count?: number;
}

// GET /notes/export for a library too large to build at once: 202 with this, then
// GET /notes/export/{export_id} until it is ready (with the link) or failed.
export interface ExportJob {
  export_id: string;
  status: "building" | "ready" | "failed";
  format: string;
  note_count: number;
  url?: string;
  expires_in?: number;
  filename?: string;
  error?: { code: string; message: string };
}

// --- reviews (docs/DESIGN.md sections 4 and 12) -----------------------------------

/** 1 again, 2 hard, 3 good, 4 easy. */
export type Rating = 1 | 2 | 3 | 4;

export interface Card {
  card_id: string;
  note_id: string;
  note_title: string;
  course_id?: string;
  subject?: string;
  kind: "question" | "concept";
  front: string;
  back: string;
  quote: string;
  /** The video at the quote's second: https://www.youtube.com/watch?v=ID&t=Ns */
  url: string;
  state: "new" | "learning" | "review" | "relearning";
  due: string;
  last_review: string | null;
  reps: number;
  lapses: number;
  stability: number | null;
  difficulty: number | null;
  /** For each rating, the seconds until the card would be due if rated so now. */
  next_intervals?: Partial<Record<"1" | "2" | "3" | "4", number>>;
}

/** GET /reviews/due */
export interface DueCards {
  cards: Card[];
  count: number;
  due_count: number;
  new_count: number;
}

/** GET /reviews/stats */
export interface ReviewStats {
  due_today: number;
  new_today: number;
  reviewed_today: number;
  cards: number;
  retention_30d: number | null;
  streak_days: number;
}

/** A hit of GET /search (docs/DESIGN.md section 13). */
export interface SearchHit {
  note_id: string;
  title: string;
  category: string;
  text: string;
  quote: string;
  start_seconds: number;
  url: string;
  score: number;
  kind: "item" | "passage";
}

/** GET /search: the hits, and each word no lecture says -> the lectures' word it was read as. */
export interface SearchResults {
  results: SearchHit[];
  count: number;
  respelled: Record<string, string>;
}

/** POST /ask */
export interface AskCitation {
  n: number;
  note_id: string;
  title: string;
  quote: string;
  start_seconds: number;
  url: string;
}

export interface AskAnswer {
  answer: string;
  citations: AskCitation[];
  covered: boolean;
  verified: string;
  generator: string;
}

// --- courses (docs/DESIGN.md sections 4 and 14) -----------------------------------

export type LectureStatus = "pending" | "queued" | "processing" | "completed" | "failed"
  | "needs_credits" | "needs_upload" | "skipped";

export interface Lecture {
  position: number;
  youtube_video_id: string;
  title: string;
  duration_seconds: number | null;
  status: LectureStatus;
  video_id?: string;
  note_id?: string;
  message?: string;
  credits_charged?: number;
  /** The student had it when the playlist was listed: linked, not paid. */
  owned?: boolean;
}

/** GET /courses/{id} (GET /courses lists them without lectures). */
export interface Course {
  course_id: string;
  title: string;
  source_url: string;
  status: "listing" | "ready" | "running" | "completed" | "failed";
  lecture_count: number;
  completed_count: number;
  /** Private or deleted entries: never made, so not among what is left to do. */
  skipped_count: number;
  credits_estimate: number;
  credits_charged: number;
  created_at: string;
  updated_at?: string;
  subject?: string;
  message?: string;
  index_note_id?: string;
  lectures?: Lecture[];
  /** The share of lectures settled (completed, failed or skipped), 0-100. */
  progress?: number;
  duration_seconds?: number;
}
