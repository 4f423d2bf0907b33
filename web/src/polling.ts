// Following a resource that changes on the server (a video being made, a course being
// run): one polling loop for every page that follows one.
import { useEffect, useRef } from "react";
import { ApiError } from "./api";

const FIRST_DELAY_MS = 800;
const MAX_DELAY_MS = 8000;

export interface Poll<T> {
  /** Reads the resource once. */
  load: () => Promise<T>;
  /** What a reader would notice: polling backs off while it stays the same. */
  fingerprint: (value: T) => string;
  /** Takes a fresh value; true when it has settled (polling stops). */
  take: (value: T) => boolean;
  /** The last read's failure, or null once a read succeeds. */
  setError: (error: unknown) => void;
}

/** Polls while `active`: soon after a change, backing off while nothing changes,
 * slowly in a hidden tab; stops once settled, or on 404 and 401 (gone, signed out).
 * A change of `deps` (or of `active`) starts it again. */
export function usePolling<T>(active: boolean, poll: Poll<T>, deps: readonly unknown[]): void {
  const lastSeen = useRef("");
  const latest = useRef(poll);
  latest.current = poll;
  useEffect(() => {
    if (!active) return;
    let stopped = false;
    let timer: number | undefined;
    let delay = FIRST_DELAY_MS;
    const step = async () => {
      const { load, fingerprint, take, setError } = latest.current;
      try {
        const next = await load();
        if (stopped) return;
        setError(null);
        const seen = fingerprint(next);
        delay = seen === lastSeen.current ? Math.min(delay * 1.6, MAX_DELAY_MS) : FIRST_DELAY_MS;
        lastSeen.current = seen;
        if (take(next)) return;
      } catch (caught) {
        if (stopped) return;
        setError(caught);
        if (caught instanceof ApiError && (caught.status === 404 || caught.status === 401)) return;
        delay = Math.min(delay * 2, MAX_DELAY_MS);
      }
      timer = window.setTimeout(step, document.hidden ? MAX_DELAY_MS : delay);
    };
    void step();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the caller names what restarts it
  }, [active, ...deps]);
}
