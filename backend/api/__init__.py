"""The marketplace HTTP API (FastAPI): read models over the indexer's database, SIWE sign-in, uploads and
unsigned-transaction builders. It never holds keys or funds."""
