"""The store: the DuckDB connection and its migrations (sql/migrations), the SQL each query reads
(sql/), the data revision, opening a database on first start, backup and restore."""
