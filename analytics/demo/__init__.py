"""The deterministic demo city: roads, hazards and accidents generated from a seed (build holds
the demo accounts and writes the database)."""
