// TensorFleet UI: progressive enhancement only; every page works without this file.
"use strict";

// Live regions: an element with data-poll="URL" replaces its contents with the HTML fragment
// at URL every data-every milliseconds, until the fragment marks itself data-final. Only a
// changed fragment is swapped in, so screen readers announce changes, not every poll.
function poll(region) {
  const every = Number(region.dataset.every) || 2000;
  let last = null;
  const tick = async () => {
    try {
      const response = await fetch(region.dataset.poll, {
        headers: { "X-Requested-With": "fetch" },
        credentials: "same-origin",
      });
      if (response.status === 401) return; // signed out: stop polling
      const text = response.ok ? await response.text() : last;
      if (text !== last) region.innerHTML = last = text;
    } catch (error) {
      // the server is restarting or the network dropped: try again next tick
    }
    if (!region.querySelector("[data-final]")) setTimeout(tick, every);
  };
  if (!region.querySelector("[data-final]")) setTimeout(tick, every);
}

// The train form shows only the chosen algorithm's hyperparameters; the others are disabled
// so they are not submitted.
function switcher(select) {
  const groups = document.querySelectorAll(select.dataset.switch);
  const show = () => groups.forEach((group) => {
    const on = group.dataset.for === select.value;
    group.hidden = !on;
    group.disabled = !on;
  });
  select.addEventListener("change", show);
  show();
}

document.querySelectorAll("[data-poll]").forEach(poll);
document.querySelectorAll("select[data-switch]").forEach(switcher);

// Dataset upload: the file goes as the raw request body (as POST /datasets takes it), so
// upload.onprogress can drive the <progress>; then the browser opens the new version's page.
function uploader(form) {
  const bar = form.querySelector("progress");
  const message = form.querySelector("[role=status]");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const query = new URLSearchParams({ name: data.get("name"), target: data.get("target") });
    if (data.get("task")) query.set("task", data.get("task"));
    const request = new XMLHttpRequest();
    request.open("POST", `${form.dataset.upload}?${query}`);
    request.setRequestHeader("X-CSRF-Token", form.dataset.csrf);
    request.setRequestHeader("X-Requested-With", "fetch");
    request.upload.onprogress = (e) => {
      if (!e.lengthComputable) return;
      bar.value = e.loaded / e.total;
      message.textContent = `Uploading… ${Math.round(bar.value * 100)}%`;
    };
    request.onload = () => {
      if (request.status < 300) {
        bar.value = 1;
        window.location.assign(JSON.parse(request.responseText).location);
        return;
      }
      const page = new DOMParser().parseFromString(request.responseText, "text/html");
      const shown = page.querySelector("main") || page.body;
      message.textContent = `Upload refused (${request.status}): ${shown.textContent.trim()}`;
    };
    request.onerror = () => { message.textContent = "The upload failed: network error."; };
    bar.hidden = false;
    bar.value = 0;
    message.textContent = "Uploading…";
    request.send(form.querySelector("input[type=file]").files[0]);
  });
}

document.querySelectorAll("form[data-upload]").forEach(uploader);
