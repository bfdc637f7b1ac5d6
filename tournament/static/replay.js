// The board of a tournament game: the replay of a finished one (arrow keys, Home/End, a slider, the
// win-rate graph's cursor, the judge's dead stones marked at the end), or a running one followed
// live (the moves so far are polled; the viewer at the last move stays at the last move).
"use strict";

(function () {
  const root = document.getElementById("replay");
  if (!root) return;
  const moves = JSON.parse(root.dataset.moves);  // [[colour, point], ...]
  const dead = JSON.parse(root.dataset.dead || "[]");
  const layer = drawBoard(document.getElementById("board"));
  // Every position once: positions[k] is the board after k moves.
  const positions = [{ stones: new Array(SIZE * SIZE).fill(0), captures: { 1: 0, 2: 0 } }];
  function extend() {
    for (let k = positions.length - 1; k < moves.length; k++) {
      const [colour, point] = moves[k], before = positions[k];
      const after = playMove(before.stones, colour, point);
      const captures = { ...before.captures };
      captures[colour] += Math.max(after.captured, 0);
      positions.push({ stones: after.stones, captures });
    }
  }
  extend();
  const slider = document.getElementById("slider");
  const chart = document.getElementById("winrate-chart");
  const cursor = document.getElementById("winrate-cursor");
  let current = moves.length;

  function show(k) {
    current = Math.max(0, Math.min(moves.length, k));
    const position = positions[current];
    const last = current > 0 ? moves[current - 1] : null;
    drawStones(layer, position.stones, last ? last[1] : undefined);
    if (current === moves.length && !root.dataset.live) markDead(layer, dead);
    slider.max = moves.length;
    slider.value = current;
    document.getElementById("move-number").textContent = current;
    document.getElementById("move-count").textContent = moves.length;
    document.getElementById("last-move").textContent =
      last ? (last[0] === BLACK ? "Black " : "White ") + vertex(last[1]) : "start";
    document.getElementById("captures-black").textContent = position.captures[BLACK];
    document.getElementById("captures-white").textContent = position.captures[WHITE];
    if (chart && cursor) {
      const x = Number(chart.dataset.left) + Number(chart.dataset.inner) * current / Math.max(1, Number(chart.dataset.moves));
      cursor.setAttribute("x1", x);
      cursor.setAttribute("x2", x);
    }
  }

  document.getElementById("first").onclick = () => show(0);
  document.getElementById("prev").onclick = () => show(current - 1);
  document.getElementById("next").onclick = () => show(current + 1);
  document.getElementById("last").onclick = () => show(moves.length);
  slider.oninput = () => show(Number(slider.value));
  document.addEventListener("keydown", (event) => {
    if (event.target.tagName === "INPUT" && event.target !== slider) return;
    const step = { ArrowLeft: -1, ArrowRight: 1, PageUp: -10, PageDown: 10 }[event.key];
    if (step) { show(current + step); event.preventDefault(); }
    else if (event.key === "Home") { show(0); event.preventDefault(); }
    else if (event.key === "End") { show(moves.length); event.preventDefault(); }
  });
  show(moves.length);

  if (!root.dataset.live) return;
  async function poll() {
    try {
      const response = await fetch(root.dataset.live, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const game = await response.json();
        if (game.status !== "running") { window.location.reload(); return; }  // finished: the full replay
        const live = game.live || { moves: [] };
        const atEnd = current === moves.length;
        if (live.moves.length > moves.length) {
          moves.push(...live.moves.slice(moves.length));
          extend();
          show(atEnd ? moves.length : current);
        }
        document.getElementById("black-seconds").textContent = Math.round(live.black_seconds || 0);
        document.getElementById("white-seconds").textContent = Math.round(live.white_seconds || 0);
      }
    } catch (error) { /* the server is restarting: try again */ }
    setTimeout(poll, 2000);
  }
  setTimeout(poll, 2000);
})();
