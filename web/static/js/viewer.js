// The code viewer: file filter, line selection for comments, comment navigation, shortcuts.
(function () {
  "use strict";
  const viewer = document.getElementById("viewer");
  if (!viewer) return;
  const currentPath = viewer.dataset.path;
  const form = document.getElementById("comment-form");
  const formHome = document.getElementById("comment-form-home");
  const code = document.getElementById("code");
  const filter = document.getElementById("file-filter");
  let anchor = null; // first line of the selection

  // --- file filter -------------------------------------------------------------------------
  function applyFilter() {
    const q = filter.value.trim().toLowerCase();
    document.querySelectorAll("#file-tree .vt-file").forEach(function (li) {
      li.classList.toggle("d-none", q !== "" && !li.dataset.path.toLowerCase().includes(q));
    });
    document.querySelectorAll("#file-tree .vt-dir").forEach(function (li) {
      li.classList.toggle("d-none", q !== "" && !li.querySelector(".vt-file:not(.d-none)"));
    });
  }
  if (filter) {
    filter.addEventListener("input", applyFilter);
    filter.addEventListener("keydown", function (e) {
      if (e.key === "Enter") {
        const first = document.querySelector("#file-tree .vt-file:not(.d-none) a");
        if (first) window.location.href = first.href;
      } else if (e.key === "Escape") {
        filter.value = ""; applyFilter(); filter.blur();
      }
    });
  }

  // --- line selection ----------------------------------------------------------------------
  function rows(start, end) {
    const out = [];
    for (let n = start; n <= end; n++) {
      const row = document.getElementById("L" + n);
      if (row) out.push(row);
    }
    return out;
  }
  function highlight(start, end) {
    document.querySelectorAll(".vt-code tr.selected").forEach(function (r) { r.classList.remove("selected"); });
    rows(start, end).forEach(function (r) { r.classList.add("selected"); });
  }
  function selectedText(start, end) {
    return rows(start, end).map(function (r) { return r.querySelector(".vt-src").textContent; }).join("\n");
  }
  function openForm(start, end) {
    if (!form) return;
    form.elements.line_start.value = start;
    form.elements.line_end.value = end;
    const suggestion = form.elements.suggestion;
    if (!form.elements.with_suggestion.checked) suggestion.value = selectedText(start, end);
    // place the form right under the last selected line
    const last = document.getElementById("L" + end);
    let holder = document.getElementById("comment-form-row");
    if (!holder) {
      holder = document.createElement("tr");
      holder.id = "comment-form-row";
      holder.appendChild(document.createElement("td"));
      holder.appendChild(document.createElement("td"));
    }
    let after = last;
    while (after.nextElementSibling && after.nextElementSibling.classList.contains("vt-thread-row")) {
      after = after.nextElementSibling;
    }
    after.after(holder);
    holder.lastChild.appendChild(form);
    form.classList.add("vt-floating");
    form.elements.body.focus();
  }
  function closeForm() {
    if (!form || !formHome) return;
    formHome.appendChild(form);
    form.classList.remove("vt-floating");
    const holder = document.getElementById("comment-form-row");
    if (holder) holder.remove();
    highlight(0, -1);
    anchor = null;
  }
  function parseLines(hash) {
    const m = /^#L(\d+)(?:-L?(\d+))?$/.exec(hash);
    if (!m) return null;
    const a = parseInt(m[1], 10), b = m[2] ? parseInt(m[2], 10) : a;
    return [Math.min(a, b), Math.max(a, b)];
  }
  if (code) {
    code.addEventListener("click", function (e) {
      const link = e.target.closest(".vt-ln a");
      if (!link) return;
      e.preventDefault();
      const line = parseInt(link.dataset.line, 10);
      let start = line, end = line;
      if (e.shiftKey && anchor !== null) {
        start = Math.min(anchor, line); end = Math.max(anchor, line);
      } else {
        anchor = line;
      }
      highlight(start, end);
      history.replaceState(null, "", start === end ? "#L" + start : "#L" + start + "-L" + end);
      openForm(start, end);
    });
    const initial = parseLines(window.location.hash);
    if (initial) {
      highlight(initial[0], initial[1]);
      const row = document.getElementById("L" + initial[0]);
      if (row) row.scrollIntoView({ block: "center" });
    }
  }
  if (form) {
    const toggle = form.elements.with_suggestion;
    const box = form.elements.suggestion;
    const sync = function () { box.classList.toggle("d-none", !toggle.checked); };
    toggle.addEventListener("change", sync);
    sync();
    const cancel = document.getElementById("cancel-comment");
    if (cancel) cancel.addEventListener("click", closeForm);
  }

  // --- comment navigation ------------------------------------------------------------------
  const jumps = Array.prototype.slice.call(document.querySelectorAll("#comment-list .vt-jump"));
  const position = document.getElementById("comment-position");
  function currentIndex() {
    const m = /^#c(\d+)$/.exec(window.location.hash);
    if (!m) return -1;
    return jumps.findIndex(function (a) { return a.dataset.id === m[1]; });
  }
  function focusComment(index) {
    const link = jumps[index];
    if (link.dataset.path !== currentPath) { window.location.href = link.href; return; }
    history.replaceState(null, "", "#c" + link.dataset.id);
    showCurrent();
  }
  function showCurrent() {
    document.querySelectorAll(".vt-thread.current, .vt-jump.current").forEach(function (el) { el.classList.remove("current"); });
    const index = currentIndex();
    if (index < 0) return;
    const link = jumps[index];
    link.classList.add("current");
    const card = document.getElementById("c" + link.dataset.id);
    if (card) { card.classList.add("current"); card.scrollIntoView({ block: "center" }); }
    if (position) position.textContent = "Comment " + (index + 1) + " of " + jumps.length;
  }
  function step(delta) {
    if (!jumps.length) return;
    let index = currentIndex();
    if (index < 0) {
      // start from the first comment of this file (or the first overall)
      index = jumps.findIndex(function (a) { return a.dataset.path === currentPath; });
      index = index < 0 ? (delta > 0 ? 0 : jumps.length - 1) : (delta > 0 ? index : index - 1 + jumps.length) % jumps.length;
      focusComment(index);
      return;
    }
    focusComment((index + delta + jumps.length) % jumps.length);
  }
  const next = document.getElementById("next-comment");
  const prev = document.getElementById("prev-comment");
  if (next) next.addEventListener("click", function () { step(1); });
  if (prev) prev.addEventListener("click", function () { step(-1); });
  jumps.forEach(function (a) {
    a.addEventListener("click", function (e) {
      if (a.dataset.path === currentPath) { e.preventDefault(); focusComment(jumps.indexOf(a)); }
    });
  });
  showCurrent();

  // --- file switching ----------------------------------------------------------------------
  const files = Array.prototype.slice.call(document.querySelectorAll("#file-tree .vt-file a"));
  function switchFile(delta) {
    const index = files.findIndex(function (a) { return a.parentElement.dataset.path === currentPath; });
    const target = files[(index + delta + files.length) % files.length];
    if (target) window.location.href = target.href;
  }

  // --- keyboard ----------------------------------------------------------------------------
  const help = document.getElementById("shortcuts");
  const helpButton = document.getElementById("shortcut-help");
  if (helpButton) helpButton.addEventListener("click", function () { help.classList.toggle("d-none"); });
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const tag = (e.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || e.target.isContentEditable) {
      if (e.key === "Escape") { e.target.blur(); closeForm(); }
      return;
    }
    switch (e.key) {
      case "j": case "n": e.preventDefault(); step(1); break;
      case "k": case "p": e.preventDefault(); step(-1); break;
      case "t": case "/": if (filter) { e.preventDefault(); filter.focus(); filter.select(); } break;
      case "]": e.preventDefault(); switchFile(1); break;
      case "[": e.preventDefault(); switchFile(-1); break;
      case "?": if (help) help.classList.toggle("d-none"); break;
      case "Escape": closeForm(); break;
      default: break;
    }
  });
})();
