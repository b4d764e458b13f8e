"""`python -m app.cli`: the same as the `tensorfleet` command."""

from app.cli import main

main()
