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

  // The episode page: browsers honour #t= in the source URL; this covers those that do not.
  document.querySelectorAll("audio[data-start]").forEach(function (audio) {
    const start = parseFloat(audio.dataset.start);
    audio.addEventListener("loadedmetadata", function () {
      if (Math.abs(audio.currentTime - start) > 1) audio.currentTime = start;
    }, { once: true });
  });
})();
