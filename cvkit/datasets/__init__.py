"""Data sets: the generated demo engagement and bundled real data (CDNOW, Electricity)."""
