// The signed-in session: tokens live in memory and in sessionStorage (this tab
// only; never in a URL, never in localStorage where other tabs' scripts linger).
export interface Session {
  email: string;
  idToken: string;
  refreshToken: string;
  expiresAt: number; // ms since epoch
}

const KEY = "studybuddy.session";

export function loadSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return null;
    const parsed = JSON.parse(raw) as Session;
    if (typeof parsed.idToken !== "string" || typeof parsed.refreshToken !== "string") return null;
    return parsed;
  } catch {
    return null;
  }
}

export function saveSession(session: Session | null): void {
  if (session) sessionStorage.setItem(KEY, JSON.stringify(session));
  else sessionStorage.removeItem(KEY);
}

// Drafts (what a student typed) survive a sign-in in the middle of their work.
export function loadDraft<T>(name: string, fallback: T): T {
  try {
    const raw = sessionStorage.getItem(`studybuddy.draft.${name}`);
    return raw ? { ...fallback, ...(JSON.parse(raw) as T) } : fallback;
  } catch {
    return fallback;
  }
}

export function saveDraft(name: string, value: unknown): void {
  sessionStorage.setItem(`studybuddy.draft.${name}`, JSON.stringify(value));
}

export function clearDraft(name: string): void {
  sessionStorage.removeItem(`studybuddy.draft.${name}`);
}
