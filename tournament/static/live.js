// The live view of a running tournament: the progress bar follows the games, the page reloads
// (standings, crosstable, games) whenever a game finishes.
"use strict";

(function () {
  const progress = document.getElementById("progress");
  if (!progress) return;
  const bar = progress.querySelector(".bar");  // no inline style: the CSP allows none
  bar.style.width = bar.dataset.percent + "%";
  if (progress.dataset.running !== "1") return;
  const shown = Number(progress.dataset.finished);
  async function poll() {
    try {
      const response = await fetch(progress.dataset.api, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const data = await response.json();
        const counts = data.game_counts, total = counts.pending + counts.running + counts.finished;
        bar.style.width = (total ? 100 * counts.finished / total : 0) + "%";
        document.getElementById("progress-label").textContent =
          `${counts.finished} of ${total} games played, ${counts.running} in progress`;
        if (counts.finished !== shown || data.status !== "running") { window.location.reload(); return; }
      }
    } catch (error) { /* the server restarts: try again */ }
    setTimeout(poll, 5000);
  }
  setTimeout(poll, 5000);
})();
