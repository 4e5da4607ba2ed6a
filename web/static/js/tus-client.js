/* A small tus 1.0.0 client: create, PATCH in chunks, resume after a dropped connection.
 * window.VettedTus.upload(file, {endpoint, csrfToken, chunkSize, onProgress}) -> Promise<uploadId>
 * The upload URL is remembered in localStorage, so a reload resumes where it stopped. */
(function () {
  "use strict";
  var VERSION = "1.0.0";
  var RETRY_DELAYS = [0, 1000, 3000, 5000, 10000, 20000];

  function b64(text) {
    return btoa(unescape(encodeURIComponent(text)));
  }

  function request(method, url, headers, body, onProgress) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open(method, url, true);
      Object.keys(headers).forEach(function (name) { xhr.setRequestHeader(name, headers[name]); });
      if (onProgress && xhr.upload) {
        xhr.upload.onprogress = function (event) { onProgress(event.loaded); };
      }
      xhr.onload = function () { resolve(xhr); };
      xhr.onerror = function () { reject(new Error("network")); };
      xhr.ontimeout = function () { reject(new Error("timeout")); };
      xhr.send(body || null);
    });
  }

  function errorMessage(xhr) {
    try {
      return JSON.parse(xhr.responseText).error.message;
    } catch (e) {
      return "The upload failed (HTTP " + xhr.status + ").";
    }
  }

  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }

  function fingerprint(file) {
    return "vetted-tus:" + [file.name, file.size, file.lastModified].join(":");
  }

  function upload(file, options) {
    var base = { "Tus-Resumable": VERSION };
    if (options.csrfToken) { base["X-CSRFToken"] = options.csrfToken; }
    var chunkSize = options.chunkSize || 8 * 1024 * 1024;
    var onProgress = options.onProgress || function () {};
    var key = fingerprint(file);
    var url = null;

    function headers(extra) {
      var all = {};
      Object.keys(base).forEach(function (k) { all[k] = base[k]; });
      Object.keys(extra || {}).forEach(function (k) { all[k] = extra[k]; });
      return all;
    }

    function create() {
      var metadata = "filename " + b64(file.name) + ",filetype " + b64(file.type || "application/octet-stream");
      return request("POST", options.endpoint, headers({
        "Upload-Length": String(file.size), "Upload-Metadata": metadata
      })).then(function (xhr) {
        if (xhr.status !== 201) { throw new Error(errorMessage(xhr)); }
        url = xhr.getResponseHeader("Location");
        try { localStorage.setItem(key, url); } catch (e) { /* private mode */ }
        return 0;
      });
    }

    function currentOffset() {
      return request("HEAD", url, headers()).then(function (xhr) {
        if (xhr.status === 200) { return parseInt(xhr.getResponseHeader("Upload-Offset"), 10); }
        if (xhr.status === 404 || xhr.status === 410) { return null; }
        throw new Error("status " + xhr.status);
      });
    }

    function start() {
      var saved = null;
      try { saved = localStorage.getItem(key); } catch (e) { saved = null; }
      if (!saved) { return create(); }
      url = saved;
      return currentOffset().then(function (offset) { return offset === null ? create() : offset; });
    }

    function send(offset, attempt) {
      if (offset >= file.size) { return Promise.resolve(offset); }
      var chunk = file.slice(offset, Math.min(offset + chunkSize, file.size));
      return request("PATCH", url, headers({
        "Upload-Offset": String(offset), "Content-Type": "application/offset+octet-stream"
      }), chunk, function (loaded) { onProgress(offset + loaded, file.size); }).then(function (xhr) {
        if (xhr.status === 204) {
          var next = parseInt(xhr.getResponseHeader("Upload-Offset"), 10);
          onProgress(next, file.size);
          return send(next, 0);
        }
        if (xhr.status === 409 || xhr.status === 423 || xhr.status >= 500) { throw new Error("retry"); }
        var failure = new Error(errorMessage(xhr));
        failure.fatal = true;
        throw failure;
      }).catch(function (error) {
        if (error.fatal || attempt >= RETRY_DELAYS.length - 1) { throw error; }
        if (options.onRetry) { options.onRetry(attempt + 1); }
        return sleep(RETRY_DELAYS[attempt + 1]).then(currentOffset).then(function (resumeAt) {
          if (resumeAt === null) { throw new Error("The upload expired. Please choose the file again."); }
          return send(resumeAt, attempt + 1);
        });
      });
    }

    return start().then(function (offset) { return send(offset, 0); }).then(function () {
      try { localStorage.removeItem(key); } catch (e) { /* ignore */ }
      return url.split("/").pop();
    });
  }

  window.VettedTus = { upload: upload };
})();
