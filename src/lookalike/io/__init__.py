"""Where tables come from and go to: files, DuckDB, PostgreSQL, MySQL/MariaDB and SQLite behind
one connector protocol (`base.Connector`); `connect.connect(url_or_connection)` picks one."""
