"""A bounded HTTP load generator for loopback benchmarks.

One asyncio loop with N concurrent clients, each issuing requests back to back until a
deadline or a request budget, whichever comes first. It refuses any address but loopback:
benchmarks here must never send traffic off the machine.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

import httpx


@dataclass(frozen=True, slots=True)
class LoadResult:
    requests: int
    errors: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    concurrency: int

    def to_json(self) -> dict[str, float | int]:
        return asdict(self)


def check_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return
    if not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"load tests only target loopback addresses, not {host}")


def run_load(
    urls: list[str],
    *,
    concurrency: int,
    seconds: float,
    max_requests: int,
    headers: dict[str, str] | None = None,
) -> LoadResult:
    for url in urls:
        check_loopback(url)
    return asyncio.run(_load(urls, concurrency, seconds, max_requests, headers or {}))


async def _load(
    urls: list[str], concurrency: int, seconds: float, budget: int, headers: dict[str, str]
) -> LoadResult:
    latencies: list[float] = []
    errors = 0
    issued = 0
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def client_loop(client: httpx.AsyncClient, n: int) -> None:
        nonlocal errors, issued
        i = n
        while time.monotonic() < deadline and issued < budget:
            issued += 1
            url = urls[i % len(urls)]  # spread over the web processes given
            i += 1
            t = time.perf_counter()
            try:
                r = await client.get(url, headers=headers)
                await r.aread()
                ok = r.status_code < 400
            except httpx.HTTPError:
                ok = False
            latencies.append(time.perf_counter() - t)
            errors += not ok

    started = time.monotonic()
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        await asyncio.gather(*(client_loop(client, n) for n in range(concurrency)))
    elapsed = time.monotonic() - started
    latencies.sort()

    def pct(p: float) -> float:
        return (
            1000 * latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else 0
        )

    return LoadResult(
        requests=len(latencies),
        errors=errors,
        seconds=round(elapsed, 2),
        rps=round(len(latencies) / elapsed, 1) if elapsed else 0.0,
        p50_ms=round(pct(0.50), 1),
        p99_ms=round(pct(0.99), 1),
        concurrency=concurrency,
    )
