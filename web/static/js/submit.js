/* The submit page: tabs choose the source; an archive goes up through tus first (progress,
 * resume), then the form is submitted with the finished upload's id. Without JavaScript the
 * form posts the file directly. */
(function () {
  "use strict";
  var form = document.getElementById("submit-form");
  if (!form) { return; }
  var source = document.getElementById("source");
  var fileInput = document.getElementById("archive");
  var uploadId = document.getElementById("upload_id");
  var progress = document.getElementById("upload-progress");
  var bar = document.getElementById("upload-bar");
  var status = document.getElementById("upload-status");
  var button = document.getElementById("submit-button");
  var meta = document.querySelector('meta[name="csrf-token"]');
  var maxBytes = parseInt(form.getAttribute("data-max-bytes"), 10);

  document.querySelectorAll("[data-source]").forEach(function (tab) {
    tab.addEventListener("click", function () { source.value = tab.getAttribute("data-source"); });
  });

  function showError(message) {
    var box = document.getElementById("submit-error");
    if (!box) {
      box = document.createElement("div");
      box.id = "submit-error";
      box.className = "alert alert-danger";
      box.setAttribute("role", "alert");
      form.parentNode.insertBefore(box, form);
    }
    box.textContent = message;
  }

  function setProgress(done, total) {
    var percent = total ? Math.floor((done / total) * 100) : 100;
    bar.style.width = percent + "%";
    bar.textContent = percent + "%";
    progress.setAttribute("aria-valuenow", String(percent));
  }

  form.addEventListener("submit", function (event) {
    if (source.value !== "upload" || uploadId.value || !fileInput.files.length || !window.VettedTus) {
      return;
    }
    event.preventDefault();
    var file = fileInput.files[0];
    if (file.size > maxBytes) { showError("File size exceeds limit"); return; }
    button.disabled = true;
    progress.classList.remove("d-none");
    status.textContent = "Uploading " + file.name + "…";
    window.VettedTus.upload(file, {
      endpoint: form.getAttribute("data-upload-url"),
      csrfToken: meta ? meta.getAttribute("content") : "",
      onProgress: setProgress,
      onRetry: function (n) { status.textContent = "Connection lost; resuming (attempt " + n + ")…"; }
    }).then(function (id) {
      uploadId.value = id;
      status.textContent = "Uploaded. Creating your ticket…";
      fileInput.disabled = true; // the bytes are already on the server
      form.submit();
    }).catch(function (error) {
      button.disabled = false;
      status.textContent = "";
      showError(error.message || "The upload failed. Please try again.");
    });
  });
})();
