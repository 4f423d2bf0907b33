// Search across every lecture (GET /search): meaning and words together; each hit
// opens the video at its second. Hits are shown as text only (React escapes them).
import { FormEvent, useEffect, useState } from "react";
import type { SearchHit, SearchResults } from "../api";
import { useApp } from "../context";
import { ErrorMessage } from "../errors";
import { Link, navigate, useTitle } from "../router";
import { formatDuration, plural } from "../util";

export const MAX_QUERY = 500;
const YOUTUBE = /^https:\/\/www\.youtube\.com\/watch\?v=[\w-]{11}&t=\d+s$/;

/** The link to a moment of a video, or null for anything that is not one. */
export function videoLink(url: string): string | null {
  return YOUTUBE.test(url) ? url : null;
}

/** The search box of the page header: it opens the Search page with the query. */
export function SearchBox({ initial }: { initial: string }) {
  const [query, setQuery] = useState(initial);
  useEffect(() => setQuery(initial), [initial]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const q = query.trim();
    if (q) navigate(`/search?q=${encodeURIComponent(q)}`);
  };
  return (
    <form role="search" className="search-box" onSubmit={submit}>
      <label htmlFor="header-search" className="sr-only">Search your lectures</label>
      <input id="header-search" type="search" value={query}
        placeholder="Search your lectures" onChange={(e) => setQuery(e.target.value)} />
      <button type="submit">Search</button>
    </form>
  );
}

export function SearchPage({ query }: { query: string }) {
  const { api } = useApp();
  const [hits, setHits] = useState<SearchHit[] | null>(null);
  const [respelled, setRespelled] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  useTitle(query ? `Search: ${query}` : "Search");

  // Never cut a search silently: one over the limit is not sent, and the page says why.
  const tooLong = query.trim().length > MAX_QUERY;

  useEffect(() => {
    let current = true;
    setHits(null);
    setRespelled({});
    setError(null);
    if (!query.trim() || tooLong) return;
    api.request<SearchResults>("GET", "/search", { query: { q: query, limit: 20 } })
      .then((answer) => {
        if (!current) return;
        setRespelled(answer.respelled ?? {});
        setHits(answer.results);
      })
      .catch((caught) => current && setError(caught));
    return () => {
      current = false;
    };
  }, [api, query, tooLong]);

  return (
    <>
      <h1 tabIndex={-1}>Search your lectures</h1>
      {!query.trim() ? <p>Type a term or a question in the search box above.</p> : null}
      <ErrorMessage error={error} />
      {tooLong ? (
        <p className="error" role="alert" data-testid="search-too-long">
          A search is at most {MAX_QUERY} characters; yours has {query.trim().length}. Shorten it in the search box above.
        </p>
      ) : null}
      {query.trim() && !tooLong && hits === null && !error ? <p role="status">Searching…</p> : null}
      {hits !== null ? (
        <>
          <p role="status" data-testid="search-count">
            {hits.length ? `${plural(hits.length, "result")} for “${query}”.` : `Nothing in your lectures matches “${query}”.`}
            {Object.keys(respelled).length ? (
              <span data-testid="search-respelled">
                {Object.entries(respelled).map(([typed, word]) => (
                  <span key={typed}> No lecture says “{typed}”: searched for “<strong>{word}</strong>” instead.</span>
                ))}
              </span>
            ) : null}
          </p>
          <ol className="hits" data-testid="search-results">
            {hits.map((hit, i) => <HitItem key={`${hit.note_id}-${i}`} hit={hit} />)}
          </ol>
          {hits.length ? <p><Link to={`/ask?q=${encodeURIComponent(query)}`}>Ask this as a question</Link></p> : null}
        </>
      ) : null}
    </>
  );
}

function HitItem({ hit }: { hit: SearchHit }) {
  const link = videoLink(hit.url);
  const at = formatDuration(hit.start_seconds);
  return (
    <li className="hit" data-testid="search-hit">
      <p className="hit-title">
        <Link to={`/notes/${encodeURIComponent(hit.note_id)}`}>{hit.title}</Link>
        <span className="muted"> · {hit.category}</span>
      </p>
      <blockquote>{hit.quote}</blockquote>
      {link ? (
        <a href={link} target="_blank" rel="noopener noreferrer" data-testid="hit-video">
          Watch at {at}<span className="sr-only"> in {hit.title} (opens YouTube)</span>
        </a>
      ) : null}
    </li>
  );
}
