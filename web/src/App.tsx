import { Fragment, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Api, DueCards, NoteSummary, SessionReason } from "./api";
import { AppContext, AppContextValue } from "./context";
import { AskPage } from "./pages/Ask";
import { AuthScreen } from "./pages/Auth";
import { CoursePage, CoursesPage } from "./pages/Courses";
import { CreditsPage } from "./pages/Credits";
import { LibraryPage } from "./pages/Library";
import { NotePage } from "./pages/NoteView";
import { ReviewPage } from "./pages/Review";
import { SearchBox, SearchPage } from "./pages/Search";
import { SettingsPage } from "./pages/Settings";
import { SubmitPage } from "./pages/Submit";
import { VideoPage } from "./pages/VideoProgress";
import { Link, match, useLocation, useTitle } from "./router";
import type { Session } from "./session";
import { plural } from "./util";

const MAX_INDEX_PAGES = 50;

export function App({ api }: { api: Api }) {
  const [session, setSession] = useState<Session | null>(api.current());
  const [expired, setExpired] = useState<string | null>(null); // the email, when a 401 ended the session
  const [credits, setCredits] = useState<number | null>(null);
  const [dueCount, setDueCount] = useState<number | null>(null);
  // Bumped by every change of who is signed in (and by each new read): an answer that
  // comes back after it is dropped, so no count of another session is ever shown.
  const dueRead = useRef(0);
  const { path, search } = useLocation();
  const indexPromise = useRef<Promise<NoteSummary[]> | null>(null);
  const mainRef = useRef<HTMLElement>(null);

  useEffect(() => api.subscribe((next: Session | null, reason: SessionReason) => {
    if (reason === "expired") setExpired(session?.email ?? api.current()?.email ?? "");
    if (reason === "signin") setExpired(null);
    if (reason !== "refresh") {
      dueRead.current++;
      setDueCount(null);
    }
    if (reason === "signout") {
      setExpired(null);
      setCredits(null);
      indexPromise.current = null;
      for (const key of Object.keys(sessionStorage)) if (key.startsWith("studybuddy.draft.")) sessionStorage.removeItem(key);
    }
    // A refresh changes only the token: keep the pages as they are.
    if (reason !== "refresh" || !next) setSession(next);
  }), [api, session?.email]);

  const refreshCredits = useCallback(async () => {
    try {
      const answer = await api.request<{ credits: number }>("GET", "/credits");
      setCredits(answer.credits);
    } catch {
      // shown where it matters
    }
  }, [api]);

  const refreshDue = useCallback(async () => {
    const read = ++dueRead.current;
    const who = api.current()?.email;
    if (!who) return;
    try {
      // limit=1: the counts are all this needs (they count past the page).
      const answer = await api.request<DueCards>("GET", "/reviews/due", { query: { limit: 1 } });
      if (read === dueRead.current && api.current()?.email === who) setDueCount(answer.due_count + answer.new_count);
    } catch {
      // the navigation goes on without a count; the Review page says what went wrong
    }
  }, [api]);

  const noteIndex = useCallback(() => {
    indexPromise.current ??= (async () => {
      const all: NoteSummary[] = [];
      let lastKey: string | null = null;
      for (let page = 0; page < MAX_INDEX_PAGES; page++) {
        const answer: { notes: NoteSummary[]; last_key: string | null } = await api.request("GET", "/notes", {
          query: { limit: 100, last_key: lastKey ?? undefined },
        });
        all.push(...answer.notes);
        lastKey = answer.last_key;
        if (!lastKey) break;
      }
      return all;
    })().catch((error) => {
      indexPromise.current = null;
      throw error;
    });
    return indexPromise.current;
  }, [api]);

  const invalidateNotes = useCallback(() => {
    indexPromise.current = null;
  }, []);

  useEffect(() => {
    if (session) void refreshCredits();
  }, [session, refreshCredits]);

  // The due count: on sign-in and on every move between pages.
  useEffect(() => {
    if (session) void refreshDue();
  }, [session, path, refreshDue]);

  // Move focus to the new page's heading, so keyboard and screen-reader users start there.
  useEffect(() => {
    // Pages that load first show their heading a moment later: look for a second.
    let tries = 0;
    let timer: number | undefined;
    const focus = () => {
      const heading = mainRef.current?.querySelector<HTMLElement>("h1");
      const elsewhere = document.activeElement && document.activeElement !== document.body;
      if (heading) {
        if (!elsewhere || tries === 0) heading.focus({ preventScroll: true });
      } else if (tries++ < 20) {
        timer = window.setTimeout(focus, 50);
      }
    };
    focus();
    return () => window.clearTimeout(timer);
  }, [path, session === null]);

  const context: AppContextValue = useMemo(
    () => ({ api, credits, refreshCredits, noteIndex, invalidateNotes, dueCount, refreshDue }),
    [api, credits, refreshCredits, noteIndex, invalidateNotes, dueCount, refreshDue],
  );

  let page: React.ReactNode;
  let params: Record<string, string> | null;
  if (path === "/" || path === "/submit") page = <SubmitPage />;
  else if ((params = match("/videos/:id", path))) page = <VideoPage key={params.id} videoId={params.id} />;
  else if ((params = match("/notes/:id", path))) page = <NotePage key={params.id} noteId={params.id} />;
  else if (path === "/library") page = <LibraryPage category={search.get("category") ?? ""} />;
  else if (path === "/credits") page = <CreditsPage checkout={search.get("checkout")} />;
  else if (path === "/settings") page = <SettingsPage />;
  else if (path === "/review" || path === "/review/") page = <ReviewPage key={search.get("course_id") ?? ""} courseId={search.get("course_id") ?? ""} />;
  else if (path === "/courses" || path === "/courses/") page = <CoursesPage />;
  else if ((params = match("/courses/:id", path))) page = <CoursePage key={params.id} courseId={params.id} />;
  else if (path === "/search") page = <SearchPage query={search.get("q") ?? ""} />;
  else if (path === "/ask") page = <AskPage key={search.get("q") ?? ""} initial={search.get("q") ?? ""} />;
  else page = <NotFound />;

  const nav: [string, string][] = [["/", "Submit"], ["/library", "Library"], ["/review", "Review"], ["/courses", "Courses"], ["/ask", "Ask"], ["/credits", "Credits"], ["/settings", "Export & settings"]];
  const current = (to: string) => (to === "/" ? path === "/" || path.startsWith("/videos/") : path.startsWith(to) || (to === "/library" && path.startsWith("/notes/")));

  return (
    <AppContext.Provider value={context}>
      <a className="skip" href="#main">Skip to content</a>
      <div inert={expired !== null && session === null ? true : undefined}>
        <header className="top">
          <Link to="/" className="brand">Study Buddy</Link>
          {session ? (
            <>
              <nav aria-label="Main">
                <ul>
                  {nav.map(([to, label]) => (
                    <li key={to}>
                      <Link to={to} aria-current={current(to) ? "page" : undefined}>
                        {label}
                        {to === "/review" && dueCount ? (
                          <>
                            {" "}
                            <span className="nav-count" data-testid="due-count">
                              {dueCount}<span className="sr-only"> due</span>
                            </span>
                          </>
                        ) : null}
                      </Link>
                    </li>
                  ))}
                </ul>
              </nav>
              <SearchBox initial={path === "/search" ? search.get("q") ?? "" : ""} />
              <p className="who">
                <Link to="/credits" data-testid="header-credits">{credits === null ? "…" : plural(credits, "credit")}</Link>
                <button type="button" className="link" onClick={() => api.signOut()}>Sign out</button>
              </p>
            </>
          ) : null}
        </header>
        <main id="main" ref={mainRef}>
          {/* Keyed by who is signed in: after an expired session, another student signing
              in gets a fresh page, never the state (a review queue, a note) of the first. */}
          {session || expired !== null
            ? <Fragment key={session?.email ?? expired ?? ""}>{page}</Fragment>
            : <AuthScreen />}
        </main>
      </div>
      {expired !== null && session === null ? <SessionDialog email={expired} /> : null}
    </AppContext.Provider>
  );
}

function NotFound() {
  useTitle("Page not found");
  return (
    <>
      <h1 tabIndex={-1}>Page not found</h1>
      <p><Link to="/">Go to the start page</Link></p>
    </>
  );
}

/** After a 401: sign in again over the page, which keeps everything typed. */
function SessionDialog({ email }: { email: string }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  return (
    <dialog ref={ref} className="session-dialog" aria-label="Sign in again" onCancel={(e) => e.preventDefault()}>
      <AuthScreen initialEmail={email} inDialog notice="Your session has ended. Sign in again to carry on; what you typed is kept." />
    </dialog>
  );
}
