import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { Api } from "./api";
import { App } from "./App";
import { loadConfig } from "./config";
import { loadSession } from "./session";
import "./styles.css";

async function start() {
  const config = await loadConfig();
  const api = new Api(config.apiUrl);
  const session = loadSession();
  if (session) api.setSession(session, "refresh"); // schedules (or runs) the refresh
  createRoot(document.getElementById("root")!).render(
    <StrictMode>
      <App api={api} />
    </StrictMode>,
  );
}

void start();
