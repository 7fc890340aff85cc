"""``python -m sim.bench`` is ``sim bench`` (and the worker that measures one size).

The command's main is called directly, without the command line's error handling, so
a worker process imports no more than the benchmark needs before it reads its base RSS.
"""

from sim.bench.command import main

raise SystemExit(main())
