"""Development stack: local Redis and FerretDB, and the runner behind `make run`."""
