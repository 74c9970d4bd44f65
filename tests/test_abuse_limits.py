"""The abuse limits, held to one contract on both storages: memory (the embedded default) and
a real Redis (the scale-out mode, shared by every web process).

Windows are seconds long here so that back-off can be watched ending; the settings that
production uses are the same notation with minutes and hours.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from limits.storage import Storage, storage_from_string

from soundbite.domain.accounts import Account, Role
from soundbite.errors import TooManyRequests
from soundbite.services.abuse import AbuseLimits, storage_url
from soundbite.settings import Settings
from tests.scaleout.services import Redis

LIMITS = {
    "signin_limit_per_client": "3/2 seconds;5/hour",
    "signin_limit_per_ip": "12/hour",
    "signin_limit_per_account": "8/hour",
    "signup_limit_per_ip": "2/hour",
    "clip_limit_per_account": "3/hour",
    "clip_limit_per_ip": "5/hour",
    "renders_in_flight_per_user": 2,
}


@pytest.fixture(params=["memory", "redis"])
def storage_maker(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StorageMaker]:
    """Makes storage clients that share one store: as two processes on one server would."""
    if request.param == "memory":
        shared = storage_from_string("memory://")
        yield lambda: shared
        return
    with Redis(tmp_path / "redis") as redis:
        yield lambda: storage_from_string(redis.url)


StorageMaker = Callable[[], Storage]


def limits_on(storage: Storage) -> AbuseLimits:
    return AbuseLimits(Settings(**LIMITS), storage)  # type: ignore[arg-type]


def refused(call: Callable[..., object], *args: object) -> int:
    """The Retry-After of a refused call (fails the test if it was allowed)."""
    with pytest.raises(TooManyRequests) as caught:
        call(*args)
    return caught.value.retry_after_s


def test_sign_in_backs_off_per_client_and_spares_other_addresses(
    storage_maker: StorageMaker,
) -> None:
    limits = limits_on(storage_maker())
    for _ in range(3):
        limits.check_sign_in("10.0.0.1", "ann")
        limits.failed_sign_in("10.0.0.1", "ann")
    wait = refused(limits.check_sign_in, "10.0.0.1", "Ann")  # user names match in any case
    assert 1 <= wait <= 2
    limits.check_sign_in("10.0.0.2", "ann")  # the real user, elsewhere, is not locked out
    limits.check_sign_in("10.0.0.1", "bob")  # nor is another account from that address

    time.sleep(2.1)  # the first rung ends...
    limits.check_sign_in("10.0.0.1", "ann")
    for _ in range(2):
        limits.failed_sign_in("10.0.0.1", "ann")
    wait = refused(limits.check_sign_in, "10.0.0.1", "ann")
    assert 3000 < wait <= 3600  # ...and further failures climb to the next: an hour, not forever


def test_failures_from_many_addresses_add_up(storage_maker: StorageMaker) -> None:
    limits = limits_on(storage_maker())
    for n in range(8):  # each address stays under its own limit
        limits.failed_sign_in(f"10.1.0.{n}", "ann")
    assert refused(limits.check_sign_in, "10.9.9.9", "ann") > 3000
    limits.check_sign_in("10.9.9.9", "bob")


def test_one_address_spraying_many_accounts(storage_maker: StorageMaker) -> None:
    limits = limits_on(storage_maker())
    for n in range(12):
        limits.failed_sign_in("10.2.0.1", f"user{n}")
    assert refused(limits.check_sign_in, "10.2.0.1", "someone-else") > 3000


def test_counts_are_shared_by_every_process(storage_maker: StorageMaker) -> None:
    first, second = limits_on(storage_maker()), limits_on(storage_maker())
    first.sign_up("10.3.0.1")
    second.sign_up("10.3.0.1")
    assert refused(first.sign_up, "10.3.0.1") > 3000
    assert refused(second.sign_up, "10.3.0.1") > 3000
    second.sign_up("10.3.0.2")


def test_clip_creation_per_account_and_per_address(storage_maker: StorageMaker) -> None:
    limits = limits_on(storage_maker())
    ann, bob, cid, dee = (Account(n, f"user{n}") for n in range(1, 5))
    for _ in range(3):
        limits.create_clip(ann, "10.4.0.1")
    assert refused(limits.create_clip, ann, "10.4.0.9") > 3000  # the account, from anywhere
    limits.create_clip(bob, "10.4.0.1")
    limits.create_clip(cid, "10.4.0.1")
    assert refused(limits.create_clip, dee, "10.4.0.1") > 3000  # the address, for anyone
    admin = Account(9, "admin", Role.ADMIN)
    for _ in range(10):  # whoever runs the server is not limited
        limits.create_clip(admin, "10.4.0.1")
        assert limits.render_slot_for(admin, "10.4.0.1") is None


def test_renders_in_flight_are_capped_per_user(storage_maker: StorageMaker) -> None:
    first, second = limits_on(storage_maker()), limits_on(storage_maker())
    a = first.take_render_slot("user:1")
    b = second.render_slot_for(Account(1, "ann"), "10.5.0.1")  # another process, one count
    assert b is not None
    assert refused(first.take_render_slot, "user:1") == 5
    other = first.take_render_slot("user:2")
    a.release()
    a.release()  # releasing twice frees one slot, not two
    c = second.take_render_slot("user:1")
    assert refused(second.take_render_slot, "user:1") == 5
    for slot in (b, c, other):
        slot.release()


def test_instances_sharing_a_redis_keep_their_counts_apart(storage_maker: StorageMaker) -> None:
    settings = {**LIMITS, "signup_limit_per_ip": "1/hour"}
    one = AbuseLimits(Settings(**settings, broker_queue_prefix="one-"), storage_maker())  # type: ignore[arg-type]
    two = AbuseLimits(Settings(**settings, broker_queue_prefix="two-"), storage_maker())  # type: ignore[arg-type]
    one.sign_up("10.7.0.1")
    refused(one.sign_up, "10.7.0.1")
    two.sign_up("10.7.0.1")


def test_storage_follows_the_mode() -> None:
    assert storage_url(Settings()) == "memory://"
    assert (
        storage_url(Settings(broker_url="redis://127.0.0.1:6390/2")) == "redis://127.0.0.1:6390/2"
    )
    assert storage_url(Settings(broker_url="amqp://guest@127.0.0.1//")) == "memory://"
    explicit = Settings(broker_url="amqp://x@h//", rate_limit_storage_url="redis://r:6379/1")
    assert storage_url(explicit) == "redis://r:6379/1"


def test_a_redis_outage_lets_requests_through(tmp_path: Path) -> None:
    redis = Redis(tmp_path / "redis")
    redis.start()
    try:
        limits = limits_on(storage_from_string(redis.url))
        for _ in range(3):
            limits.failed_sign_in("10.6.0.1", "ann")
        refused(limits.check_sign_in, "10.6.0.1", "ann")
    finally:
        redis.stop()
    # nobody can count now: signing in, signing up and rendering go on rather than fail
    limits.check_sign_in("10.6.0.2", "ann")
    limits.failed_sign_in("10.6.0.2", "ann")
    limits.sign_up("10.6.0.2")
    limits.create_clip(Account(1, "ann"), "10.6.0.2")
    slot = limits.take_render_slot("user:1")
    slot.release()
