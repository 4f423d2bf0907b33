// API errors in words a student can act on (docs/DESIGN.md section 4's status codes).
import { ApiError } from "./api";
import { Link } from "./router";

// signIn: the error answers a sign-in form (sign in, confirm, reset), where a 401 is the
// server's own words ("Incorrect email or password"), not an ended session.
export function ErrorMessage({ error, signIn = false }: { error: unknown; signIn?: boolean }) {
  if (!error) return null;
  return (
    <div className="error" role="alert">
      {explain(error, signIn)}
    </div>
  );
}

export function explain(error: unknown, signIn = false) {
  if (!(error instanceof ApiError)) return <>Something went wrong: {String((error as Error)?.message ?? error)}</>;
  const videoId = typeof error.body.video_id === "string" ? error.body.video_id : null;
  switch (error.status) {
    case 0:
      return <>{error.message}</>;
    case 401:
      // Only a session that has ended asks to sign in again; a refused sign-in says why.
      if (signIn && error.code !== "SignedOut" && error.message) return <>{error.message}</>;
      return <>Please sign in again to carry on.</>;
    case 402:
      return (
        <>
          You do not have enough credits for this. <Link to="/credits">Buy credits</Link> and try again
          {error.message ? <> ({error.message})</> : null}.
        </>
      );
    case 409:
      if (error.code === "AlreadySubmitted") {
        return (
          <>
            This video is already in your library, so nothing was charged.{" "}
            {videoId ? <Link to={`/videos/${encodeURIComponent(videoId)}`}>Open it</Link> : null}
          </>
        );
      }
      return <>{error.message}</>;
    case 413:
      return <>That is too large to send: {error.message}</>;
    case 429:
      return <>You have submitted many videos in a short time. Wait a few minutes, then try again. ({error.message})</>;
    case 503:
      return <>The service is not available right now: {error.message}</>;
    default:
      return <>{error.message}</>;
  }
}
