// One video's progress: polled with backoff until it settles.
import { useEffect, useState } from "react";
import { Transaction, Video } from "../api";
import { ConfirmDialog } from "../Confirm";
import { useApp } from "../context";
import { ErrorMessage } from "../errors";
import { usePolling } from "../polling";
import { Link, navigate, useTitle } from "../router";
import { formatDuration, plural, setFlash } from "../util";

export function VideoPage({ videoId }: { videoId: string }) {
  const { api, refreshCredits, invalidateNotes } = useApp();
  const [video, setVideo] = useState<Video | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [refund, setRefund] = useState<number | null>(null);
  const [confirming, setConfirming] = useState(false);
  const settled = video?.status === "completed" || video?.status === "failed";
  useTitle(video?.title ?? (video ? `Video ${video.youtube_video_id}` : "Video"));

  usePolling(true, {
    load: () => api.request<Video>("GET", `/videos/${encodeURIComponent(videoId)}`),
    fingerprint: (next) => `${next.status}:${next.progress}:${next.status_message}`,
    take: (next) => {
      setVideo(next);
      if (next.status !== "completed" && next.status !== "failed") return false;
      invalidateNotes();
      void refreshCredits();
      return true;
    },
    setError,
  }, [api, videoId]);

  useEffect(() => {
    if (video?.status !== "failed") return;
    api.request<{ transactions: Transaction[] }>("GET", "/credits/history", { query: { limit: 50 } })
      .then((page) => {
        const refunds = page.transactions.filter((t) => t.type === "refund" && t.metadata?.video_id === video.video_id);
        setRefund(refunds.reduce((sum, t) => sum + t.amount, 0));
      })
      .catch(() => setRefund(null));
  }, [api, video?.status, video?.video_id]);

  const refundOf = async (): Promise<number | null> => {
    try {
      const page = await api.request<{ transactions: Transaction[] }>("GET", "/credits/history", { query: { limit: 50 } });
      return page.transactions
        .filter((t) => t.type === "refund" && t.metadata?.video_id === videoId)
        .reduce((sum, t) => sum + t.amount, 0);
    } catch {
      return null;
    }
  };

  const remove = async () => {
    setConfirming(false);
    const cancelling = video !== null && !settled;
    try {
      await api.request("DELETE", `/videos/${encodeURIComponent(videoId)}`);
      invalidateNotes();
      void refreshCredits();
      if (cancelling) {
        // The refund is in the ledger at once (the same transaction as the deletion).
        const refunded = await refundOf();
        const what = video?.title ? `“${video.title}”` : "The video";
        setFlash(refunded
          ? `${what} was cancelled: ${plural(refunded, "credit")} refunded to your balance.`
          : `${what} was cancelled; the credits it was charged are refunded to your balance.`);
      }
      navigate("/");
    } catch (caught) {
      setError(caught);
    }
  };

  const active = video && !settled;
  return (
    <>
      <h1 tabIndex={-1}>{video?.title ?? (video ? `Video ${video.youtube_video_id}` : "Video")}</h1>
      <ErrorMessage error={error} />
      {video ? (
        <section className="card" aria-label="Progress">
          <p>
            <a href={video.url} target="_blank" rel="noopener noreferrer">{video.url}</a>
            {video.duration_seconds ? <> · {formatDuration(video.duration_seconds)}</> : null}
            {video.channel ? <> · {video.channel}</> : null}
            {video.credits_charged ? <> · {plural(video.credits_charged, "credit")} charged</> : null}
          </p>
          <p>
            Status: <span className={`badge status-${video.status}`} data-testid="video-status">{video.status}</span>
          </p>
          <label htmlFor="video-progress">Progress</label>
          <progress id="video-progress" max={100} value={video.progress} aria-valuetext={`${video.progress}%`}>
            {video.progress}%
          </progress>
          <p aria-live="polite" data-testid="status-message">
            {/* A failure's message is said once, below. */}
            {video.progress}% · {video.status === "failed" ? "Processing stopped." : video.status_message}
          </p>
          {video.status === "failed" ? (
            <div className="error" role="alert" data-testid="failure">
              <p>{video.error?.message ?? video.status_message ?? "Processing failed."}</p>
              <p>
                {refund
                  ? `${plural(refund, "credit")} refunded to your balance.`
                  : "The credits this video was charged are refunded."}
              </p>
            </div>
          ) : null}
          {video.status === "completed" && video.note_id ? (
            <p><Link className="button" to={`/notes/${encodeURIComponent(video.note_id)}`}>Open the note</Link></p>
          ) : null}
          <p>
            <button type="button" className="danger" onClick={() => setConfirming(true)}>
              {active ? "Cancel and refund" : "Delete video and note"}
            </button>
          </p>
        </section>
      ) : !error ? <p>Loading…</p> : null}
      {confirming ? (
        <ConfirmDialog
          title={active ? "Cancel this video?" : "Delete this video?"}
          confirmLabel={active ? "Cancel it" : "Delete"}
          onConfirm={remove}
          onCancel={() => setConfirming(false)}
        >
          {active ? "Processing stops and its credits come back to you." : "Its note and files are deleted. This cannot be undone."}
        </ConfirmDialog>
      ) : null}
    </>
  );
}
