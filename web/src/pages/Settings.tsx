// Exports (Obsidian vault, Anki) and preferences.
import { FormEvent, useEffect, useState } from "react";
import type { FileLink, Preferences, Profile } from "../api";
import { useApp } from "../context";
import { ErrorMessage } from "../errors";
import { plural, startDownload } from "../util";

const LANGUAGES: [string, string][] = [
  ["en", "English"], ["es", "Spanish"], ["fr", "French"], ["de", "German"], ["pt", "Portuguese"],
  ["pt-BR", "Portuguese (Brazil)"], ["it", "Italian"], ["nl", "Dutch"], ["pl", "Polish"], ["sv", "Swedish"],
  ["tr", "Turkish"], ["ru", "Russian"], ["uk", "Ukrainian"], ["ar", "Arabic"], ["hi", "Hindi"],
  ["ja", "Japanese"], ["ko", "Korean"], ["zh", "Chinese"],
];

export function SettingsPage() {
  const { api } = useApp();
  const [profile, setProfile] = useState<Profile | null>(null);
  const [name, setName] = useState("");
  const [prefs, setPrefs] = useState<Preferences | null>(null);
  const [saved, setSaved] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [exportError, setExportError] = useState<unknown>(null);
  const [exported, setExported] = useState<(FileLink & { format: string }) | null>(null);
  const [exporting, setExporting] = useState("");

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

  const exportAs = async (format: "obsidian" | "anki") => {
    setExporting(format);
    setExportError(null);
    setExported(null);
    try {
      const link = await api.request<FileLink>("GET", "/notes/export", { query: { format } });
      setExported({ ...link, format });
      startDownload(link.url, link.filename);
    } catch (caught) {
      setExportError(caught);
    } finally {
      setExporting("");
    }
  };

  const languages = prefs && !LANGUAGES.some(([code]) => code === prefs.language)
    ? [[prefs.language, prefs.language] as [string, string], ...LANGUAGES] : LANGUAGES;

  return (
    <>
      <h1 tabIndex={-1}>Exports and preferences</h1>
      <section className="card" aria-labelledby="export-title">
        <h2 id="export-title">Export</h2>
        <p>Take every note with you: an Obsidian vault (a .zip of Markdown files with working [[links]]) or the review questions as an Anki deck.</p>
        <p className="actions">
          <button type="button" disabled={exporting !== ""} onClick={() => void exportAs("obsidian")}>
            {exporting === "obsidian" ? "Preparing…" : "Export Obsidian vault"}
          </button>
          <button type="button" className="secondary" disabled={exporting !== ""} onClick={() => void exportAs("anki")}>
            {exporting === "anki" ? "Preparing…" : "Export Anki deck"}
          </button>
        </p>
        <ErrorMessage error={exportError} />
        {exported ? (
          <p role="status" data-testid="export-ready">
            Your {exported.format === "anki" ? "Anki deck" : "vault"} ({plural(exported.note_count ?? 0, "note")}) is downloading.
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
