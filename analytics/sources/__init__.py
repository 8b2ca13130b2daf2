"""人·车·企 source hazards: key vehicles, professional drivers and transport enterprises, as cases
opened and cleared by snapshots of indicator lists (config, cases, figures, pii)."""
