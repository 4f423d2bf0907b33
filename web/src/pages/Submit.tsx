// Paste a link (or upload captions), see the price, submit; recent submissions.
import { ChangeEvent, FormEvent, useEffect, useMemo, useRef, useState } from "react";
import { ApiError, Video } from "../api";
import { useApp } from "../context";
import { ErrorMessage } from "../errors";
import { Link, navigate, useTitle } from "../router";
import { clearDraft, loadDraft, saveDraft } from "../session";
import { CaptionCheck, MAX_CAPTION_BYTES, checkCaptions, formatDate, formatDuration, parseVideoId, plural, priceFor, readFlash } from "../util";

interface Draft {
  url: string;
  subject: string;
}

interface Captions extends CaptionCheck {
  name: string;
  text: string;
}

// The note's title for uploaded captions: what the student types, prefilled with the
// file's name read as words, as the API reads a file name it is sent (chalicelib/api/
// videos.py): no extension, language tag or yt-dlp "[video id]", "_" and "-" as spaces.
const MAX_TITLE_LENGTH = 200;

const LINK_MISSING = "Paste a YouTube link or video ID first: the notes are made from that video (also when you upload captions).";
const LINK_REFUSED = "That is not a YouTube link we recognise. Paste a youtube.com/watch?v=…, youtu.be/…, /shorts/…, /embed/… or /live/… link, or the 11-character video ID.";

function titleFromFileName(name: string): string {
  const match = /(?:\s*\[[A-Za-z0-9_-]{11}\])?(?:\.[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*)?\.(?:vtt|srt)$/i.exec(name);
  const stem = match ? name.slice(0, match.index).replace(/[_-]+/g, " ") : name;
  return stem.replace(/\s+/g, " ").trim().slice(0, MAX_TITLE_LENGTH);
}

export function SubmitPage() {
  const { api, credits, refreshCredits, invalidateNotes } = useApp();
  const [draft, setDraft] = useState<Draft>(() => loadDraft("submit", { url: "", subject: "" }));
  const [captions, setCaptions] = useState<Captions | null>(null);
  const [title, setTitle] = useState("");
  const [captionError, setCaptionError] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [touched, setTouched] = useState(false);
  const [recent, setRecent] = useState<Video[] | null>(null);
  // What a refused submit said (announced, and the field focused); a new one each time.
  const [refusal, setRefusal] = useState<{ text: string; n: number } | null>(null);
  // Said by the page we came from (a cancelled video: its refund).
  const [flash] = useState(() => readFlash(false));
  useEffect(() => void readFlash(true), []);
  const urlField = useRef<HTMLInputElement>(null);
  const fileField = useRef<HTMLInputElement>(null);
  // Removed captions leave no file named in the input (it would look as if it were sent),
  // and the same file can be chosen again.
  const removeCaptions = () => {
    setCaptions(null);
    setTitle("");
    if (fileField.current) fileField.current.value = "";
  };
  useTitle("Make study notes");

  const update = (change: Partial<Draft>) => {
    if (change.url !== undefined) setRefusal(null);
    const next = { ...draft, ...change };
    setDraft(next);
    saveDraft("submit", next);
  };

  useEffect(() => {
    api.request<{ videos: Video[] }>("GET", "/videos", { query: { limit: 10 } })
      .then((page) => setRecent(page.videos))
      .catch(() => setRecent([]));
  }, [api]);

  const videoId = parseVideoId(draft.url);
  const knownDuration = useMemo(() => {
    if (captions) return captions.durationSeconds;
    const earlier = recent?.find((video) => video.youtube_video_id === videoId && video.duration_seconds);
    return earlier?.duration_seconds ?? null;
  }, [captions, recent, videoId]);

  const onFile = async (event: ChangeEvent<HTMLInputElement>) => {
    setCaptions(null);
    setCaptionError("");
    const file = event.target.files?.[0];
    if (!file) return;
    if (!/\.(vtt|srt)$/i.test(file.name)) {
      setCaptionError("Choose a .vtt or .srt caption file.");
      return;
    }
    if (file.size > MAX_CAPTION_BYTES) {
      setCaptionError(`That file is ${(file.size / 1048576).toFixed(1)} MiB; caption files may be up to 2 MiB.`);
      return;
    }
    const text = await file.text();
    const check = checkCaptions(text);
    if (typeof check === "string") setCaptionError(check);
    else {
      setCaptions({ ...check, name: file.name, text });
      setTitle(titleFromFileName(file.name));
    }
  };

  const submit = async (event: FormEvent | null, reprocess = false) => {
    event?.preventDefault();
    setTouched(true);
    if (!videoId) {
      // Nothing is sent: say what is missing, where it is missing.
      const text = draft.url.trim() ? LINK_REFUSED : LINK_MISSING;
      setRefusal((before) => ({ text, n: (before?.n ?? 0) + 1 }));
      urlField.current?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const body: Record<string, unknown> = { url: draft.url.trim() };
      if (draft.subject.trim()) body.subject = draft.subject.trim();
      if (captions) {
        body.transcript = captions.text;
        // The typed title, else the file's name: never left for the writer to pick.
        const chosen = title.trim() || titleFromFileName(captions.name);
        if (chosen) body.title = chosen.slice(0, MAX_TITLE_LENGTH);
      }
      if (reprocess) body.reprocess = true;
      const video = await api.request<Video>("POST", "/videos", { body });
      clearDraft("submit");
      invalidateNotes();
      void refreshCredits();
      navigate(`/videos/${encodeURIComponent(video.video_id)}`);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  const showLinkError = touched && draft.url.trim() !== "" && !videoId;
  const showMissing = refusal !== null && draft.url.trim() === "";
  const price = knownDuration ? priceFor(knownDuration) : null;

  return (
    <>
      <h1 tabIndex={-1}>Make study notes from a lecture</h1>
      {flash ? <p className="notice" role="status" data-testid="flash">{flash}</p> : null}
      {/* A refused submit, announced (the field says it too, and has the focus). */}
      {refusal ? <p key={refusal.n} className="sr-only" role="alert" data-testid="submit-refused">{refusal.text}</p> : null}
      <form className="card" onSubmit={submit} aria-label="Submit a video" noValidate>
        <p className="field">
          <label htmlFor="video-url">YouTube link or video ID</label>
          <input
            id="video-url"
            name="url"
            inputMode="url"
            autoComplete="off"
            spellCheck={false}
            placeholder="https://www.youtube.com/watch?v=…"
            required
            ref={urlField}
            aria-invalid={showLinkError || showMissing}
            aria-describedby="video-url-help"
            value={draft.url}
            onChange={(e) => update({ url: e.target.value })}
            onBlur={() => setTouched(true)}
          />
          <small id="video-url-help" className={showLinkError || showMissing ? "field-error" : undefined}>
            {showLinkError
              ? LINK_REFUSED
              : showMissing
                ? LINK_MISSING
                : videoId
                ? `Video ID ${videoId}`
                : "Any YouTube link works: watch, youtu.be, shorts, embed, live, mobile or music links, or the bare ID."}
          </small>
        </p>
        <p className="field">
          <label htmlFor="video-subject">Subject (optional)</label>
          <input id="video-subject" name="subject" placeholder="e.g. Physics" value={draft.subject} onChange={(e) => update({ subject: e.target.value })} />
        </p>
        <fieldset>
          <legend>Captions (optional)</legend>
          <p className="field">
            <label htmlFor="video-captions">Upload a .vtt or .srt file when YouTube will not serve this video</label>
            <input id="video-captions" ref={fileField} type="file" accept=".vtt,.srt,text/vtt,application/x-subrip" onChange={onFile} aria-describedby="captions-help" />
            <small id="captions-help" className={captionError ? "field-error" : undefined} role={captionError ? "alert" : undefined}>
              {captionError ||
                (captions
                  ? `${captions.name}: ${captions.format}, ${plural(captions.cues, "cue")}, ${formatDuration(captions.durationSeconds)} long.`
                  : "Up to 2 MiB. The notes are written from your file; it is kept for you only.")}
            </small>
          </p>
          {captions ? (
            <>
              <p className="field">
                <label htmlFor="video-title">Title (optional)</label>
                <input
                  id="video-title"
                  name="title"
                  maxLength={MAX_TITLE_LENGTH}
                  autoComplete="off"
                  placeholder={titleFromFileName(captions.name) || "e.g. Osmosis and cell membranes"}
                  aria-describedby="video-title-help"
                  value={title}
                  onChange={(e) => setTitle(e.target.value)}
                />
                <small id="video-title-help">The note's title; left empty, the file's name.</small>
              </p>
              <button type="button" className="secondary" onClick={removeCaptions}>Remove captions</button>
            </>
          ) : null}
        </fieldset>
        <p className="price" aria-live="polite" data-testid="price">
          {price !== null ? (
            <>Price: <strong>{plural(price, "credit")}</strong> ({formatDuration(knownDuration ?? 0)} long; 1 credit per started hour).</>
          ) : (
            <>Price: <strong>1 credit</strong> now, plus 1 more per started hour beyond the first once the video's length is known.</>
          )}
          {credits !== null ? <> You have {plural(credits, "credit")}.</> : null}
        </p>
        <ErrorMessage error={error} />
        {error instanceof ApiError && error.code === "AlreadySubmitted" ? (
          <p>
            <button type="button" className="secondary" disabled={busy} onClick={() => void submit(null, true)}>
              Make a fresh note anyway (costs credits again)
            </button>
          </p>
        ) : null}
        <button type="submit" disabled={busy}>{busy ? "Submitting…" : "Make notes"}</button>
      </form>

      <section aria-labelledby="recent-title">
        <h2 id="recent-title">Recent submissions</h2>
        {recent === null ? <p>Loading…</p> : recent.length === 0 ? <p>Nothing yet: paste a link above.</p> : (
          <ul className="list">
            {recent.map((video) => (
              <li key={video.video_id}>
                <Link to={`/videos/${encodeURIComponent(video.video_id)}`}>{video.title ?? video.url}</Link>
                <span className={`badge status-${video.status}`}>{video.status}</span>
                <small>{formatDate(video.created_at)}</small>
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
