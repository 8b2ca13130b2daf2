"""一单四制, the hazard ledger: its vocabulary (states, types, grades), the workflow that is the
only way a hazard changes, the hazard list and search, metrics and trends over reporting periods,
a hazard's place, evidence files, and the ledger export."""
