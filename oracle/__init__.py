"""The Hundi oracle: watches the chain, verifies minted invoices, relays bank repayments as k-of-n signed reports,
and keeps the system moving (defaults, auto-payouts). One process per operator; see `hundi oracle run --help`."""
