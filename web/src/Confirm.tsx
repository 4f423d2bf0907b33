// A modal confirmation (<dialog>: focus is held inside, Escape cancels). Closed, focus goes
// back to what had it when the dialog opened (the button that asked), as a native dialog's
// close would do if React did not remove it from the page first.
import { useEffect, useRef } from "react";

export function ConfirmDialog({ title, children, confirmLabel, onConfirm, onCancel }: {
  title: string;
  children: React.ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  // What had the focus before the dialog (read while rendering, before anything moves it).
  const opener = useRef(document.activeElement);
  useEffect(() => {
    const dialog = ref.current;
    const before = opener.current;
    if (dialog && !dialog.open) dialog.showModal();
    // showModal focuses the first control, which may be one in the body (a checkbox):
    // Cancel, the safe choice, starts with the focus.
    cancel.current?.focus();
    return () => {
      dialog?.close();
      // Still on the page (a cancel, a failed delete): focus it again. A page that then
      // removes it (a deleted row) or moves on (to another page) moves the focus itself.
      if (before instanceof HTMLElement && before !== document.body && before.isConnected) {
        before.focus({ preventScroll: true });
      }
    };
  }, []);
  return (
    <dialog ref={ref} aria-labelledby="confirm-title" onCancel={(e) => { e.preventDefault(); onCancel(); }}>
      <h2 id="confirm-title">{title}</h2>
      <div>{children}</div>
      <p className="actions">
        <button type="button" className="secondary" onClick={onCancel} ref={cancel} autoFocus>Cancel</button>
        <button type="button" className="danger" onClick={onConfirm}>{confirmLabel}</button>
      </p>
    </dialog>
  );
}
