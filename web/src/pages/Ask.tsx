// Ask a question of every lecture (POST /ask): a cited answer whose every [n] opens
// the video at its second, or "Your lectures don't cover this". The answer is shown as
// text: its [n] markers become links, nothing of it is read as HTML.
import { FormEvent, ReactNode, useState } from "react";
import { ApiError, AskAnswer, AskCitation } from "../api";
import { useApp } from "../context";
import { ErrorMessage } from "../errors";
import { useTitle } from "../router";
import { formatDuration } from "../util";
import { MAX_QUERY, videoLink } from "./Search";

/** The answer's text with each [n] a link to its citation's moment. */
export function withCitations(text: string, citations: AskCitation[]): ReactNode[] {
  const byNumber = new Map(citations.map((c) => [c.n, c]));
  const parts: ReactNode[] = [];
  let last = 0;
  for (const found of text.matchAll(/\[(\d{1,3})\]/g)) {
    const index = found.index ?? 0;
    parts.push(text.slice(last, index));
    const citation = byNumber.get(Number(found[1]));
    const link = citation ? videoLink(citation.url) : null;
    parts.push(link && citation ? (
      <a key={index} href={link} target="_blank" rel="noopener noreferrer" className="cite"
        aria-label={`Source ${citation.n}: ${citation.title} at ${formatDuration(citation.start_seconds)} (opens YouTube)`}>
        [{citation.n}]
      </a>
    ) : found[0]);
    last = index + found[0].length;
  }
  parts.push(text.slice(last));
  return parts;
}

export function AskPage({ initial }: { initial: string }) {
  const { api } = useApp();
  const [question, setQuestion] = useState(initial);
  const [answer, setAnswer] = useState<AskAnswer | null>(null);
  const [asking, setAsking] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useTitle("Ask your lectures");

  // Never cut a question silently (a paste, or a link's ?q=): say how long it is and
  // ask the student to shorten it.
  const tooLong = question.trim().length > MAX_QUERY;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!question.trim() || tooLong || asking) return;
    setAsking(true);
    setError(null);
    setAnswer(null);
    try {
      setAnswer(await api.request<AskAnswer>("POST", "/ask", { body: { question: question.trim() } }));
    } catch (caught) {
      setError(caught);
    } finally {
      setAsking(false);
    }
  };

  return (
    <>
      <h1 tabIndex={-1}>Ask your lectures</h1>
      <p>Answers come only from your own lectures; every sentence cites the moment of the video it rests on.</p>
      <form onSubmit={submit} className="ask-form">
        <label htmlFor="question">Your question</label>
        <textarea id="question" value={question} rows={3} aria-describedby="question-length"
          aria-invalid={tooLong} onChange={(e) => setQuestion(e.target.value)} />
        <p id="question-length" data-testid="question-length" className={tooLong ? "error" : "muted"}
          role={tooLong ? "alert" : undefined}>
          {tooLong
            ? `A question is at most ${MAX_QUERY} characters; yours has ${question.trim().length}. Shorten it to ask.`
            : `${question.trim().length}/${MAX_QUERY} characters`}
        </p>
        <button type="submit" disabled={asking || !question.trim() || tooLong}>{asking ? "Asking…" : "Ask"}</button>
      </form>
      {error instanceof ApiError && error.status === 429
        ? <div className="error" role="alert">{error.message}</div>
        : <ErrorMessage error={error} />}
      <div aria-live="polite">
        {answer ? <AnswerView answer={answer} /> : null}
      </div>
    </>
  );
}

function AnswerView({ answer }: { answer: AskAnswer }) {
  if (!answer.covered) {
    return <p className="not-covered" data-testid="not-covered">Your lectures don't cover this.</p>;
  }
  return (
    <section className="answer" data-testid="answer" aria-label="Answer">
      {answer.answer
        ? answer.answer.split(/\n+/).map((paragraph, i) => <p key={i}>{withCitations(paragraph, answer.citations)}</p>)
        : <p>No sentence of the answer could be checked against your lectures.</p>}
      <p className="muted" data-testid="verified">
        {answer.generator === "extractive" ? "Quoted from your lectures" : "Citations checked"}: {answer.verified}
      </p>
      <h2>Sources</h2>
      <ol className="citations">
        {answer.citations.map((citation) => {
          const link = videoLink(citation.url);
          return (
            <li key={citation.n} value={citation.n} data-testid="citation">
              <span className="cite-title">{citation.title}</span>{" "}
              {link ? (
                <a href={link} target="_blank" rel="noopener noreferrer">
                  at {formatDuration(citation.start_seconds)}<span className="sr-only"> (opens YouTube)</span>
                </a>
              ) : null}
              <blockquote>{citation.quote}</blockquote>
            </li>
          );
        })}
      </ol>
    </section>
  );
}
