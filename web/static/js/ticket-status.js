/* While intake runs, reload the ticket page when its status changes. */
(function () {
  "use strict";
  var ticket = document.getElementById("ticket");
  if (!ticket) { return; }
  var initial = ticket.getAttribute("data-status");
  if (initial !== "submitted" && initial !== "scanning" && initial !== "matching") { return; }
  var api = ticket.getAttribute("data-api");
  function poll() {
    fetch(api, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data && data.status !== initial) { window.location.reload(); return; }
        setTimeout(poll, 5000);
      })
      .catch(function () { setTimeout(poll, 10000); });
  }
  setTimeout(poll, 3000);
})();
