"""`python -m tensorfleet`: the same as the `tensorfleet` command."""

from tensorfleet.cli import main

main()
