"""`python -m workers`: run the training worker (workers/run.py).
`python -m workers --check`: exit 0 when the worker in this pod (container) refreshed its health
key in Redis in the last few seconds, for container probes (workers/health.py).

The probe imports only what it needs: importing the worker pulls in scikit-learn, about 5 s of
CPU per probe run, which under load can exceed the probe's timeout and restart a working pod.
"""

import sys


def main(argv: list[str]) -> int:
    if "--check" in argv:
        from workers.health import check

        return check()
    from workers.run import main as run

    return run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
