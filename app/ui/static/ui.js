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
