"""The programme itself: which one is current, its settings, CSV import and export."""
