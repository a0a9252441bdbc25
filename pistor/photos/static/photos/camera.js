// Taking a photograph: the previous photograph of the chosen view is shown, half
// transparent, over the live camera (or over the chosen file's preview) so the new shot
// repeats its framing. The file input keeps working without this script.
(function () {
  "use strict";
  function setup() {
    var form = document.getElementById("photo-form");
    if (!form) return;
    var viewSelect = document.getElementById("id_view");
    var fileInput = document.getElementById("id_file");
    var camera = document.getElementById("camera");
    var video = document.getElementById("camera-video");
    var camGhost = document.getElementById("camera-ghost");
    var shoot = document.getElementById("camera-shoot");
    var start = document.getElementById("camera-start");
    var previewStage = document.getElementById("preview-stage");
    var preview = document.getElementById("preview-image");
    var previewGhost = document.getElementById("preview-ghost");
    var stream = null;
    var previewUrl = null;

    function ghostUrl() {
      var option = viewSelect.options[viewSelect.selectedIndex];
      return option ? option.getAttribute("data-ghost") || "" : "";
    }
    function showGhost(img) {
      var url = ghostUrl();
      if (url) {
        if (img.getAttribute("src") !== url) img.src = url;
        img.hidden = false;
      } else {
        img.hidden = true;
        img.removeAttribute("src");
      }
    }
    function refreshGhosts() {
      showGhost(camGhost);
      showGhost(previewGhost);
    }
    viewSelect.addEventListener("change", refreshGhosts);

    fileInput.addEventListener("change", function () {
      var file = fileInput.files && fileInput.files[0];
      if (previewUrl) URL.revokeObjectURL(previewUrl);
      if (!file) {
        previewStage.hidden = true;
        return;
      }
      previewUrl = URL.createObjectURL(file);
      preview.src = previewUrl;
      previewStage.hidden = false;
      refreshGhosts();
    });

    if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.DataTransfer) {
      start.hidden = false;
      start.addEventListener("click", function () {
        navigator.mediaDevices
          .getUserMedia({ video: { facingMode: "environment" }, audio: false })
          .then(function (s) {
            stream = s;
            video.srcObject = s;
            camera.hidden = false;
            start.hidden = true;
            refreshGhosts();
          })
          .catch(function () {
            start.textContent = "The camera is not available: choose a file instead";
            start.disabled = true;
          });
      });
      shoot.addEventListener("click", function () {
        if (!stream || !video.videoWidth) return;
        var canvas = document.createElement("canvas");
        canvas.width = video.videoWidth;
        canvas.height = video.videoHeight;
        canvas.getContext("2d").drawImage(video, 0, 0);
        canvas.toBlob(
          function (blob) {
            if (!blob) return;
            var transfer = new DataTransfer();
            transfer.items.add(new File([blob], "camera.jpg", { type: "image/jpeg" }));
            fileInput.files = transfer.files;
            fileInput.dispatchEvent(new Event("change"));
          },
          "image/jpeg",
          0.92
        );
      });
    }
    refreshGhosts();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
