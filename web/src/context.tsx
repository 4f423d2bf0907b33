import { createContext, useContext } from "react";
import type { Api, NoteSummary } from "./api";

export interface AppContextValue {
  api: Api;
  credits: number | null;
  refreshCredits: () => Promise<void>;
  /** Every note's id and title (for [[links]]); reloaded after changes. */
  noteIndex: () => Promise<NoteSummary[]>;
  invalidateNotes: () => void;
  /** Review cards to study now (GET /reviews/due's due_count + new_count), the signed-in
   *  student's only; null when unknown or signed out. */
  dueCount: number | null;
  /** Reads the count again (after a review; App also does on every navigation). */
  refreshDue: () => Promise<void>;
}

export const AppContext = createContext<AppContextValue | null>(null);

export function useApp(): AppContextValue {
  const value = useContext(AppContext);
  if (!value) throw new Error("useApp outside AppContext");
  return value;
}
