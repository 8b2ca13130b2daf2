"""Accidents: analysis (totals, breakdowns, by month and year), accident-prone sites (rules,
stake and coordinate searches, the Highway Safety Manual's windows, site tables), the road
network and its map layers, and the effect of closed hazards on accidents."""
