// An upload's page: reloads the check's panel from the server every second until the verdict.
"use strict";

(function () {
  const box = document.getElementById("check");
  if (!box) return;
  const finished = () => ["accepted", "refused"].includes(document.getElementById("verdict").dataset.status);
  async function poll() {
    if (finished()) return;
    try {
      const response = await fetch(box.dataset.panel, { headers: { Accept: "text/html" } });
      if (response.ok) box.innerHTML = await response.text();
    } catch (error) { /* the server restarts: try again */ }
    setTimeout(poll, 1000);
  }
  setTimeout(poll, 1000);
})();
