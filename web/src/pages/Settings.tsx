// Exports (Obsidian vault, Anki) and preferences.
import { FormEvent, useEffect, useRef, useState } from "react";
import type { ExportJob, FileLink, Preferences, Profile } from "../api";
import { useApp } from "../context";
import { ErrorMessage } from "../errors";
import { useTitle } from "../router";
import { plural, startDownload } from "../util";

const LANGUAGES: [string, string][] = [
  ["en", "English"], ["es", "Spanish"], ["fr", "French"], ["de", "German"], ["pt", "Portuguese"],
  ["pt-BR", "Portuguese (Brazil)"], ["it", "Italian"], ["nl", "Dutch"], ["pl", "Polish"], ["sv", "Swedish"],
  ["tr", "Turkish"], ["ru", "Russian"], ["uk", "Ukrainian"], ["ar", "Arabic"], ["hi", "Hindi"],
  ["ja", "Japanese"], ["ko", "Korean"], ["zh", "Chinese"],
];

// A large library's export is built by the worker: asked after again, backing off.
const EXPORT_FIRST_DELAY_MS = 1000;
const EXPORT_MAX_DELAY_MS = 5000;
const EXPORT_GIVE_UP_MS = 20 * 60_000; // the worker's timeout and its retries, with room

const pause = (ms: number) => new Promise((resolve) => window.setTimeout(resolve, ms));

export function SettingsPage() {
  const { api } = useApp();
  const [profile, setProfile] = useState<Profile | null>(null);
  const [name, setName] = useState("");
  const [prefs, setPrefs] = useState<Preferences | null>(null);
  const [saved, setSaved] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [exportError, setExportError] = useState<unknown>(null);
  const [exported, setExported] = useState<
    (FileLink & { format: string; cards?: number; reviews?: number }) | null>(null);
  const [exporting, setExporting] = useState("");
  const [building, setBuilding] = useState<ExportJob | null>(null);
  const mounted = useRef(true);
  useTitle("Exports and preferences");

  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  useEffect(() => {
    api.request<Profile>("GET", "/user").then((answer) => {
      setProfile(answer);
      setName(answer.name ?? "");
      setPrefs(answer.preferences);
    }).catch(setError);
  }, [api]);

  const save = async (event: FormEvent) => {
    event.preventDefault();
    if (!prefs) return;
    setSaved("");
    setError(null);
    try {
      const answer = await api.request<Profile>("PUT", "/user", {
        body: { name, preferences: { ...prefs, default_subject: prefs.default_subject?.trim() || null } },
      });
      setProfile(answer);
      setPrefs(answer.preferences);
      setSaved("Preferences saved.");
    } catch (caught) {
      setError(caught);
    }
  };

  // The queued export, asked after until it is ready (null if the page was left).
  const waitFor = async (job: ExportJob): Promise<ExportJob | null> => {
    const started = Date.now();
    let delay = EXPORT_FIRST_DELAY_MS;
    let current = job;
    while (current.status === "building") {
      if (Date.now() - started > EXPORT_GIVE_UP_MS) {
        throw new Error("The export is taking longer than it should. Try again in a few minutes.");
      }
      await pause(document.hidden ? EXPORT_MAX_DELAY_MS : delay);
      if (!mounted.current) return null;
      current = await api.request<ExportJob>("GET", `/notes/export/${encodeURIComponent(job.export_id)}`);
      delay = Math.min(delay * 1.5, EXPORT_MAX_DELAY_MS);
    }
    if (current.status === "failed") throw new Error(current.error?.message ?? "The export could not be built.");
    return current;
  };

  const exportAs = async (format: "obsidian" | "anki") => {
    setExporting(format);
    setExportError(null);
    setExported(null);
    setBuilding(null);
    try {
      const answer = await api.request<FileLink | ExportJob>("GET", "/notes/export", { query: { format } });
      let link: FileLink;
      if ("export_id" in answer) {
        // 202: a large library is built by the worker; the link comes when it is ready.
        setBuilding(answer);
        const ready = await waitFor(answer);
        if (!ready) return;
        link = { url: ready.url ?? "", expires_in: ready.expires_in ?? 0,
          filename: ready.filename ?? "", note_count: ready.note_count };
      } else {
        link = answer;
      }
      setExported({ ...link, format });
      startDownload(link.url, link.filename);
    } catch (caught) {
      if (mounted.current) setExportError(caught);
    } finally {
      if (mounted.current) {
        setExporting("");
        setBuilding(null);
      }
    }
  };

  // The review log and every card's scheduling (GET /reviews/export): a zip of two CSVs.
  const exportReviews = async () => {
    setExporting("reviews");
    setExportError(null);
    setExported(null);
    try {
      const link = await api.request<FileLink & { card_count: number; review_count: number }>(
        "GET", "/reviews/export");
      setExported({ ...link, format: "reviews", cards: link.card_count, reviews: link.review_count });
      startDownload(link.url, link.filename);
    } catch (caught) {
      if (mounted.current) setExportError(caught);
    } finally {
      if (mounted.current) setExporting("");
    }
  };

  const languages = prefs && !LANGUAGES.some(([code]) => code === prefs.language)
    ? [[prefs.language, prefs.language] as [string, string], ...LANGUAGES] : LANGUAGES;

  return (
    <>
      <h1 tabIndex={-1}>Exports and preferences</h1>
      <section className="card" aria-labelledby="export-title">
        <h2 id="export-title">Export</h2>
        <p>Take every note with you: an Obsidian vault (a .zip of Markdown files with working [[links]]) or the review questions as an Anki deck. Your review history (every card's schedule and every review you made) comes as spreadsheet files.</p>
        <p className="actions">
          <button type="button" disabled={exporting !== ""} onClick={() => void exportAs("obsidian")}>
            {exporting === "obsidian" ? "Preparing…" : "Export Obsidian vault"}
          </button>
          <button type="button" className="secondary" disabled={exporting !== ""} onClick={() => void exportAs("anki")}>
            {exporting === "anki" ? "Preparing…" : "Export Anki deck"}
          </button>
          <button type="button" className="secondary" disabled={exporting !== ""} onClick={() => void exportReviews()}>
            {exporting === "reviews" ? "Preparing…" : "Export review history"}
          </button>
        </p>
        <ErrorMessage error={exportError} />
        {building ? (
          <p role="status" data-testid="export-building">
            Your library has {plural(building.note_count, "note")}, so the {building.format === "anki" ? "Anki deck" : "vault"} is
            being built for you. It downloads here when it is ready, usually within a minute or two.
          </p>
        ) : null}
        {exported ? (
          <p role="status" data-testid="export-ready">
            {exported.format === "reviews"
              ? <>Your review history ({plural(exported.cards ?? 0, "card")}, {plural(exported.reviews ?? 0, "review")}) is downloading.</>
              : <>Your {exported.format === "anki" ? "Anki deck" : "vault"} ({plural(exported.note_count ?? 0, "note")}) is downloading.</>}
            If it does not start, <a href={exported.url} download={exported.filename}>download {exported.filename}</a> (the link works for {Math.round(exported.expires_in / 60)} minutes).
          </p>
        ) : null}
      </section>
      <section className="card" aria-labelledby="prefs-title">
        <h2 id="prefs-title">Preferences</h2>
        <ErrorMessage error={error} />
        {prefs ? (
          <form onSubmit={save} aria-labelledby="prefs-title">
            <p className="field">
              <label htmlFor="pref-name">Your name</label>
              <input id="pref-name" autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} />
            </p>
            <p className="field">
              <label htmlFor="pref-language">Language of the notes</label>
              <select id="pref-language" value={prefs.language} onChange={(e) => setPrefs({ ...prefs, language: e.target.value })}>
                {languages.map(([code, label]) => <option key={code} value={code}>{label} ({code})</option>)}
              </select>
            </p>
            <p className="field">
              <label htmlFor="pref-style">Note style</label>
              <select id="pref-style" value={prefs.note_style} onChange={(e) => setPrefs({ ...prefs, note_style: e.target.value })}>
                <option value="detailed">Detailed</option>
                <option value="concise">Concise</option>
              </select>
            </p>
            <p className="field checkbox">
              <input id="pref-questions" type="checkbox" checked={prefs.include_questions}
                onChange={(e) => setPrefs({ ...prefs, include_questions: e.target.checked })} />
              <label htmlFor="pref-questions">Include review questions</label>
            </p>
            <p className="field">
              <label htmlFor="pref-subject">Default subject (optional)</label>
              <input id="pref-subject" value={prefs.default_subject ?? ""} aria-describedby="pref-subject-help"
                onChange={(e) => setPrefs({ ...prefs, default_subject: e.target.value })} />
              <small id="pref-subject-help">New notes are filed here unless you give a subject when submitting.</small>
            </p>
            <button type="submit">Save preferences</button>
            {saved ? <p role="status" className="notice">{saved}</p> : null}
          </form>
        ) : !error ? <p>Loading…</p> : null}
        {profile ? <p className="hint">Signed in as {profile.email}.</p> : null}
      </section>
    </>
  );
}
