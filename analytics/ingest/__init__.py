"""Reading county spreadsheets: files, headers, values, validation, and the import itself."""
