"""Bank intake: the HMAC-signed payment webhook that turns a buyer's bank transfer into a Repayment report.

The pieces, each importable on its own so that the oracle's database models can load the table without FastAPI:
- ``signature``: the ``X-Bank-Signature`` header (sign and verify);
- ``schema``: strict parsing of the webhook body into a ``PaymentNotice``;
- ``models``: the ``oracle_bank_payment`` table (one row per bank transactionId);
- ``intake``: ``BankIntake``, which verifies, deduplicates, matches the invoice and enqueues the report;
- ``router``: the FastAPI route ``POST /api/v1/webhooks/payment``;
- ``sim``: ``hundi bank-sim``, a bank that sends correctly signed webhooks to a local oracle.
"""
