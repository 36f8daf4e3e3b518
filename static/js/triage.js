// Before filing: shows the guidance the answers so far call for (the texts and numbers come
// from the page; the server shows the same on submit, without this script).
(function () {
  "use strict";
  var box = document.getElementById("guidance");
  var sentAt = document.getElementById("sent_at");
  var kind = document.getElementById("packet_kind");
  if (!box || !sentAt || !kind) {
    return;
  }
  var bankMinutes = Number(box.getAttribute("data-bank-minutes"));
  var chinaOffset = 8 * 3600 * 1000;

  function sentMs() {
    var m = /^\s*(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2}):(\d{2})\s*$/.exec(sentAt.value);
    return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) - chinaOffset : null;
  }

  function claim() {
    var checked = document.querySelector("input[name='claim_status']:checked");
    return checked ? checked.value : "";
  }

  // The reasons the answers call for, as `domain::guidance::triage` decides them (the red
  // packet's return by itself is the other script's note).
  function reasons() {
    var c = claim();
    if (c === "returned") {
      return ["already-returned"];
    }
    var out = [];
    var sent = sentMs();
    if (sent !== null && Date.now() - sent < bankMinutes * 60 * 1000 && sent <= Date.now() + 5 * 60 * 1000) {
      out.push("bank-window");
    }
    if (c === "claimed") {
      out.push("claimed");
      return out;
    }
    if (kind.value === "transfer") {
      out.push("delayed-arrival");
    }
    return out;
  }

  function update() {
    var want = reasons();
    var pieces = box.querySelectorAll("[data-reason]");
    for (var i = 0; i < pieces.length; i++) {
      var piece = pieces[i];
      var reason = piece.getAttribute("data-reason");
      var show = want.indexOf(reason) >= 0;
      piece.hidden = !show;
      piece.setAttribute("data-field", show ? "guidance" : "guidance-template");
    }
  }

  sentAt.addEventListener("input", update);
  sentAt.addEventListener("change", update);
  kind.addEventListener("change", update);
  var answers = document.querySelectorAll("input[name='claim_status']");
  for (var i = 0; i < answers.length; i++) {
    answers[i].addEventListener("change", update);
  }
})();
