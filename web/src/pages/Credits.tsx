// Credits: balance, packages, history with the running balance, and buying
// through Stripe Checkout (or the local sandbox); the balance updates when
// the webhook lands, which the page waits for after the return from Checkout.
import { useCallback, useEffect, useRef, useState } from "react";
import type { Package, Transaction } from "../api";
import { useApp } from "../context";
import { ErrorMessage } from "../errors";
import { navigate, useTitle } from "../router";
import { TRANSACTION_WORDS, formatDateParts, formatMoney, plural } from "../util";

const PENDING_KEY = "studybuddy.checkout";
const WAIT_LIMIT_MS = 120_000;

interface Pending {
  balance: number;
  package: string;
  credits: number;
  at: number;
  /** The Checkout Session of this purchase (POST /credits/checkout). */
  session_id?: string;
  /** The purchase rows already in the ledger when it began: never this purchase. */
  earlier?: string[];
}

function describe(t: Transaction): string {
  const meta = t.metadata ?? {};
  if (typeof meta.package === "string") return `${meta.package} package`;
  const parts: string[] = [];
  if (typeof meta.youtube_video_id === "string") parts.push(meta.youtube_video_id);
  if (typeof meta.reason === "string" && meta.reason !== TRANSACTION_WORDS[t.type]) {
    parts.push(meta.reason === "reserve" ? "reserved at submit" : meta.reason.replace(/_/g, " "));
  }
  return parts.join(", ");
}

// The purchase a return from Checkout waits for: the ledger's, not the balance's rise
// (lectures waiting for credits may spend some at once). Its row names its Checkout
// Session, so an earlier purchase of the same minute is never taken for it. A row
// credited from the PaymentIntent's event (Stripe does not deliver in order) names
// none: that one is matched by time, with a minute's leeway for clocks.
function purchaseOf(pending: Pending, recent: Transaction[]): Transaction | undefined {
  const purchases = recent.filter((t) => t.type === "purchase");
  const sessionOf = (t: Transaction) => t.metadata?.checkout_session_id;
  const recentEnough = (t: Transaction) =>
    Date.parse(t.created_at) >= pending.at - 60_000 && !(pending.earlier ?? []).includes(t.transaction_id);
  if (!pending.session_id) return purchases.find(recentEnough); // saved by an older page
  return purchases.find((t) => sessionOf(t) === pending.session_id) ??
    purchases.find((t) => !sessionOf(t) && recentEnough(t));
}

function purchaseNotice(purchase: Transaction, recent: Transaction[]): string {
  // What was spent since the purchase, by the ledger (not the balance, read apart).
  const after = Date.parse(purchase.created_at);
  const used = recent.filter((t) => t.type === "usage" && Date.parse(t.created_at) >= after)
    .reduce((sum, t) => sum - t.amount, 0);
  return `Payment received: ${plural(purchase.amount, "credit")} added.` +
    (used > 0 ? ` ${plural(used, "credit")} of your balance went at once to lectures waiting for credits.` : "");
}

export function CreditsPage({ checkout }: { checkout: string | null }) {
  const { api, refreshCredits } = useApp();
  const [balance, setBalance] = useState<number | null>(null);
  const [packages, setPackages] = useState<Package[]>([]);
  const [history, setHistory] = useState<Transaction[]>([]);
  const [lastKey, setLastKey] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState("");
  const [notice, setNotice] = useState("");
  const outcome = useRef(checkout);
  useTitle("Credits");

  const loadHistory = useCallback(async (from: string | null) => {
    const page = await api.request<{ transactions: Transaction[]; last_key: string | null }>("GET", "/credits/history", {
      query: { limit: 20, last_key: from ?? undefined },
    });
    setHistory((before) => (from ? [...before, ...page.transactions] : page.transactions));
    setLastKey(page.last_key);
    return page.transactions;
  }, [api]);

  const loadBalance = useCallback(async () => {
    const answer = await api.request<{ credits: number; packages: Package[] }>("GET", "/credits");
    setBalance(answer.credits);
    setPackages(answer.packages);
    return answer.credits;
  }, [api]);

  useEffect(() => {
    let stopped = false;
    let timer: number | undefined;
    const start = async () => {
      try {
        const recent = await loadHistory(null);
        await loadBalance();
        if (outcome.current === "cancelled") {
          sessionStorage.removeItem(PENDING_KEY);
          setNotice("Checkout was cancelled; nothing was charged.");
        } else if (outcome.current === "success") {
          const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? "null") as Pending | null;
          const purchase = pending ? purchaseOf(pending, recent) : undefined;
          if (!pending || purchase) {
            sessionStorage.removeItem(PENDING_KEY);
            setNotice(purchase ? purchaseNotice(purchase, recent) : "Payment received.");
          } else {
            setNotice("Payment received. Waiting for the payment to be confirmed…");
            let delay = 700;
            const wait = async () => {
              if (stopped) return;
              try {
                const history = await loadHistory(null);
                await loadBalance();
                const arrived = purchaseOf(pending, history);
                if (arrived) {
                  sessionStorage.removeItem(PENDING_KEY);
                  setNotice(purchaseNotice(arrived, history).replace("Payment received", "Payment confirmed"));
                  void refreshCredits();
                  return;
                }
              } catch {
                // keep waiting
              }
              if (Date.now() - pending.at > WAIT_LIMIT_MS) {
                setNotice("The payment is taking longer than usual to confirm. Your credits will appear here once it does; reload the page to check.");
                return;
              }
              delay = Math.min(delay * 1.5, 5000);
              timer = window.setTimeout(wait, delay);
            };
            timer = window.setTimeout(wait, delay);
          }
        }
        if (outcome.current) navigate("/credits", true);
      } catch (caught) {
        if (!stopped) setError(caught);
      }
    };
    void start();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, [loadBalance, loadHistory, refreshCredits]);

  const buy = async (pkg: Package) => {
    setBusy(pkg.id);
    setError(null);
    try {
      const origin = location.origin;
      const answer = await api.request<{ checkout_url: string; session_id: string }>("POST", "/credits/checkout", {
        body: {
          package: pkg.id,
          success_url: `${origin}/credits?checkout=success`,
          cancel_url: `${origin}/credits?checkout=cancelled`,
        },
      });
      if (!/^https?:\/\//i.test(answer.checkout_url ?? "")) throw new Error("The payment page address is not valid.");
      const pending: Pending = {
        balance: balance ?? 0, package: pkg.id, credits: pkg.credits, at: Date.now(), session_id: answer.session_id,
        earlier: history.filter((t) => t.type === "purchase").map((t) => t.transaction_id),
      };
      sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
      location.assign(answer.checkout_url);
    } catch (caught) {
      setError(caught);
      setBusy("");
    }
  };

  return (
    <>
      <h1 tabIndex={-1}>Credits</h1>
      {notice ? <p className="notice" role="status" data-testid="checkout-notice">{notice}</p> : null}
      <ErrorMessage error={error} />
      <p className="balance">
        Balance: <strong data-testid="balance">{balance ?? "…"}</strong> {balance === 1 ? "credit" : "credits"}
      </p>
      <p>A video costs 1 credit per started hour: a 20-minute lecture costs 1, a 61-minute one 2.</p>
      <section aria-labelledby="packages-title">
        <h2 id="packages-title">Buy credits</h2>
        <ul className="packages">
          {packages.map((pkg) => (
            <li key={pkg.id} className="card">
              <h3>{pkg.id[0].toUpperCase() + pkg.id.slice(1)}</h3>
              <p>{plural(pkg.credits, "credit")} for {pkg.display_amount ?? formatMoney(pkg.amount, pkg.currency)}</p>
              <button type="button" disabled={busy !== ""} onClick={() => void buy(pkg)}
                aria-label={`Buy ${pkg.credits} credits for ${pkg.display_amount ?? formatMoney(pkg.amount, pkg.currency)}`}>
                {busy === pkg.id ? "Opening checkout…" : "Buy"}
              </button>
            </li>
          ))}
        </ul>
        <p className="hint">Payment is handled by Stripe Checkout; card details never reach this site.</p>
      </section>
      <section aria-labelledby="history-title">
        <h2 id="history-title">History</h2>
        <div className="table-wrap">
          <table className="history">
            <caption className="sr-only">Credit movements, newest first, with the balance after each</caption>
            <thead>
              <tr><th scope="col">When</th><th scope="col">What</th><th scope="col">Credits</th><th scope="col">Balance</th></tr>
            </thead>
            <tbody>
              {history.map((t) => (
                <tr key={t.transaction_id}>
                  <td className="when">
                    {/* Date and time each kept whole: at most two lines in a narrow column. */}
                    <time dateTime={t.created_at}>
                      <span>{formatDateParts(t.created_at)[0]}</span> <span>{formatDateParts(t.created_at)[1]}</span>
                    </time>
                  </td>
                  <td>{TRANSACTION_WORDS[t.type] ?? t.type}{describe(t) ? <small> · {describe(t)}</small> : null}</td>
                  <td className={t.amount < 0 ? "minus" : "plus"}>{t.amount > 0 ? `+${t.amount}` : t.amount}</td>
                  <td>{t.balance_after}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {lastKey ? <button type="button" className="secondary" onClick={() => void loadHistory(lastKey).catch(setError)}>Load more</button> : null}
      </section>
    </>
  );
}
