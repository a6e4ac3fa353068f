"""Imported first by the worker pool's forkserver process, and nowhere else.

The forkserver imports the explainer stack (about 2 s of CPU) when the first
heavy job starts, and every worker is forked from it; lowering its priority
before those imports makes all of that yield to the server and the browsers.
"""

from explainers.process_priority import lower_priority

lower_priority()
