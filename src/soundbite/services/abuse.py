"""Abuse limits: how often one address or one account may try to sign in, sign up, clip,
report a clip, and how many renders one person may have running.

Counting is the `limits` library's. Its storage is chosen by settings: memory in the embedded
mode (one process sees every request), Redis in the scale-out mode, so several web processes
share one count and an attacker gains nothing by spreading requests over them.

When the counters cannot be reached (Redis restarting), requests are let through and a
warning is logged: the limits are a fence against abuse, and a Redis outage must not lock
everyone out of signing in or clipping.

Admins are not limited in what they create or render: they run the server.

Sign-in lockout is a ladder of windows ("5/minute;10/15 minutes;20/hour"): each rung that is
full blocks until its window ends, so repeated failures back off from a minute to an hour,
and never forever. Failures are counted three ways. Per (address, user name), strictly: that is
the guesser. Per address, whatever the user name: that is someone spraying many accounts. Per
user name from every address, with a higher limit: that is a distributed attack, and the
higher limit is what keeps one attacker's failures from locking the real user out of their
own account from their own address. Only failures count, and a locked client is refused
before its password is checked, so a correct guess during a lockout does not get through.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter, RateLimiter

from soundbite.domain.accounts import Account
from soundbite.errors import TooManyRequests
from soundbite.settings import Settings

log = logging.getLogger(__name__)

RENDER_RETRY_S = 5  # a clip render takes seconds: ask again soon


def storage_url(settings: Settings) -> str:
    if settings.rate_limit_storage_url:
        return settings.rate_limit_storage_url
    broker = settings.broker_url or ""
    return broker if broker.startswith(("redis://", "rediss://")) else "memory://"


@dataclass(frozen=True, slots=True)
class Rule:
    """Named limits on one kind of key ("signin-client"), e.g. 5/minute and 20/hour."""

    name: str
    items: tuple[RateLimitItem, ...]

    @classmethod
    def parse(cls, name: str, spec: str) -> Rule:
        return cls(name, tuple(parse_many(spec)))


class RenderSlot:
    def __init__(self, limits: AbuseLimits, key: str, lease: int) -> None:
        self._limits, self._key, self._lease = limits, key, lease
        self._held = True

    def release(self) -> None:
        if self._held:
            self._held = False
            with self._limits.unless_unreachable():
                self._limits.storage.incr(self._key, self._lease, amount=-1)


class AbuseLimits:
    def __init__(self, settings: Settings, storage: Storage | None = None) -> None:
        made = storage or storage_from_string(storage_url(settings))
        assert isinstance(made, Storage)  # the synchronous kind (no async:// scheme here)
        self.storage: Storage = made
        # a moving window: a burst at the end of one window and the start of the next still
        # counts as one burst (a fixed window would let twice the limit through)
        self.limiter: RateLimiter = MovingWindowRateLimiter(self.storage)
        # instances sharing one Redis (as they share a broker) keep their counts apart
        ns = self.namespace = settings.broker_queue_prefix
        self.signin_client = Rule.parse(f"{ns}signin-client", settings.signin_limit_per_client)
        self.signin_ip = Rule.parse(f"{ns}signin-ip", settings.signin_limit_per_ip)
        self.signin_account = Rule.parse(f"{ns}signin-account", settings.signin_limit_per_account)
        self.signup_ip = Rule.parse(f"{ns}signup-ip", settings.signup_limit_per_ip)
        self.clip_account = Rule.parse(f"{ns}clip-account", settings.clip_limit_per_account)
        self.clip_ip = Rule.parse(f"{ns}clip-ip", settings.clip_limit_per_ip)
        self.report_account = Rule.parse(f"{ns}report-account", settings.report_limit_per_account)
        self.report_ip = Rule.parse(f"{ns}report-ip", settings.report_limit_per_ip)
        self.renders_cap = settings.renders_in_flight_per_user
        self.render_lease_s = settings.clip_render_timeout_seconds

    # sign-in

    def check_sign_in(self, ip: str, username: str) -> None:
        """Refuse (429) a client that failed too often, before its password is looked at."""
        name = username.casefold()
        self._refuse_if_full(
            "too many wrong passwords: wait before signing in again",
            (self.signin_client, (ip, name)),
            (self.signin_ip, (ip,)),
            (self.signin_account, (name,)),
        )

    def failed_sign_in(self, ip: str, username: str) -> None:
        name = username.casefold()
        self._hit(self.signin_client, ip, name)
        self._hit(self.signin_ip, ip)
        self._hit(self.signin_account, name)

    # counted actions: each call is one attempt, refused once a window is full

    def sign_up(self, ip: str) -> None:
        self._take("too many sign-ups from this address", (self.signup_ip, (ip,)))

    def create_clip(self, account: Account, ip: str) -> None:
        if account.is_admin:  # whoever runs the server may bulk-create (imports, load tests)
            return
        self._take(
            "too many clips in a short time",
            (self.clip_account, (str(account.id),)),
            (self.clip_ip, (ip,)),
        )

    def report(self, account: Account | None, ip: str) -> None:
        """One clip report. Counted per address always, since anyone may report; per account
        too when signed in, so moving between networks does not reset an account's count."""
        if account is not None and account.is_admin:
            return
        rules = [(self.report_ip, (ip,))]
        if account is not None:
            rules.append((self.report_account, (str(account.id),)))
        self._take("too many reports in a short time: try again later", *rules)

    # renders in flight: a count, not a rate

    def render_slot_for(self, viewer: Account | None, ip: str) -> RenderSlot | None:
        """A render slot for whoever asked (an account, else an address); admins need none."""
        if viewer is not None and viewer.is_admin:
            return None
        return self.take_render_slot(f"user:{viewer.id}" if viewer else f"ip:{ip}")

    def take_render_slot(self, who: str) -> RenderSlot:
        """One of `who`'s render slots, held until released; 429 when all are taken.

        The counter expires after the render lease, so a process that died mid-render
        cannot keep a slot forever.
        """
        key = f"soundbite/{self.namespace}renders-in-flight/{who}"
        lease = max(1, int(self.render_lease_s))
        slot = RenderSlot(self, key, lease)
        with self.unless_unreachable():
            if self.storage.incr(key, lease) > self.renders_cap:
                slot.release()
                raise TooManyRequests(
                    f"at most {self.renders_cap} clip renders at once: wait for one to finish",
                    RENDER_RETRY_S,
                )
        return slot

    def reset(self) -> None:
        self.storage.reset()

    @contextmanager
    def unless_unreachable(self) -> Iterator[None]:
        """Run a counter operation; if the storage cannot be reached, let the request through."""
        try:
            yield
        except self.storage.base_exceptions as exc:
            log.warning("abuse limits not applied: their storage is unreachable (%s)", exc)

    # internals

    def _hit(self, rule: Rule, *identifiers: str) -> None:
        with self.unless_unreachable():
            for item in rule.items:
                self.limiter.hit(item, rule.name, *identifiers)

    def _take(self, message: str, *rules: tuple[Rule, tuple[str, ...]]) -> None:
        self._refuse_if_full(message, *rules)
        for rule, identifiers in rules:
            self._hit(rule, *identifiers)

    def _refuse_if_full(self, message: str, *rules: tuple[Rule, tuple[str, ...]]) -> None:
        wait = 0.0
        with self.unless_unreachable():
            for rule, identifiers in rules:
                for item in rule.items:
                    if not self.limiter.test(item, rule.name, *identifiers):
                        stats = self.limiter.get_window_stats(item, rule.name, *identifiers)
                        wait = max(wait, stats.reset_time - time.time())
        if wait > 0:
            raise TooManyRequests(message, math.ceil(wait))
