"""Datasets: uploaded tables with immutable versions, ingested by a worker job."""
