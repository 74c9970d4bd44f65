// Share, embed and episode pages: copy link, the Web Share API, and counting beacons.
// Everything works without this script (links are plain links); it only adds conveniences
// and tells the server what happened. Plays are counted on the player's first "play" event,
// never on page load, so previews and crawlers are not plays.
"use strict";
(function () {
  const root = document.querySelector("[data-events]");
  const eventsUrl = root && root.dataset.events;

  function send(kind, channel) {
    if (!eventsUrl) return;
    const body = JSON.stringify(channel ? { kind: kind, channel: channel } : { kind: kind });
    const blob = new Blob([body], { type: "application/json" });
    if (!(navigator.sendBeacon && navigator.sendBeacon(eventsUrl, blob))) {
      fetch(eventsUrl, { method: "POST", body: body, keepalive: true,
                         headers: { "Content-Type": "application/json" } }).catch(() => {});
    }
  }

  const status = document.querySelector(".copied");
  function say(text) { if (status) status.textContent = text; }

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      const url = button.dataset.copy;
      const done = function () { say("Link copied"); send("shared", "copy"); };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(url).then(done, function () { selectUrl(); });
      } else {
        selectUrl();
      }
    });
  });

  function selectUrl() {
    const input = document.getElementById("share-url");
    if (input) { input.focus(); input.select(); say("Press Ctrl+C (⌘C) to copy"); }
  }

  document.querySelectorAll("[data-native-share]").forEach(function (button) {
    if (!navigator.share) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      const title = document.querySelector("meta[property='og:title']");
      const url = document.querySelector("link[rel=canonical]");
      navigator.share({ title: title ? title.content : document.title,
                        url: url ? url.href : location.href })
        .then(function () { send("shared", "native"); }, function () {});
    });
  });

  document.querySelectorAll("a[data-channel]").forEach(function (link) {
    link.addEventListener("click", function () { send("shared", link.dataset.channel); });
  });

  document.querySelectorAll("[data-events] audio").forEach(function (audio) {
    audio.addEventListener("play", function () { send("played"); }, { once: true });
  });

  // Analytics (docs/analytics.md): the page view with the channel tag of the link it was
  // opened by, then how far the player got, at 3 s or half the clip (whichever comes first)
  // and at the end. The server decides what counts; this only reports.
  const beaconUrl = root && root.dataset.beacon;
  function beacon(data) {
    if (!beaconUrl) return;
    const body = JSON.stringify(data);
    const blob = new Blob([body], { type: "application/json" });
    if (!(navigator.sendBeacon && navigator.sendBeacon(beaconUrl, blob))) {
      fetch(beaconUrl, { method: "POST", body: body, keepalive: true,
                         headers: { "Content-Type": "application/json" } }).catch(() => {});
    }
  }
  if (beaconUrl) {
    const channel = new URLSearchParams(location.search).get("ch");
    beacon({ kind: root.dataset.page || "view", channel: channel || null,
             referrer: document.referrer || null });
  }
  document.querySelectorAll("[data-beacon] audio").forEach(function (audio) {
    let reported = 0;  // 1: the play threshold was reported, 2: the end too
    audio.addEventListener("timeupdate", function () {
      const duration = audio.duration;
      if (!isFinite(duration) || duration <= 0) return;
      let played = 0;  // seconds actually heard (a seek ahead skips, it does not play)
      for (let i = 0; i < audio.played.length; i++) played += audio.played.end(i) - audio.played.start(i);
      if (reported < 1 && played >= Math.min(3, duration / 2)) {
        reported = 1;
        beacon({ kind: "play", played_ms: Math.round(played * 1000) });
      }
      if (reported < 2 && played >= duration * 0.95) {
        reported = 2;
        beacon({ kind: "play", played_ms: Math.round(played * 1000) });
      }
    });
  });

  // The episode page: browsers honour #t= in the source URL; this covers those that do not.
  document.querySelectorAll("audio[data-start]").forEach(function (audio) {
    const start = parseFloat(audio.dataset.start);
    audio.addEventListener("loadedmetadata", function () {
      if (Math.abs(audio.currentTime - start) > 1) audio.currentTime = start;
    }, { once: true });
  });

  // The public episode page: chapter and transcript times are links to ?t= (they work
  // without this script, by loading the page again); here they seek the player in place.
  const player = document.querySelector("audio.player");
  document.querySelectorAll("a[data-seek]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      const seconds = parseFloat(link.dataset.seek);
      if (!player || !isFinite(seconds)) return;
      event.preventDefault();
      player.currentTime = seconds;
      player.play().catch(function () {});
      history.replaceState(null, "", seconds > 0 ? "?t=" + seconds : location.pathname);
    });
  });
})();
