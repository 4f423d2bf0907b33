// Courses (docs/DESIGN.md sections 4 and 14): paste a playlist (or a list of video links),
// see the estimate before anything is charged, start, follow each lecture's state, open
// the index note, review the course's cards alone.
import { FormEvent, useCallback, useEffect, useRef, useState } from "react";
import { ApiError, Course, Lecture, LectureStatus } from "../api";
import { ConfirmDialog } from "../Confirm";
import { useApp } from "../context";
import { ErrorMessage } from "../errors";
import { usePolling } from "../polling";
import { Link, navigate, useTitle } from "../router";
import { clearDraft, loadDraft, saveDraft } from "../session";
import { formatDate, formatDuration, plural, readFlash, setFlash } from "../util";

const PAGE_SIZE = 20;
const MAX_TITLE_LENGTH = 200;

const LINKS_MISSING = "Paste a playlist link first (youtube.com/playlist?list=…), or several video links, one a line.";
const TITLE_MISSING = "Give the course a title: a list of video links has none of its own.";

/** Each lecture state in words, for the badge. */
const STATUS_WORDS: Record<LectureStatus, string> = {
  pending: "Not started",
  queued: "Queued",
  processing: "Processing",
  completed: "Done",
  failed: "Failed",
  needs_credits: "Waiting for credits",
  needs_upload: "Needs captions",
  skipped: "Skipped",
};

const COURSE_WORDS: Record<Course["status"], string> = {
  listing: "Listing the playlist",
  ready: "Ready to start",
  running: "Running",
  completed: "Completed",
  failed: "Could not be made",
};

interface Draft {
  links: string;
  title: string;
  subject: string;
}

function coursePath(courseId: string): string {
  return `/courses/${encodeURIComponent(courseId)}`;
}

// --- the list and the form ----------------------------------------------------------

export function CoursesPage() {
  const { api } = useApp();
  const [draft, setDraft] = useState<Draft>(() => loadDraft("course", { links: "", title: "", subject: "" }));
  const [courses, setCourses] = useState<Course[] | null>(null);
  const [lastKey, setLastKey] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  // A refused form (in the browser or by the API's 400): announced, its field focused.
  const [refusal, setRefusal] = useState<{ text: string; field: "links" | "title"; n: number } | null>(null);
  const [deleting, setDeleting] = useState<Course | null>(null);
  const [status, setStatus] = useState("");
  const [flash] = useState(() => readFlash(false));
  useEffect(() => void readFlash(true), []);
  const linksField = useRef<HTMLTextAreaElement>(null);
  const titleField = useRef<HTMLInputElement>(null);
  useTitle("Courses");

  const load = useCallback(async (from: string | null) => {
    setLoading(true);
    try {
      const page = await api.request<{ courses: Course[]; last_key: string | null }>("GET", "/courses", {
        query: { limit: PAGE_SIZE, last_key: from ?? undefined },
      });
      setCourses((before) => (from && before ? [...before, ...page.courses] : page.courses));
      setLastKey(page.last_key);
    } catch (caught) {
      setError(caught);
    } finally {
      setLoading(false);
    }
  }, [api]);
  useEffect(() => void load(null), [load]);

  const update = (change: Partial<Draft>) => {
    if (change.links !== undefined || change.title !== undefined) setRefusal(null);
    const next = { ...draft, ...change };
    setDraft(next);
    saveDraft("course", next);
  };

  const refuse = (text: string, field: "links" | "title") => {
    setRefusal((before) => ({ text, field, n: (before?.n ?? 0) + 1 }));
    (field === "links" ? linksField.current : titleField.current)?.focus();
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    const links = draft.links.split(/\s+/).filter(Boolean);
    if (!links.length) return refuse(LINKS_MISSING, "links");
    // One link is a playlist; several are the course's videos, in order.
    const body: Record<string, unknown> = links.length === 1 ? { url: links[0] } : { videos: links, title: draft.title.trim() };
    if (links.length > 1 && !draft.title.trim()) return refuse(TITLE_MISSING, "title");
    if (draft.subject.trim()) body.subject = draft.subject.trim();
    setBusy(true);
    try {
      const course = await api.request<Course>("POST", "/courses", { body });
      clearDraft("course");
      navigate(coursePath(course.course_id));
    } catch (caught) {
      if (caught instanceof ApiError && caught.status === 400) {
        const onTitle = /'title'/.test(caught.message) && links.length > 1;
        refuse(caught.message, onTitle ? "title" : "links");
      } else {
        setError(caught);
      }
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    const course = deleting;
    setDeleting(null);
    if (!course) return;
    try {
      await api.request("DELETE", coursePath(course.course_id));
      setCourses((before) => before && before.filter((item) => item.course_id !== course.course_id));
      setStatus(`Deleted the course “${course.title}”; the notes its lectures made are kept.`);
      // Its row (and the button that asked) is gone: the heading takes the focus.
      document.querySelector<HTMLElement>("main h1")?.focus();
    } catch (caught) {
      setError(caught);
    }
  };

  const linksRefused = refusal?.field === "links";
  const titleRefused = refusal?.field === "title";
  const several = draft.links.split(/\s+/).filter(Boolean).length > 1;

  return (
    <>
      <h1 tabIndex={-1}>Courses</h1>
      {flash ? <p className="notice" role="status" data-testid="flash">{flash}</p> : null}
      {refusal ? <p key={refusal.n} className="sr-only" role="alert" data-testid="course-refused">{refusal.text}</p> : null}
      <form className="card" onSubmit={submit} aria-label="Make a course" noValidate>
        <p className="field">
          <label htmlFor="course-links">Playlist link, or video links one a line</label>
          <textarea
            id="course-links"
            name="links"
            rows={3}
            autoComplete="off"
            spellCheck={false}
            placeholder="https://www.youtube.com/playlist?list=…"
            ref={linksField}
            aria-invalid={linksRefused}
            aria-describedby="course-links-help"
            value={draft.links}
            onChange={(e) => update({ links: e.target.value })}
          />
          <small id="course-links-help" className={linksRefused ? "field-error" : undefined}>
            {linksRefused
              ? refusal.text
              : "A playlist link (youtube.com/playlist?list=…, or a watch link with &list=…) lists its videos, at most 200. Nothing is charged before you start."}
          </small>
        </p>
        <p className="field">
          <label htmlFor="course-title">Course title {several ? "" : "(for a list of video links)"}</label>
          <input
            id="course-title"
            name="title"
            maxLength={MAX_TITLE_LENGTH}
            autoComplete="off"
            ref={titleField}
            aria-invalid={titleRefused}
            aria-describedby="course-title-help"
            value={draft.title}
            onChange={(e) => update({ title: e.target.value })}
          />
          <small id="course-title-help" className={titleRefused ? "field-error" : undefined}>
            {titleRefused ? refusal.text : "A playlist brings its own title."}
          </small>
        </p>
        <p className="field">
          <label htmlFor="course-subject">Subject (optional)</label>
          <input id="course-subject" name="subject" placeholder="e.g. Physics" value={draft.subject} onChange={(e) => update({ subject: e.target.value })} />
        </p>
        <ErrorMessage error={error} />
        <button type="submit" disabled={busy}>{busy ? "Sending…" : "See the estimate"}</button>
      </form>

      <section aria-labelledby="courses-title">
        <h2 id="courses-title">Your courses</h2>
        <p className="sr-only" role="status">{status}</p>
        {courses === null ? <p>Loading…</p> : courses.length === 0 ? <p>No courses yet: paste a playlist above.</p> : (
          <ul className="list courses" aria-label="Courses">
            {courses.map((course) => (
              <li key={course.course_id}>
                <Link to={coursePath(course.course_id)}>{course.title}</Link>
                <span className={`badge course-${course.status}`}>{COURSE_WORDS[course.status]}</span>
                <small>
                  {course.completed_count} of {plural(course.lecture_count - course.skipped_count, "lecture")} done{course.skipped_count ? ` (${course.skipped_count} skipped)` : ""} · {formatDate(course.created_at)}
                </small>
                <button type="button" className="danger small" aria-label={`Delete ${course.title}`} onClick={() => setDeleting(course)}>
                  Delete
                </button>
              </li>
            ))}
          </ul>
        )}
        {lastKey ? (
          <button type="button" className="secondary" disabled={loading} onClick={() => void load(lastKey)}>
            {loading ? "Loading…" : "Load more"}
          </button>
        ) : null}
      </section>
      {deleting ? (
        <ConfirmDialog title={`Delete the course “${deleting.title}”?`} confirmLabel="Delete course" onConfirm={remove} onCancel={() => setDeleting(null)}>
          Lectures not yet started are dropped; nothing is charged for them. The notes its lectures made stay in your library.
        </ConfirmDialog>
      ) : null}
    </>
  );
}

// --- one course ----------------------------------------------------------------------

export function CoursePage({ courseId }: { courseId: string }) {
  const { api, credits, refreshCredits, invalidateNotes } = useApp();
  const [course, setCourse] = useState<Course | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [startError, setStartError] = useState<unknown>(null);
  const [starting, setStarting] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [dropNotes, setDropNotes] = useState(false);
  // Bumped to poll again at once (after Start).
  const [wake, setWake] = useState(0);
  const charged = useRef<number | null>(null);
  useTitle(course ? course.title : "Course");

  const moving = course === null || course.status === "listing" || course.status === "running";
  // A course that settles stops the polling; Start (wake) begins it again.
  usePolling(moving, {
    load: () => api.request<Course>("GET", coursePath(courseId)),
    fingerprint: (next) => JSON.stringify([next.status, next.lectures?.map((l) => [l.status, l.message])]),
    take: (next) => {
      setCourse(next);
      if (charged.current !== next.credits_charged) {
        charged.current = next.credits_charged;
        void refreshCredits();
      }
      if (next.status === "listing" || next.status === "running") return false;
      if (next.status === "completed") invalidateNotes();
      return true;
    },
    setError,
  }, [api, courseId, wake]);

  const start = async () => {
    setStarting(true);
    setStartError(null);
    try {
      const next = await api.request<Course>("POST", `${coursePath(courseId)}/start`);
      setCourse(next);
      void refreshCredits();
      setWake((n) => n + 1);
    } catch (caught) {
      setStartError(caught);
    } finally {
      setStarting(false);
    }
  };

  const remove = async () => {
    setConfirming(false);
    try {
      await api.request("DELETE", coursePath(courseId), { query: { keep_notes: dropNotes ? "false" : "true" } });
      invalidateNotes();
      void refreshCredits();
      setFlash(`Deleted the course “${course?.title ?? ""}”${dropNotes ? " and the notes its lectures made" : "; the notes its lectures made are kept"}.`);
      navigate("/courses");
    } catch (caught) {
      setError(caught);
    }
  };

  const lectures = course?.lectures ?? [];
  const count = (status: LectureStatus) => lectures.filter((lecture) => lecture.status === status).length;
  const skipped = count("skipped");
  const waitingCredits = count("needs_credits");
  const waitingUpload = count("needs_upload");
  const summary = course ? courseSummary(course, lectures) : "";

  return (
    <>
      <p className="crumbs"><Link to="/courses">Courses</Link></p>
      <h1 tabIndex={-1}>{course?.title ?? "Course"}</h1>
      <ErrorMessage error={error} />
      {course ? (
        <>
          <section className="card" aria-label="Course">
            <p className="course-facts">
              <span className={`badge course-${course.status}`} data-testid="course-status">{COURSE_WORDS[course.status]}</span>
              {" "}
              {course.lecture_count ? <>{plural(course.lecture_count, "lecture")}</> : null}
              {course.duration_seconds ? <> · {formatDuration(course.duration_seconds)} in all</> : null}
              {course.subject ? <> · {course.subject}</> : null}
              {course.source_url ? (
                <> · <a href={course.source_url} target="_blank" rel="noopener noreferrer">the playlist on YouTube</a></>
              ) : null}
            </p>
            {course.message ? (
              <p className={course.status === "failed" ? "error" : "notice"} data-testid="course-message">{course.message}</p>
            ) : null}
            {course.status === "listing" ? <p>Reading the playlist’s videos: this takes a few seconds.</p> : null}
            {course.status === "ready" ? (
              <Estimate course={course} skipped={skipped} credits={credits} starting={starting} onStart={start} error={startError} />
            ) : null}
            {course.status === "running" || course.status === "completed" ? (
              <>
                <label htmlFor="course-progress">Progress</label>
                <progress id="course-progress" max={100} value={course.progress ?? 0} aria-valuetext={`${course.progress ?? 0}%`}>
                  {course.progress ?? 0}%
                </progress>
              </>
            ) : null}
            {/* Said when it changes: the course's state, counts and credits charged. */}
            <p aria-live="polite" data-testid="course-summary">{summary}</p>
            {waitingCredits ? (
              <p className="notice" data-testid="needs-credits">
                {plural(waitingCredits, "lecture")} {waitingCredits === 1 ? "waits" : "wait"} for credits: <Link to="/credits">buy credits</Link> and
                the course goes on by itself.
              </p>
            ) : null}
            {waitingUpload ? (
              <p className="notice">
                YouTube will not serve {waitingUpload === 1 ? "one lecture" : `${waitingUpload} lectures`}: upload {waitingUpload === 1 ? "its" : "their"} captions (a
                .vtt or .srt file) and the course goes on with them.
              </p>
            ) : null}
            {course.status === "completed" ? (
              <p className="actions">
                {course.index_note_id ? (
                  <Link className="button" to={`/notes/${encodeURIComponent(course.index_note_id)}`}>Open the index note</Link>
                ) : null}
                <Link className="button secondary" to={`/review?course_id=${encodeURIComponent(course.course_id)}`}>Review this course</Link>
              </p>
            ) : null}
          </section>
          {lectures.length ? (
            <section aria-labelledby="lectures-title">
              <h2 id="lectures-title">Lectures</h2>
              <ol className="lectures" data-testid="lectures">
                {lectures.map((lecture) => <LectureRow key={lecture.position} lecture={lecture} subject={course.subject} />)}
              </ol>
            </section>
          ) : null}
          <p>
            <button type="button" className="danger" onClick={() => setConfirming(true)}>Delete course</button>
          </p>
        </>
      ) : !error ? <p>Loading…</p> : null}
      {confirming ? (
        <ConfirmDialog title="Delete this course?" confirmLabel="Delete course" onConfirm={remove} onCancel={() => setConfirming(false)}>
          <p>Lectures not yet started are dropped, and nothing is charged for them.</p>
          <p className="field checkbox">
            <input id="drop-notes" type="checkbox" checked={dropNotes} onChange={(e) => setDropNotes(e.target.checked)} />
            <label htmlFor="drop-notes">Also delete the notes its lectures made</label>
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}

function courseSummary(course: Course, lectures: Lecture[]): string {
  const done = lectures.filter((lecture) => lecture.status === "completed").length;
  const total = lectures.filter((lecture) => lecture.status !== "skipped").length;
  const charged = `${plural(course.credits_charged, "credit")} charged`;
  switch (course.status) {
    case "listing":
      return "Listing the playlist…";
    case "ready": {
      const owned = lectures.filter((lecture) => lecture.status === "pending" && lecture.owned).length;
      return owned
        ? `Ready: ${plural(total - owned, "lecture")} to make, ${owned} you already have. Nothing charged yet.`
        : `Ready: ${plural(total, "lecture")} to make. Nothing charged yet.`;
    }
    case "running":
      return `${done} of ${plural(total, "lecture")} done · ${charged}.`;
    case "completed":
      return `Completed: ${done} of ${plural(total, "lecture")} done · ${charged}.`;
    default:
      return "This course could not be made.";
  }
}

/** Before anything is charged: what the course will cost, and Start. */
function Estimate({ course, skipped, credits, starting, onStart, error }: {
  course: Course;
  skipped: number;
  credits: number | null;
  starting: boolean;
  onStart: () => void;
  error: unknown;
}) {
  const short = credits !== null && credits < course.credits_estimate;
  return (
    <div className="estimate" data-testid="estimate">
      <h2>Estimate</h2>
      <dl className="facts summary-facts">
        <div><dt>Lectures</dt><dd>{course.lecture_count - skipped}{skipped ? ` (${skipped} skipped)` : ""}</dd></div>
        {course.duration_seconds ? <div><dt>Length</dt><dd>{formatDuration(course.duration_seconds)}</dd></div> : null}
        <div><dt>Cost</dt><dd data-testid="estimate-credits">{plural(course.credits_estimate, "credit")}</dd></div>
        {credits !== null ? <div><dt>You have</dt><dd>{plural(credits, "credit")}</dd></div> : null}
      </dl>
      <p className="hint">
        1 credit per started hour of each lecture; a lecture you already have costs nothing. Nothing is charged until you
        start: each lecture is paid when it begins, and a failed one is refunded.
      </p>
      {short ? (
        <p className="notice">
          Your credits cover part of it: the rest waits for credits and goes on by itself once you <Link to="/credits">buy more</Link>.
        </p>
      ) : null}
      <ErrorMessage error={error} />
      <button type="button" onClick={onStart} disabled={starting}>{starting ? "Starting…" : "Start the course"}</button>
    </div>
  );
}

function LectureRow({ lecture, subject }: { lecture: Lecture; subject?: string }) {
  const name = lecture.title || lecture.youtube_video_id;
  const upload = () => {
    // The single-video upload flow: Submit, with this lecture's link filled in.
    saveDraft("submit", { url: `https://www.youtube.com/watch?v=${lecture.youtube_video_id}`, subject: subject ?? "" });
    navigate("/");
  };
  return (
    <li className={`lecture lecture-${lecture.status}`} data-testid="lecture" data-status={lecture.status}>
      <div className="lecture-head">
        {lecture.status === "completed" && lecture.note_id
          ? <Link to={`/notes/${encodeURIComponent(lecture.note_id)}`} className="lecture-title">{name}</Link>
          : <span className="lecture-title">{name}</span>}
        <span className={`badge status-${lecture.status}`}>{STATUS_WORDS[lecture.status]}</span>
      </div>
      <small className="lecture-facts">
        {lecture.duration_seconds ? formatDuration(lecture.duration_seconds) : "length unknown"}
        {lecture.credits_charged ? ` · ${plural(lecture.credits_charged, "credit")} charged` : ""}
      </small>
      {lecture.message ? <p className="lecture-message">{lecture.message}</p> : null}
      {lecture.status === "needs_credits" ? (
        <p className="lecture-actions"><Link to="/credits">Buy credits<span className="sr-only"> for {name}</span></Link></p>
      ) : null}
      {lecture.status === "needs_upload" ? (
        <p className="lecture-actions">
          <Link to="/" onClick={(event) => { event.preventDefault(); upload(); }}>
            Upload captions<span className="sr-only"> for {name}</span>
          </Link>
        </p>
      ) : null}
      {lecture.status === "failed" && !lecture.video_id ? (
        <p className="lecture-actions">
          <Link to="/" onClick={(event) => { event.preventDefault(); upload(); }}>
            Make it again<span className="sr-only">: {name}</span>
          </Link>
        </p>
      ) : null}
      {(lecture.status === "queued" || lecture.status === "processing" || lecture.status === "failed") && lecture.video_id ? (
        <p className="lecture-actions">
          <Link to={`/videos/${encodeURIComponent(lecture.video_id)}`}>Follow its video<span className="sr-only">: {name}</span></Link>
        </p>
      ) : null}
    </li>
  );
}
