// Reviewing cards (docs/DESIGN.md section 12): one due card at a time, its front, then
// (Show answer, or Space) its answer, the quote and "Rewatch 12:34" (the embedded player
// seeks there when it is open, else YouTube opens at that second), four ratings with the
// interval each would give (keys 1-4), and a summary at the end of the session.
// Everything on a card (front, back, quote) comes from captions and model output: shown
// as text, never as HTML.
import { MouseEvent, useCallback, useEffect, useLayoutEffect, useRef, useState } from "react";
import { ApiError, Card, DueCards, Rating } from "../api";
import { useApp } from "../context";
import { ErrorMessage } from "../errors";
import { Link, useTitle } from "../router";
import { PLAYER_ORIGIN, usePlayer } from "../player";
import { plural } from "../util";

const PAGE_SIZE = 20;
const MAX_DURATION_MS = 86_400_000; // the API's bound on duration_ms
const RATINGS: { rating: Rating; name: string }[] = [
  { rating: 1, name: "Again" },
  { rating: 2, name: "Hard" },
  { rating: 3, name: "Good" },
  { rating: 4, name: "Easy" },
];
const NAMES: Record<Rating, string> = { 1: "Again", 2: "Hard", 3: "Good", 4: "Easy" };

// YouTube's privacy-enhanced player, driven as NoteView.tsx drives it: the iframe API's
// "listening" handshake (asked every 250 ms), then postMessage commands (seekTo).
const VIDEO_ID = /^[A-Za-z0-9_-]{11}$/;

/** Seconds until due in words, as on the rating buttons: "<1 min", "10 min", "5 h",
 *  "1 d", "4 d", "2 mo", "1.5 y". */
export function humanInterval(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 60) return "<1 min";
  const minutes = seconds / 60;
  if (minutes < 59.5) return `${Math.round(minutes)} min`;
  const hours = minutes / 60;
  if (hours < 23.5) return `${Math.round(hours)} h`;
  const days = hours / 24;
  if (days < 29.5) return `${Math.round(days)} d`;
  const months = days / 30;
  if (months < 11.5) return `${Math.round(months)} mo`;
  const years = Math.round((days / 365) * 10) / 10;
  return `${years} y`;
}

/** 12:34 (or 1:02:03 past the hour). */
export function clock(totalSeconds: number): string {
  const whole = Math.max(0, Math.floor(totalSeconds));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const seconds = String(whole % 60).padStart(2, "0");
  return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${seconds}` : `${minutes}:${seconds}`;
}

function spent(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return plural(seconds, "second");
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  if (minutes < 60) return rest ? `${plural(minutes, "minute")} ${plural(rest, "second")}` : plural(minutes, "minute");
  return `${plural(Math.floor(minutes / 60), "hour")} ${plural(minutes % 60, "minute")}`;
}

/** The card's video and second, from its url (only a YouTube https link is used). */
function whereSaid(card: Card): { href: string; videoId: string; seconds: number } | null {
  let url: URL;
  try {
    url = new URL(card.url);
  } catch {
    return null;
  }
  const videoId = url.searchParams.get("v") ?? "";
  if (url.protocol !== "https:" || !/^(www\.)?youtube\.com$/.test(url.hostname) || !VIDEO_ID.test(videoId)) return null;
  const seconds = Number.parseInt((url.searchParams.get("t") ?? "0").replace(/s$/, ""), 10);
  return { href: url.toString(), videoId, seconds: Number.isFinite(seconds) && seconds > 0 ? seconds : 0 };
}

/** Made once per review: the same id again (a retry) counts once. */
function newReviewId(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  // Outside a secure context (a LAN address over http) randomUUID is missing.
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

function same(a: string, b: string): boolean {
  const norm = (text: string) => text.replace(/\s+/g, " ").trim().toLowerCase();
  return norm(a) === norm(b);
}

/** Keys typed into a field (or with a modifier, or under a dialog) are not shortcuts. */
function typing(event: KeyboardEvent): boolean {
  if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return true;
  const target = event.target as HTMLElement | null;
  if (target?.closest?.("input, textarea, select, [contenteditable]:not([contenteditable='false'])")) return true;
  return document.querySelector("dialog[open]") !== null;
}

// --- the page -------------------------------------------------------------------------

interface Attempt {
  cardId: string;
  reviewId: string;
  shownAt: number;
  /** The rating of a try whose answer never came: it may have been recorded. */
  unanswered: Rating | null;
}

type Phase = "loading" | "reviewing" | "finished" | "failed";

/** courseId: only that course's cards (GET /reviews/due?course_id=; "Review this course"). */
export function ReviewPage({ courseId = "" }: { courseId?: string }) {
  const { api, refreshDue } = useApp();
  const [courseTitle, setCourseTitle] = useState<string | null>(null);
  useTitle(courseId ? `Review: ${courseTitle ?? "a course"}` : "Review");
  const [phase, setPhase] = useState<Phase>("loading");
  const [queue, setQueue] = useState<Card[]>([]);
  const [total, setTotal] = useState(0);
  const [revealed, setRevealed] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState("");
  const [tally, setTally] = useState<Record<Rating, number>>({ 1: 0, 2: 0, 3: 0, 4: 0 });
  const [skipped, setSkipped] = useState(0);
  const [started, setStarted] = useState<number | null>(null);
  const [ended, setEnded] = useState<number | null>(null);
  const [nextDue, setNextDue] = useState<string | null>(null);
  const [playerOpen, setPlayerOpen] = useState(false);
  const [announce, setAnnounce] = useState("");
  const attempt = useRef<Attempt | null>(null);
  // Set at once (state would only show on the next render): two quick key presses make
  // one request, not two.
  const sending = useRef(false);
  // Cards this session rated, and when each is due now: a due list read a moment after a
  // review (an index not yet caught up) must not bring one back early.
  const dueAfter = useRef(new Map<string, number>());
  const front = useRef<HTMLDivElement>(null);
  const back = useRef<HTMLDivElement>(null);
  const summary = useRef<HTMLHeadingElement>(null);
  const focusNext = useRef<"front" | "back" | null>(null);

  const card = queue[0] ?? null;
  const reviewed = tally[1] + tally[2] + tally[3] + tally[4];
  const position = reviewed + skipped + 1;
  const where = card ? whereSaid(card) : null;
  const player = usePlayer(playerOpen, where?.videoId ?? null);

  const present = useCallback((next: Card | undefined) => {
    attempt.current = next ? { cardId: next.card_id, reviewId: newReviewId(), shownAt: performance.now(), unanswered: null } : null;
    setRevealed(false);
  }, []);

  /** Reads what is due; done: how many cards this session has already seen. */
  const load = useCallback(async (done: number) => {
    setPhase((now) => (now === "reviewing" ? now : "loading"));
    try {
      const answer = await api.request<DueCards>("GET", "/reviews/due", { query: { limit: PAGE_SIZE, course_id: courseId || undefined } });
      const now = Date.now();
      const fresh = answer.cards.filter((c) => (dueAfter.current.get(c.card_id) ?? 0) <= now);
      if (!fresh.length) {
        setQueue([]);
        setPhase("finished");
        return;
      }
      const available = Math.max(fresh.length, answer.due_count + answer.new_count - (answer.cards.length - fresh.length));
      setQueue(fresh);
      setTotal(done + available);
      setStarted((at) => at ?? Date.now());
      present(fresh[0]);
      setAnnounce(`Card ${done + 1} of ${done + available}`);
      setPhase("reviewing");
      focusNext.current = "front";
    } catch (caught) {
      setError(caught);
      setPhase("failed");
    }
  }, [api, present, courseId]);

  useEffect(() => {
    void load(0);
  }, [load]);

  useEffect(() => {
    if (!courseId) return;
    api.request<{ title: string }>("GET", `/courses/${encodeURIComponent(courseId)}`)
      .then((course) => setCourseTitle(course.title))
      .catch(() => setCourseTitle(null)); // the due list says what went wrong
  }, [api, courseId]);

  // Focus follows the card: its front, then its answer.
  useEffect(() => {
    const target = focusNext.current;
    if (!target) return;
    focusNext.current = null;
    (target === "front" ? front.current : back.current)?.focus({ preventScroll: false });
  });

  // Then the summary (or "Nothing due"), once the session has finished: keyed on the
  // phase itself, so the heading is focused in the render that shows it, whichever
  // request answered last.
  useEffect(() => {
    if (phase === "finished") summary.current?.focus({ preventScroll: false });
  }, [phase]);

  const reveal = useCallback(() => {
    if (!card || revealed) return;
    setRevealed(true);
    focusNext.current = "back";
  }, [card, revealed]);

  /** The next card, or (none left) the due list read again. */
  const advance = useCallback((rest: Card[], done: number, note: string) => {
    setNotice(note);
    setError(null);
    if (rest.length) {
      setQueue(rest);
      present(rest[0]);
      setAnnounce(`Card ${done + 1} of ${Math.max(total, done + rest.length)}`); // a note speaks for itself (role=status)
      focusNext.current = "front";
    } else {
      setQueue([]);
      void load(done);
    }
  }, [load, present, total]);

  const post = (cardId: string, rating: Rating, reviewId: string, durationMs: number) =>
    api.request<Card>("POST", `/reviews/${encodeURIComponent(cardId)}`, {
      body: { rating, review_id: reviewId, duration_ms: durationMs },
    });

  const rate = async (rating: Rating) => {
    const current = attempt.current;
    if (!card || !revealed || sending.current || !current || current.cardId !== card.card_id) return;
    sending.current = true;
    setBusy(true);
    setError(null);
    const duration = Math.min(MAX_DURATION_MS, Math.max(0, Math.round(performance.now() - current.shownAt)));
    let recorded = rating;
    let note = "";
    try {
      let after: Card;
      try {
        after = await post(card.card_id, rating, current.reviewId, duration);
      } catch (caught) {
        // An earlier try with another rating was recorded after all (only its answer was
        // lost): that review stands, and this asks for the card as it left it.
        const earlier = current.unanswered;
        if (!(caught instanceof ApiError && caught.code === "ReviewAlreadyRecorded" && earlier !== null && earlier !== rating)) throw caught;
        after = await post(card.card_id, earlier, current.reviewId, duration);
        recorded = earlier;
        note = `Your first answer, ${NAMES[earlier]}, had already been recorded.`;
      }
      const due = Date.parse(after.due);
      if (Number.isFinite(due)) {
        dueAfter.current.set(card.card_id, due);
        setNextDue((soonest) => (soonest && Date.parse(soonest) <= due ? soonest : after.due));
      }
      setTally((before) => ({ ...before, [recorded]: before[recorded] + 1 }));
      setEnded(Date.now());
      void refreshDue();
      advance(queue.slice(1), reviewed + skipped + 1, note);
    } catch (caught) {
      if (caught instanceof ApiError && caught.status === 404) {
        // Its note was deleted (and with it all of that note's cards): skip them.
        const rest = queue.slice(1).filter((c) => c.note_id !== card.note_id);
        const gone = queue.length - rest.length;
        setSkipped((before) => before + gone);
        void refreshDue();
        advance(rest, reviewed + skipped + gone,
          gone > 1 ? `The note of these cards was deleted, so ${gone} cards were skipped.` : "This card's note was deleted, so it was skipped.");
      } else {
        if (caught instanceof ApiError && caught.status === 409) {
          // Reviewed elsewhere at the same moment: this try was not recorded; a new one is a new review.
          current.reviewId = newReviewId();
          current.unanswered = null;
        } else {
          current.unanswered = rating; // a retry sends the same review_id
        }
        setError(caught);
      }
    } finally {
      sending.current = false;
      setBusy(false);
    }
  };

  // Space shows the answer; 1-4 rate. Not while typing, nor under a dialog. Bound before
  // the paint (a layout effect): a card on screen always has its keys, even a key pressed
  // the instant it appears.
  useLayoutEffect(() => {
    if (phase !== "reviewing") return;
    const onKey = (event: KeyboardEvent) => {
      if (typing(event) || event.repeat) return;
      if (event.key === " " || event.code === "Space") {
        if (revealed) return;
        const target = event.target as HTMLElement | null;
        // A focused control keeps Space for itself (Show answer does the same thing).
        if (target?.closest?.("button, a, summary") && !target.closest("[data-show-answer]")) return;
        event.preventDefault();
        reveal();
      } else if (/^[1-4]$/.test(event.key) && revealed) {
        event.preventDefault();
        void rate(Number(event.key) as Rating);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  });

  const rewatch = (event: MouseEvent<HTMLAnchorElement>) => {
    if (!where || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    if (playerOpen && player.state === "ready") {
      event.preventDefault(); // the player is open: seek it instead of leaving for YouTube
      player.seek(where.seconds);
      setAnnounce(`Playing from ${clock(where.seconds)}`);
    }
  };

  const intervals = card?.next_intervals ?? {};
  const sessionTime = started !== null && ended !== null ? ended - started : 0;

  return (
    <section className="review" aria-labelledby="review-title">
      <h1 id="review-title" tabIndex={-1}>Review</h1>
      {courseId ? (
        <p className="crumbs" data-testid="review-scope">
          Cards of the course {courseTitle ? <Link to={`/courses/${encodeURIComponent(courseId)}`}>{courseTitle}</Link> : "you chose"} only
          {" · "}<Link to="/review">Review all your cards</Link>
        </p>
      ) : null}
      <p className="sr-only" aria-live="polite" data-testid="review-announce">{announce}</p>
      {notice ? <p className="notice" role="status" data-testid="review-notice">{notice}</p> : null}
      <ErrorMessage error={error} />
      {phase === "loading" || (phase === "reviewing" && !card) ? <p>Loading the cards that are due…</p> : null}
      {phase === "failed" ? (
        <p className="actions">
          <button type="button" onClick={() => { setError(null); void load(reviewed + skipped); }}>Try again</button>
        </p>
      ) : null}

      {phase === "reviewing" && card ? (
        <>
          <p className="review-progress" data-testid="review-progress">
            Card {position} of {Math.max(total, position)}
          </p>
          {playerOpen && where ? (
            <div className={`player player-${player.state}`}>
              {player.state !== "unavailable" || navigator.onLine !== false ? (
                <div className="frame" hidden={player.state === "unavailable"}>
                  <iframe
                    key={where.videoId}
                    ref={player.frame}
                    title="YouTube player"
                    src={`${PLAYER_ORIGIN}/embed/${encodeURIComponent(where.videoId)}?enablejsapi=1&origin=${encodeURIComponent(location.origin)}`}
                    allow="autoplay; encrypted-media; picture-in-picture"
                    referrerPolicy="strict-origin-when-cross-origin"
                    onLoad={player.onLoad}
                  />
                </div>
              ) : null}
              <p className="hint" data-testid="player-state">
                {player.state === "ready"
                  ? "Rewatch now plays here."
                  : player.state === "loading"
                    ? "Loading the player… until it is ready, Rewatch opens the video on YouTube."
                    : "The player cannot load (are you offline?). Rewatch opens the video on YouTube instead."}
              </p>
            </div>
          ) : null}
          <article className="card review-card" aria-labelledby="card-front">
            <p className="crumbs">
              <Link to={`/notes/${encodeURIComponent(card.note_id)}`}>{card.note_title}</Link>
              {" · "}
              {card.kind === "concept" ? "Concept" : "Question"}
            </p>
            <div className="review-front" id="card-front" ref={front} tabIndex={-1} data-testid="card-front">
              {card.front}
            </div>
            {revealed ? (
              <div className="review-back" ref={back} tabIndex={-1} data-testid="card-back" role="group" aria-label="Answer">
                {card.back && !same(card.back, card.quote) ? <p className="review-answer" data-testid="card-answer">{card.back}</p> : null}
                {card.quote ? (
                  <figure className="review-quote">
                    <blockquote cite={where?.href} data-testid="card-quote">{card.quote}</blockquote>
                    <figcaption>In the lecture{where ? ` at ${clock(where.seconds)}` : ""}</figcaption>
                  </figure>
                ) : null}
                {where ? (
                  <p className="actions rewatch">
                    <a
                      className="button secondary"
                      href={where.href}
                      target="_blank"
                      rel="noopener noreferrer"
                      data-seconds={where.seconds}
                      data-video={where.videoId}
                      data-testid="rewatch"
                      onClick={rewatch}
                    >
                      Rewatch {clock(where.seconds)}
                    </a>
                    {playerOpen ? (
                      <button type="button" className="secondary" onClick={() => setPlayerOpen(false)}>Close player</button>
                    ) : (
                      <button type="button" className="secondary" onClick={() => setPlayerOpen(true)}>Watch alongside</button>
                    )}
                  </p>
                ) : null}
              </div>
            ) : (
              <p className="actions">
                <button type="button" data-show-answer onClick={reveal} aria-keyshortcuts="Space">
                  Show answer <kbd aria-hidden="true">Space</kbd>
                </button>
              </p>
            )}
          </article>
          {revealed ? (
            <div className="ratings" role="group" aria-label="How well did you remember it?">
              {RATINGS.map(({ rating, name }) => {
                const seconds = intervals[String(rating) as "1" | "2" | "3" | "4"];
                return (
                  <button
                    key={rating}
                    type="button"
                    className={`rating rating-${rating}`}
                    onClick={() => void rate(rating)}
                    disabled={busy}
                    aria-keyshortcuts={String(rating)}
                    data-rating={rating}
                    data-seconds={seconds ?? ""}
                  >
                    <span className="rating-name">{name}</span>
                    {seconds !== undefined ? <span className="rating-interval">{humanInterval(seconds)}</span> : null}
                    <kbd aria-hidden="true">{rating}</kbd>
                  </button>
                );
              })}
            </div>
          ) : null}
          <p className="hint">Keys: Space shows the answer, then 1 Again, 2 Hard, 3 Good, 4 Easy.</p>
        </>
      ) : null}

      {phase === "finished" && reviewed === 0 ? (
        <div className="card review-empty" data-testid="review-empty">
          <h2 ref={summary} tabIndex={-1}>Nothing due</h2>
          <p>
            No card is due right now. Cards come from the review questions and core concepts of your notes;{" "}
            <Link to="/library">open your library</Link> to read them, or make notes from another lecture.
          </p>
        </div>
      ) : null}

      {phase === "finished" && reviewed > 0 ? (
        <div className="card review-summary" data-testid="review-summary">
          <h2 ref={summary} tabIndex={-1}>Session complete</h2>
          <dl className="facts summary-facts">
            <div><dt>Cards reviewed</dt><dd data-testid="summary-reviewed">{reviewed}</dd></div>
            {RATINGS.map(({ rating, name }) => (
              <div key={rating}><dt>{name}</dt><dd data-testid={`summary-${name.toLowerCase()}`}>{tally[rating]}</dd></div>
            ))}
            {skipped ? <div><dt>Skipped</dt><dd data-testid="summary-skipped">{skipped}</dd></div> : null}
            <div><dt>Time spent</dt><dd data-testid="summary-time">{spent(sessionTime)}</dd></div>
            {nextDue ? (
              <div>
                <dt>Next card due</dt>
                <dd data-testid="summary-next">
                  in {humanInterval((Date.parse(nextDue) - Date.now()) / 1000)}{" "}
                  ({new Date(nextDue).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" })})
                </dd>
              </div>
            ) : null}
          </dl>
          <p className="actions">
            <button type="button" onClick={() => void load(reviewed + skipped)}>Check for more cards</button>
            <Link to="/library">Back to your library</Link>
          </p>
        </div>
      ) : null}
    </section>
  );
}
