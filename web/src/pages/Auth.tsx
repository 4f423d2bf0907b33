// Sign up, confirm, sign in, forgot and reset password (public API routes).
import { FormEvent, useEffect, useState } from "react";
import { Api, ApiError, TokenAnswer } from "../api";
import { useApp } from "../context";
import { ErrorMessage } from "../errors";
import { useTitle } from "../router";

type View = "signin" | "signup" | "confirm" | "forgot" | "reset";

const PASSWORD_HINT = "At least 8 characters with an upper-case letter, a lower-case letter, a number and a symbol.";
const RESET_SENT = "If an account uses that email, a reset code is on its way. Enter it below.";
// The local stack (GET /health says stage "local") has no mail server, and its stand-in
// for Cognito accepts any code: say so, instead of promising an email.
const LOCAL_NO_EMAIL = "This is the local stack: no email is sent.";
const LOCAL_RESET = `${LOCAL_NO_EMAIL} Enter any code (for example 123456) and your new password below.`;

/** Whether the API is the local stack's (one GET /health per page load). */
let localStage: Promise<boolean> | null = null;
function isLocalStage(api: Api): Promise<boolean> {
  localStage ??= api.request<{ stage?: string }>("GET", "/health", { auth: false })
    .then((health) => health.stage === "local")
    .catch(() => {
      localStage = null; // asked again next time
      return false;
    });
  return localStage;
}

export function AuthScreen({ initialEmail = "", notice = "", inDialog = false }: {
  initialEmail?: string;
  notice?: string;
  /** Over a page (the session ended): the page keeps its title. */
  inDialog?: boolean;
}) {
  const { api } = useApp();
  const [view, setView] = useState<View>("signin");
  const [email, setEmail] = useState(initialEmail);
  const [password, setPassword] = useState("");
  const [name, setName] = useState("");
  const [code, setCode] = useState("");
  const [message, setMessage] = useState(notice);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [local, setLocal] = useState(false);

  useEffect(() => {
    if (view !== "forgot" && view !== "reset") return;
    let stopped = false;
    void isLocalStage(api).then((answer) => !stopped && setLocal(answer));
    return () => {
      stopped = true;
    };
  }, [api, view]);

  const go = (next: View, text = "") => {
    setView(next);
    setError(null);
    setMessage(text);
    setPassword("");
  };

  const run = (action: () => Promise<void>) => async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  const signIn = run(async () => {
    const answer = await api.request<TokenAnswer>("POST", "/auth/login", { body: { email, password }, auth: false });
    api.signedIn(email, answer);
  });

  const signUp = run(async () => {
    const answer = await api.request<TokenAnswer & { confirmation_required: boolean }>("POST", "/auth/register", {
      body: { email, password, ...(name.trim() ? { name: name.trim() } : {}) },
      auth: false,
    });
    if (answer.id_token) api.signedIn(email, answer);
    else go("confirm", "We have sent a confirmation code to your email.");
  });

  const confirm = run(async () => {
    await api.request("POST", "/auth/confirm", { body: { email, code }, auth: false });
    setCode("");
    go("signin", "Your email is confirmed. Sign in to start.");
  });

  const forgot = run(async () => {
    await api.request("POST", "/auth/forgot-password", { body: { email }, auth: false });
    go("reset", (await isLocalStage(api)) ? LOCAL_RESET : RESET_SENT);
  });

  const reset = run(async () => {
    await api.request("POST", "/auth/reset-password", { body: { email, code, password }, auth: false });
    setCode("");
    go("signin", "Your password is changed. Sign in with the new one.");
  });

  const emailField = (
    <p className="field">
      <label htmlFor="auth-email">Email</label>
      <input id="auth-email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
    </p>
  );
  const codeField = (
    <p className="field">
      <label htmlFor="auth-code">Code from the email</label>
      <input id="auth-code" inputMode="numeric" autoComplete="one-time-code" required value={code} onChange={(e) => setCode(e.target.value)} />
    </p>
  );
  const passwordField = (label: string, autoComplete: string) => (
    <p className="field">
      <label htmlFor="auth-password">{label}</label>
      <input
        id="auth-password"
        type="password"
        autoComplete={autoComplete}
        required
        minLength={autoComplete === "new-password" ? 8 : undefined}
        aria-describedby={autoComplete === "new-password" ? "password-hint" : undefined}
        value={password}
        onChange={(e) => setPassword(e.target.value)}
      />
      {autoComplete === "new-password" ? <small id="password-hint">{PASSWORD_HINT}</small> : null}
    </p>
  );

  const titles: Record<View, string> = {
    signin: "Sign in",
    signup: "Create your account",
    confirm: "Confirm your email",
    forgot: "Forgot your password?",
    reset: "Choose a new password",
  };
  useTitle(inDialog ? null : titles[view]);

  return (
    <section className="auth card" aria-labelledby="auth-title">
      <h1 id="auth-title" tabIndex={-1}>{titles[view]}</h1>
      {message ? <p className="notice" role="status">{message}</p> : null}
      <ErrorMessage error={error} signIn />
      {view === "signin" && (
        <form onSubmit={signIn} aria-labelledby="auth-title">
          {emailField}
          {passwordField("Password", "current-password")}
          <button type="submit" disabled={busy}>Sign in</button>
          <p className="alt">
            <button type="button" className="link" onClick={() => go("signup")}>Create an account</button>
            <button type="button" className="link" onClick={() => go("forgot")}>Forgot password?</button>
          </p>
        </form>
      )}
      {view === "signup" && (
        <form onSubmit={signUp} aria-labelledby="auth-title">
          <p className="field">
            <label htmlFor="auth-name">Name (optional)</label>
            <input id="auth-name" autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} />
          </p>
          {emailField}
          {passwordField("Password", "new-password")}
          <button type="submit" disabled={busy}>Create account</button>
          <p className="alt">
            <button type="button" className="link" onClick={() => go("signin")}>I already have an account</button>
            <button type="button" className="link" onClick={() => go("confirm")}>I have a confirmation code</button>
          </p>
        </form>
      )}
      {view === "confirm" && (
        <form onSubmit={confirm} aria-labelledby="auth-title">
          {emailField}
          {codeField}
          <button type="submit" disabled={busy}>Confirm</button>
          <p className="alt">
            <button type="button" className="link" onClick={() => go("signin")}>Back to sign in</button>
          </p>
        </form>
      )}
      {view === "forgot" && (
        <form onSubmit={forgot} aria-labelledby="auth-title">
          {local ? <p className="hint" data-testid="local-reset">{LOCAL_NO_EMAIL} Ask for a code, then enter any code with your new password.</p> : null}
          {emailField}
          <button type="submit" disabled={busy}>Send a reset code</button>
          <p className="alt">
            <button type="button" className="link" onClick={() => go("reset")}>I have a code</button>
            <button type="button" className="link" onClick={() => go("signin")}>Back to sign in</button>
          </p>
        </form>
      )}
      {view === "reset" && (
        <form onSubmit={reset} aria-labelledby="auth-title">
          {local && !message ? <p className="hint" data-testid="local-reset">{LOCAL_RESET}</p> : null}
          {emailField}
          {codeField}
          {passwordField("New password", "new-password")}
          <button type="submit" disabled={busy}>Change password</button>
          <p className="alt">
            <button type="button" className="link" onClick={() => go("signin")}>Back to sign in</button>
          </p>
        </form>
      )}
    </section>
  );
}

export function isSignedOut(error: unknown): boolean {
  return error instanceof ApiError && error.status === 401;
}
