// The replay of a finished game: board, captures, move number; arrow keys, Home/End and a slider.
"use strict";

(function () {
  const root = document.getElementById("replay");
  if (!root) return;
  const moves = JSON.parse(root.dataset.moves);  // [[colour, point], ...]
  const layer = drawBoard(document.getElementById("board"));
  // Every position once: positions[k] is the board after k moves.
  const positions = [{ stones: new Array(SIZE * SIZE).fill(0), captures: { 1: 0, 2: 0 } }];
  for (const [colour, point] of moves) {
    const before = positions[positions.length - 1];
    const after = playMove(before.stones, colour, point);
    const captures = { ...before.captures };
    captures[colour] += Math.max(after.captured, 0);
    positions.push({ stones: after.stones, captures });
  }
  const slider = document.getElementById("slider");
  let current = moves.length;

  function show(k) {
    current = Math.max(0, Math.min(moves.length, k));
    const position = positions[current];
    const last = current > 0 ? moves[current - 1] : null;
    drawStones(layer, position.stones, last ? last[1] : undefined);
    slider.value = current;
    document.getElementById("move-number").textContent = current;
    document.getElementById("last-move").textContent =
      last ? (last[0] === BLACK ? "Black " : "White ") + vertex(last[1]) : "start";
    document.getElementById("captures-black").textContent = position.captures[BLACK];
    document.getElementById("captures-white").textContent = position.captures[WHITE];
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
})();
