"""The report limits on both counter stores (memory, one process; Redis, shared by every web
process): per address whoever reports, per account from any address."""

from __future__ import annotations

from limits.storage import Storage

from soundbite.domain.accounts import Account, Role
from soundbite.services.abuse import AbuseLimits
from soundbite.settings import Settings
from tests.test_abuse_limits import StorageMaker, refused, storage_maker

__all__ = ["storage_maker"]  # the memory/Redis fixture, shared with tests/test_abuse_limits.py


def limits_on(storage: Storage) -> AbuseLimits:
    settings = Settings(report_limit_per_ip="3/hour", report_limit_per_account="2/hour")  # type: ignore[call-arg]
    return AbuseLimits(settings, storage)


def test_reports_per_address_and_per_account(storage_maker: StorageMaker) -> None:
    one, other = limits_on(storage_maker()), limits_on(storage_maker())  # two processes
    ann, bob, cid = Account(1, "ann"), Account(2, "bob"), Account(3, "cid")
    one.report(ann, "10.5.0.1")
    other.report(ann, "10.5.0.2")
    assert refused(one.report, ann, "10.5.0.3") > 3000  # the account (2/hour), from anywhere
    one.report(None, "10.5.0.1")  # signed out: the address alone counts
    other.report(bob, "10.5.0.1")  # the address's third (3/hour)
    assert refused(one.report, cid, "10.5.0.1") > 3000  # full for anyone, cid's first
    assert refused(other.report, None, "10.5.0.1") > 3000
    one.report(cid, "10.5.0.4")  # from another address cid may
    admin = Account(9, "admin", Role.ADMIN)
    for _ in range(5):  # whoever runs the server is not limited
        one.report(admin, "10.5.0.1")
