// Reading a note: safe Markdown, timestamps that seek the player, folded
// answers, [[links]] between notes, formulas, the verified count, download as .md.
import { MouseEvent, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import type { FileLink, Note, NoteSummary } from "../api";
import { ConfirmDialog } from "../Confirm";
import { useApp } from "../context";
import { ErrorMessage } from "../errors";
import { applyMathStyles, hasFormulas, linkKey, loadMath, mathLoaded, renderNote, splitFrontMatter } from "../markdown";
import { Link, navigate, useTitle } from "../router";
import { PLAYER_ORIGIN, usePlayer } from "../player";
import { formatDate, indexNoteCourse, startDownload } from "../util";


/** A timestamp or [[link]] inside a question's <summary> is a link inside a control
 *  (axe: nested-interactive): it moves to the end of the answer ("In the lecture: 2:13"),
 *  and the summary keeps its words as plain text. */
function linksOutOfSummaries(html: string): string {
  if (!html.includes("<summary")) return html;
  const template = document.createElement("template"); // inert: nothing loads or runs
  template.innerHTML = html;
  for (const summary of template.content.querySelectorAll("summary")) {
    const links = [...summary.querySelectorAll("a")];
    if (!links.length || !summary.parentElement) continue;
    const where = document.createElement("p");
    where.className = "callout-links";
    where.append(links.some((link) => link.classList.contains("timestamp")) ? "In the lecture: " : "See: ");
    links.forEach((link, i) => {
      const label = document.createElement("span");
      label.className = `${link.className} link-label`.trim();
      label.textContent = link.textContent;
      link.replaceWith(label);
      if (i) where.append(", ");
      where.append(link);
    });
    summary.parentElement.append(where);
  }
  return template.innerHTML;
}

function resolver(notes: NoteSummary[], related: Note["related"]) {
  const byTitle = new Map<string, string>();
  const byKey = new Map<string, string>();
  for (const item of [...(related ?? []), ...notes]) {
    if (!byTitle.has(item.title)) byTitle.set(item.title, item.note_id);
    const key = linkKey(item.title);
    if (key && !byKey.has(key)) byKey.set(key, item.note_id);
  }
  return (target: string) => byTitle.get(target) ?? byKey.get(linkKey(target)) ?? null;
}

export function NotePage({ noteId }: { noteId: string }) {
  const { api, noteIndex, invalidateNotes, refreshCredits } = useApp();
  const [note, setNote] = useState<Note | null>(null);
  const [index, setIndex] = useState<NoteSummary[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [player, setPlayer] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [announce, setAnnounce] = useState("");
  const content = useRef<HTMLDivElement>(null);
  // KaTeX is a chunk of its own, fetched for the first note that has a formula.
  const [mathReady, setMathReady] = useState(mathLoaded);

  useEffect(() => {
    let stopped = false;
    setNote(null);
    setError(null);
    setPlayer(false);
    api.request<Note>("GET", `/notes/${encodeURIComponent(noteId)}`, { query: { include_content: "true" } })
      .then((loaded) => !stopped && setNote(loaded))
      .catch((caught) => !stopped && setError(caught));
    noteIndex().then((all) => !stopped && setIndex(all)).catch(() => undefined);
    return () => {
      stopped = true;
    };
  }, [api, noteId, noteIndex]);


  const parsed = useMemo(() => {
    const split = splitFrontMatter(note?.content ?? "");
    // The title is the page's own heading: one h1 per page.
    return { ...split, body: split.body.replace(/^\s*# [^\n]*\n/, "") };
  }, [note?.content]);
  useEffect(() => {
    if (mathReady || !hasFormulas(parsed.body)) return;
    let stopped = false;
    // Until it arrives (or if it cannot), formulas show their source.
    void loadMath().then((loaded) => !stopped && loaded && setMathReady(true));
    return () => {
      stopped = true;
    };
  }, [parsed.body, mathReady]);
  const html = useMemo(
    () => (note?.content ? linksOutOfSummaries(renderNote(parsed.body, { resolve: resolver(index, note.related) })) : ""),
    // mathReady: rendered again, typeset, once KaTeX is loaded.
    [parsed.body, index, note, mathReady],
  );
  // Before the first paint of new HTML: typeset formulas get their styles (markdown.ts).
  useLayoutEffect(() => {
    if (content.current) applyMathStyles(content.current);
  }, [html]);
  const youtubeId = typeof parsed.meta.video_id === "string" ? parsed.meta.video_id : null;
  const verified = typeof parsed.meta.verified === "string" ? parsed.meta.verified : null;
  useTitle(note?.title ?? (error ? "Note not available" : "Note"));

  // "loading" until the embed answers (YouTube's iframe API posts events back);
  // offline it never does, and timestamps keep opening YouTube instead.
  const embed = usePlayer(player, youtubeId);
  const playerState = embed.state;

  const seek = (seconds: number) => {
    embed.seek(seconds);
    setAnnounce(`Playing from ${seconds} seconds`);
  };

  const onContentClick = (event: MouseEvent<HTMLDivElement>) => {
    const anchor = (event.target as HTMLElement).closest("a");
    if (!anchor || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    if (anchor.classList.contains("wikilink")) {
      event.preventDefault();
      navigate(anchor.getAttribute("href") ?? "/library");
      return;
    }
    const seconds = anchor.dataset.seconds;
    if (seconds !== undefined && player && playerState === "ready" && anchor.dataset.video === youtubeId) {
      // The player is open: seek it instead of leaving for YouTube.
      event.preventDefault();
      seek(Number(seconds));
    }
  };

  const openPlayer = () => {
    setPlayer(true);
  };

  const download = async () => {
    setError(null);
    try {
      const link = await api.request<FileLink>("GET", `/notes/${encodeURIComponent(noteId)}/download`);
      startDownload(link.url, link.filename);
    } catch (caught) {
      setError(caught);
    }
  };

  const remove = async () => {
    setConfirming(false);
    if (!note) return;
    try {
      await api.request("DELETE", `/videos/${encodeURIComponent(note.video_id)}`);
      invalidateNotes();
      void refreshCredits();
      navigate("/library");
    } catch (caught) {
      setError(caught);
    }
  };

  return (
    <>
      <ErrorMessage error={error} />
      {!note && !error ? <p>Loading…</p> : null}
      {note ? (
        <article className="note" aria-labelledby="note-title">
          <header className="note-header">
            <p className="crumbs">
              <Link to={`/library?category=${encodeURIComponent(note.category)}`}>{note.category}</Link>
              {" · "}
              {formatDate(note.created_at)}
            </p>
            <h1 id="note-title" tabIndex={-1}>{note.title}</h1>
            <dl className="facts">
              {verified ? (
                <div data-testid="verified">
                  <dt>Verified</dt>
                  <dd>{verified} items found in the transcript</dd>
                </div>
              ) : null}
              {typeof parsed.meta.duration === "string" ? (<div><dt>Length</dt><dd>{parsed.meta.duration}</dd></div>) : null}
              {typeof parsed.meta.generator === "string" ? (<div><dt>Written by</dt><dd>{parsed.meta.generator}</dd></div>) : null}
              {parsed.meta.transcript === "uploaded" ? (<div><dt>Transcript</dt><dd>your uploaded captions</dd></div>) : null}
            </dl>
            {note.tags?.length ? (
              <ul className="tags" aria-label="Tags">{note.tags.map((tag) => <li key={tag}>{tag}</li>)}</ul>
            ) : null}
            <p className="actions">
              {youtubeId && !player ? <button type="button" onClick={openPlayer}>Watch alongside</button> : null}
              {player ? <button type="button" className="secondary" onClick={() => setPlayer(false)}>Close player</button> : null}
              <button type="button" className="secondary" onClick={download}>Download .md</button>
              {indexNoteCourse(note) ? (
                <small data-testid="index-note-delete">
                  A course's index note: it is deleted with <Link to={`/courses/${indexNoteCourse(note)}`}>its course</Link>.
                </small>
              ) : <button type="button" className="danger" onClick={() => setConfirming(true)}>Delete</button>}
            </p>
          </header>
          {player && youtubeId ? (
            <div className={`player player-${playerState}`}>
              {/* Shown once the embed answers: until then (and if it never does, offline)
                  no half-loaded frame or browser error page is on show. */}
              {playerState !== "unavailable" || navigator.onLine !== false ? (
                // Kept (hidden) when it did not answer in time: a late answer still shows it.
                <div className="frame" hidden={playerState === "unavailable"}>
                  <iframe
                    ref={embed.frame}
                    title="YouTube player"
                    src={`${PLAYER_ORIGIN}/embed/${encodeURIComponent(youtubeId)}?enablejsapi=1&origin=${encodeURIComponent(location.origin)}`}
                    allow="autoplay; encrypted-media; picture-in-picture"
                    referrerPolicy="strict-origin-when-cross-origin"
                    onLoad={embed.onLoad}
                  />
                </div>
              ) : null}
              <p className="hint" role="status" data-testid="player-state">
                {playerState === "ready"
                  ? "Timestamps now play here."
                  : playerState === "loading"
                    ? "Loading the player… until it is ready, timestamps open the video on YouTube."
                    : "The player cannot load (are you offline?). Timestamps open the video on YouTube instead."}
              </p>
            </div>
          ) : null}
          <p className="sr-only" aria-live="polite">{announce}</p>
          <div className="markdown" ref={content} onClick={onContentClick} dangerouslySetInnerHTML={{ __html: html }} />
        </article>
      ) : null}
      {confirming && note ? (
        <ConfirmDialog title={`Delete “${note.title}”?`} confirmLabel="Delete" onConfirm={remove} onCancel={() => setConfirming(false)}>
          The note and its video are deleted. This cannot be undone.
        </ConfirmDialog>
      ) : null}
    </>
  );
}
