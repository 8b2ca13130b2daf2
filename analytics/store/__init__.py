"""The store: the Store object (store.py: the connection, the data revision, the result cache),
the DuckDB connection and its migrations (sql/migrations), the SQL each query reads (sql/),
opening a database on first start, backup and restore."""
