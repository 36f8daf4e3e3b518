// Before filing: a red packet sent less than a day ago returns to its sender by itself if
// nobody claims it. Guidance only: the form is filed either way. The texts come from the page.
(function () {
  "use strict";
  var note = document.getElementById("unclaimed-return");
  var sentAt = document.getElementById("sent_at");
  var kind = document.getElementById("packet_kind");
  if (!note || !sentAt || !kind) {
    return;
  }
  var hours = Number(note.getAttribute("data-hours"));
  var kinds = note.getAttribute("data-kinds").split(" ");
  var template = note.getAttribute("data-text");
  var chinaOffset = 8 * 3600 * 1000;
  var clockSkew = Number(note.getAttribute("data-clock-skew-minutes")) * 60 * 1000;

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  // China time "YYYY-MM-DD HH:MM:SS" (China has no summer time) as milliseconds since the epoch.
  function parseChinaTime(text) {
    var m = /^\s*(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2}):(\d{2})\s*$/.exec(text);
    if (!m) {
      return null;
    }
    return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) - chinaOffset;
  }

  function formatChinaTime(ms) {
    var d = new Date(ms + chinaOffset);
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) +
      " " + pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds());
  }

  function update() {
    var sent = parseChinaTime(sentAt.value);
    var now = Date.now();
    var back = sent === null ? null : sent + hours * 3600 * 1000;
    var show = back !== null && kinds.indexOf(kind.value) >= 0 &&
      sent <= now + clockSkew && now < back;
    if (show) {
      note.textContent = template.replace("{time}", formatChinaTime(back));
    }
    note.hidden = !show;
  }

  sentAt.addEventListener("input", update);
  sentAt.addEventListener("change", update);
  kind.addEventListener("change", update);
  update();
})();
