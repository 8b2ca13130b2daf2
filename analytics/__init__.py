"""Pure-Python analytics for the hazard ledger (no streamlit or pydeck imports)."""
