// The embedded YouTube player (privacy-enhanced) that a note's timestamps and a review
// card's "Rewatch" seek: the iframe API's "listening" handshake, then postMessage
// commands; offline or refused, it says the player cannot load.
import { useEffect, useRef, useState } from "react";

export const PLAYER_ORIGIN = "https://www.youtube-nocookie.com";
const PLAYER_ID = "study-buddy-player"; // as YouTube's own iframe API names its widget channel
// The embed answers the "listening" handshake within a moment of loading (YouTube's own
// iframe API asks every 250 ms, as this does). No answer this long after the frame
// loaded (offline, Chromium loads an error page into it at once), or at all this long
// after opening: the player cannot load.
const ANSWER_WITHIN_MS = 4000;
const GIVE_UP_MS = 10_000;
const ASK_EVERY_MS = 250;

export type PlayerState = "loading" | "ready" | "unavailable";

export function usePlayer(open: boolean, videoId: string | null) {
  const frame = useRef<HTMLIFrameElement>(null);
  const [state, setState] = useState<PlayerState>("loading");
  const [frameLoaded, setFrameLoaded] = useState(0);

  useEffect(() => {
    if (!open || !videoId) return;
    setFrameLoaded(0);
    setState(navigator.onLine === false ? "unavailable" : "loading");
    const onMessage = (event: MessageEvent) => {
      if (event.origin === PLAYER_ORIGIN && event.source === frame.current?.contentWindow) setState("ready");
    };
    window.addEventListener("message", onMessage);
    const giveUp = window.setTimeout(() => setState((now) => (now === "ready" ? now : "unavailable")), GIVE_UP_MS);
    return () => {
      window.removeEventListener("message", onMessage);
      window.clearTimeout(giveUp);
    };
  }, [open, videoId]);

  useEffect(() => {
    if (!open || !frameLoaded || state !== "loading") return;
    const ask = () => frame.current?.contentWindow?.postMessage(
      JSON.stringify({ event: "listening", id: PLAYER_ID, channel: "widget" }), PLAYER_ORIGIN);
    ask();
    const asking = window.setInterval(ask, ASK_EVERY_MS);
    const silent = window.setTimeout(() => setState((now) => (now === "ready" ? now : "unavailable")),
      Math.max(0, frameLoaded + ANSWER_WITHIN_MS - Date.now()));
    return () => {
      window.clearInterval(asking);
      window.clearTimeout(silent);
    };
  }, [open, frameLoaded, state]);

  const seek = (seconds: number) => {
    const command = (func: string, args: unknown[] = []) => frame.current?.contentWindow?.postMessage(
      JSON.stringify({ event: "command", func, args, id: PLAYER_ID, channel: "widget" }), PLAYER_ORIGIN);
    command("seekTo", [seconds, true]);
    command("playVideo");
    frame.current?.scrollIntoView({ block: "nearest" });
  };

  return { frame, state, onLoad: () => setFrameLoaded(Date.now()), seek };
}
