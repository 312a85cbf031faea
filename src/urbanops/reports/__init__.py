"""Reports from every source: intake, photos, duplicate detection, classification."""
