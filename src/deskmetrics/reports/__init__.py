"""Scheduled e-mail reports: per team, the headline metrics of the past week against the week
before, with a chart, built from the registry through `deskmetrics.query.compute`; and the
spreadsheet-safe writing of any result (`safe_cells`)."""
