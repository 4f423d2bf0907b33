"""Credits: every movement, ledger ids, packages, pricing, charges and refund rules."""
