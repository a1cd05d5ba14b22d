"""The Dask route (`autograder grade --scheduler`): the batch on a Dask cluster (dask_batch.py).
`dask worker --preload autograder.cluster` runs dask_setup below (the name workers are started with)."""
from .dask_batch import dask_setup  # noqa: F401
