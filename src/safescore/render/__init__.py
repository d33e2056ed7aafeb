"""Views of results: terminal tables, JSON files (more formats come later)."""
