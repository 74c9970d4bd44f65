"""Operating Soundbite at scale: a local cluster, host benchmarks, capacity planning.

Behind `soundbite cluster`, `soundbite bench` and `soundbite capacity` (cli/scale.py) and
bench/load.py; none of it is imported by the web app or the pipeline.
"""
