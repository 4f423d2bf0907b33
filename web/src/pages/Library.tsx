// The library: categories with counts, notes newest first, paged with
// last_key, filtered by title as you type, deleted with confirmation.
import { useCallback, useEffect, useState } from "react";
import type { NoteSummary } from "../api";
import { ConfirmDialog } from "../Confirm";
import { useApp } from "../context";
import { ErrorMessage } from "../errors";
import { Link, navigate, useTitle } from "../router";
import { formatDate, indexNoteCourse, plural } from "../util";

const PAGE_SIZE = 20;

interface Category {
  name: string;
  note_count: number;
}

export function LibraryPage({ category }: { category: string }) {
  const { api, invalidateNotes, refreshCredits, noteIndex } = useApp();
  const [categories, setCategories] = useState<Category[] | null>(null);
  const [notes, setNotes] = useState<NoteSummary[]>([]);
  const [lastKey, setLastKey] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [filter, setFilter] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [deleting, setDeleting] = useState<NoteSummary | null>(null);
  const [status, setStatus] = useState("");
  const [everything, setEverything] = useState<NoteSummary[] | null>(null);
  useTitle(category ? `Your library: ${category}` : "Your library");

  const load = useCallback(async (from: string | null) => {
    setLoading(true);
    try {
      const page = await api.request<{ notes: NoteSummary[]; last_key: string | null }>("GET", "/notes", {
        query: { limit: PAGE_SIZE, category: category || undefined, last_key: from ?? undefined },
      });
      setNotes((before) => (from ? [...before, ...page.notes] : page.notes));
      setLastKey(page.last_key);
      setError(null);
    } catch (caught) {
      setError(caught);
    } finally {
      setLoading(false);
    }
  }, [api, category]);

  const loadCategories = useCallback(() => {
    api.request<{ categories: Category[] }>("GET", "/categories")
      .then((answer) => setCategories(answer.categories))
      .catch(setError);
  }, [api]);

  useEffect(() => {
    setNotes([]);
    setLastKey(null);
    void load(null);
  }, [load]);
  useEffect(loadCategories, [loadCategories]);

  const remove = async () => {
    const note = deleting;
    setDeleting(null);
    if (!note) return;
    try {
      await api.request("DELETE", `/videos/${encodeURIComponent(note.video_id)}`);
      setNotes((before) => before.filter((item) => item.note_id !== note.note_id));
      setEverything((before) => before && before.filter((item) => item.note_id !== note.note_id));
      setStatus(`Deleted “${note.title}”.`);
      // Its row (and the button that asked) is gone: the page's heading takes the focus.
      document.querySelector<HTMLElement>("main h1")?.focus();
      invalidateNotes();
      loadCategories();
      void refreshCredits();
    } catch (caught) {
      setError(caught);
    }
  };

  const needle = filter.trim().toLowerCase();
  // Filtering searches every title (the index [[links]] use), not just the pages loaded.
  useEffect(() => {
    if (!needle || everything) return;
    noteIndex().then(setEverything).catch(() => setEverything(null));
  }, [needle, everything, noteIndex]);
  const pool = needle && everything ? everything.filter((note) => !category || note.category === category) : notes;
  const shown = needle ? pool.filter((note) => note.title.toLowerCase().includes(needle)) : notes;
  const total = categories?.reduce((sum, item) => sum + item.note_count, 0) ?? null;
  const chooseCategory = (name: string) => navigate(name ? `/library?category=${encodeURIComponent(name)}` : "/library");

  return (
    <>
      <h1 tabIndex={-1}>Your library{category ? `: ${category}` : ""}</h1>
      <ErrorMessage error={error} />
      <nav aria-label="Categories" className="categories">
        <ul>
          <li>
            <button type="button" aria-pressed={!category} onClick={() => chooseCategory("")}>
              All{total !== null ? ` (${total})` : ""}
            </button>
          </li>
          {categories?.map((item) => (
            <li key={item.name}>
              <button type="button" aria-pressed={category === item.name} onClick={() => chooseCategory(item.name)}>
                {item.name} ({item.note_count})
              </button>
            </li>
          ))}
        </ul>
      </nav>
      <p className="field">
        <label htmlFor="title-filter">Filter by title</label>
        <input id="title-filter" type="search" value={filter} onChange={(e) => setFilter(e.target.value)} aria-describedby="filter-count" />
        <small id="filter-count" aria-live="polite">
          {needle ? `${plural(shown.length, "note")} match` : `${plural(notes.length, "note")} shown${lastKey ? "; more below" : ""}`}
        </small>
      </p>
      <p className="sr-only" role="status">{status}</p>
      {notes.length === 0 && !loading && !error ? (
        <p>No notes yet. <Link to="/">Submit a lecture</Link> to get your first.</p>
      ) : null}
      <ul className="list notes" aria-label="Notes">
        {shown.map((note) => (
          <li key={note.note_id}>
            <Link to={`/notes/${encodeURIComponent(note.note_id)}`}>{note.title}</Link>
            <span className="badge">{note.category}</span>
            <small>{formatDate(note.created_at)}</small>
            {indexNoteCourse(note) ? (
              <Link to={`/courses/${indexNoteCourse(note)}`} className="small" aria-label={`${note.title}: its course`}>Its course</Link>
            ) : (
              <button type="button" className="danger small" aria-label={`Delete ${note.title}`} onClick={() => setDeleting(note)}>
                Delete
              </button>
            )}
          </li>
        ))}
      </ul>
      {lastKey && !needle ? (
        <button type="button" className="secondary" disabled={loading} onClick={() => void load(lastKey)}>
          {loading ? "Loading…" : "Load more"}
        </button>
      ) : null}
      {deleting ? (
        <ConfirmDialog title={`Delete “${deleting.title}”?`} confirmLabel="Delete" onConfirm={remove} onCancel={() => setDeleting(null)}>
          The note and its video are deleted. This cannot be undone.
        </ConfirmDialog>
      ) : null}
    </>
  );
}
