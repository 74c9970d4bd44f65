"""Clips: a moment of an episode, shared as a link that plays, unfurls, embeds and leads back.

- `spans`: checking and snapping a span against the transcript around it (rules: domain/clips).
- `service`: create, read, change, delete and list clips, and who may do which.
- `renders`: the render cache: each (media, span, profile) encoded once, streamed while it is.
- `events`: plays, shares and click-throughs, counted once per listener and day, and stats.
- `creator`: Podcasting 2.0 soundbites from feeds become creator clips.
- `export`: `<podcast:soundbite>` elements and WebVTT captions.
- `links`: the URLs of a clip (share page, audio, card, embed), for the web and the CLI.
- `cards`: the 1200×630 card image, made once per clip look.
"""
