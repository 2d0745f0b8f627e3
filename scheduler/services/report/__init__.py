"""The programme report for the supervisor and its sponsors: figures, each as a table (chart data) and CSV."""
