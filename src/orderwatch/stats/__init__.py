"""Outcome statistics: the unit dashboard (figures for a period beside the previous one),
inline SVG charts, CSV export and a one-page PDF for a press office or a funding report."""
