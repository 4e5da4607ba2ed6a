// The navbar alerts menu: keeps the unread count fresh by polling, fills the dropdown on
// demand, and marks alerts read. No inline scripts: everything it needs is in data- attributes.
(function () {
  "use strict";
  var menu = document.getElementById("notification-menu");
  if (!menu) {
    return;
  }
  var badge = document.getElementById("notification-count");
  var list = document.getElementById("notification-list");
  var toggle = document.getElementById("notification-toggle");
  var pollMs = Math.max(1000, parseFloat(menu.dataset.pollSeconds || "10") * 1000);
  var headers = { Accept: "application/json", "X-Requested-With": "fetch" };

  function showCount(count) {
    badge.textContent = String(count);
    badge.dataset.count = String(count);
    badge.classList.toggle("d-none", count === 0);
  }

  function post(url) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      keepalive: true,
      headers: Object.assign({ "X-CSRFToken": menu.dataset.csrf }, headers),
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (data) {
      if (data && typeof data.unread === "number") {
        showCount(data.unread);
      }
    }).catch(function () { /* offline: the next poll catches up */ });
  }

  function refresh() {
    if (document.hidden) {
      return;
    }
    fetch(menu.dataset.countUrl, { credentials: "same-origin", headers: headers })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data && typeof data.unread === "number") {
          showCount(data.unread);
        }
      })
      .catch(function () { /* offline: try again on the next tick */ });
  }

  function item(alert) {
    var li = document.createElement("li");
    var a = document.createElement("a");
    a.className = "dropdown-item text-wrap" + (alert.read ? "" : " fw-semibold");
    a.href = alert.link || menu.dataset.pageUrl;
    a.textContent = alert.title;
    a.dataset.alertId = String(alert.id);
    if (!alert.read) {
      a.addEventListener("click", function () {
        post(menu.dataset.readUrl.replace("/0/", "/" + alert.id + "/"));
      });
    }
    li.appendChild(a);
    return li;
  }

  function divider() {
    var li = document.createElement("li");
    var hr = document.createElement("hr");
    hr.className = "dropdown-divider";
    li.appendChild(hr);
    return li;
  }

  function link(text, href, id) {
    var li = document.createElement("li");
    var a = document.createElement("a");
    a.className = "dropdown-item";
    a.href = href;
    a.textContent = text;
    if (id) {
      a.id = id;
    }
    li.appendChild(a);
    return li;
  }

  function fill(data) {
    list.replaceChildren();
    if (!data.items.length) {
      var empty = document.createElement("li");
      empty.className = "dropdown-item-text text-muted";
      empty.textContent = "No alerts yet.";
      list.appendChild(empty);
    }
    data.items.forEach(function (alert) { list.appendChild(item(alert)); });
    list.appendChild(divider());
    if (data.unread > 0) {
      var all = link("Mark all read", "#", "notification-read-all");
      all.firstChild.addEventListener("click", function (event) {
        event.preventDefault();
        post(menu.dataset.readAllUrl).then(function () { load(); });
      });
      list.appendChild(all);
    }
    list.appendChild(link("See all alerts", menu.dataset.pageUrl));
    showCount(data.unread);
  }

  function load() {
    return fetch(menu.dataset.feedUrl, { credentials: "same-origin", headers: headers })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data) {
          fill(data);
        }
      })
      .catch(function () { /* keep the static "See all alerts" link */ });
  }

  toggle.addEventListener("show.bs.dropdown", load);
  document.addEventListener("visibilitychange", refresh);
  window.setInterval(refresh, pollMs);
})();
