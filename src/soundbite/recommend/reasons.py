"""Why an item is in a feed: one line a listener can read, and the signal that caused it.

A reason is only ever made from a real signal, and carries its id so the listener app can link
to it: an interaction (``kind="interaction"``, the id of the play, clip or subscription row,
which the listener can see and delete), the server's popularity (``"popularity"``), newness
(``"recency"``, the show's id) or the session's time budget (``"budget"``, the minutes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from soundbite.recommend.data import Interaction, Item

SignalKind = Literal["interaction", "popularity", "recency", "budget"]


@dataclass(frozen=True, slots=True)
class Reason:
    text: str
    signal_kind: SignalKind
    signal_id: str


def continue_listening(play: Interaction) -> Reason:
    return Reason("Pick up where you left off", "interaction", play.id)


def new_from_subscription(item: Item, subscription: Interaction) -> Reason:
    return Reason(f"New from {item.show_title or item.show}", "interaction", subscription.id)


def new_on_server(item: Item) -> Reason:
    return Reason(f"New from {item.show_title or item.show}", "recency", item.show)


def because_clipped(source: Item, clip: Interaction) -> Reason:
    return Reason(f"Because you clipped {source.label}", "interaction", clip.id)


def because_listened(source: Item, signal: Interaction) -> Reason:
    verb = {
        "clip_made": "clipped",
        "complete": "finished",
        "replay": "replayed",
        "clip_played": "played a clip of",
    }.get(signal.kind, "listened to")
    return Reason(f"Because you {verb} {source.label}", "interaction", signal.id)


def because_searched(query: str, signal: Interaction) -> Reason:
    return Reason(f"Because you searched for “{query}”", "interaction", signal.id)


def popular() -> Reason:
    return Reason("Popular on this server", "popularity", "server")


def fits_budget(minutes: int) -> Reason:
    return Reason(f"Fits your next {minutes} minutes", "budget", str(minutes))
