// A 19x19 Go board drawn in SVG, and the rules needed to replay a game: captures and suicide.
// Points are indices 19 * row + col (row 0 at the top); 361 is a pass. Colours: 1 Black, 2 White.
"use strict";

const SIZE = 19, PASS = 361, BLACK = 1, WHITE = 2;
const COLUMNS = "ABCDEFGHJKLMNOPQRST";
const STEP = 20, MARGIN = 20;

function neighbours(p) {
  const r = Math.floor(p / SIZE), c = p % SIZE, out = [];
  if (r > 0) out.push(p - SIZE);
  if (r < SIZE - 1) out.push(p + SIZE);
  if (c > 0) out.push(p - 1);
  if (c < SIZE - 1) out.push(p + 1);
  return out;
}

function vertex(p) {
  if (p === PASS) return "pass";
  return COLUMNS[p % SIZE] + (SIZE - Math.floor(p / SIZE));
}

// The string through p and whether it has a liberty.
function stringAt(stones, p) {
  const colour = stones[p], seen = new Set([p]), todo = [p];
  let free = false;
  while (todo.length) {
    for (const n of neighbours(todo.pop())) {
      if (stones[n] === 0) free = true;
      else if (stones[n] === colour && !seen.has(n)) { seen.add(n); todo.push(n); }
    }
  }
  return { points: seen, free };
}

// Plays a move on a copy of `stones`; returns the new stones and the captured count (-1 if illegal).
function playMove(stones, colour, p) {
  const next = stones.slice();
  if (p === PASS) return { stones: next, captured: 0 };
  if (next[p] !== 0) return { stones: stones, captured: -1 };
  next[p] = colour;
  let captured = 0;
  for (const n of neighbours(p)) {
    if (next[n] !== 0 && next[n] !== colour) {
      const s = stringAt(next, n);
      if (!s.free) { for (const q of s.points) next[q] = 0; captured += s.points.size; }
    }
  }
  if (!stringAt(next, p).free) return { stones: stones, captured: -1 };  // suicide
  return { stones: next, captured };
}

function svg(tag, attrs) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

function pointXY(p) {
  return [MARGIN + STEP * (p % SIZE), MARGIN + STEP * Math.floor(p / SIZE)];
}

// Draws the empty board into an <svg viewBox="0 0 400 400">; returns a group for the stones.
function drawBoard(root) {
  root.replaceChildren();
  const lines = svg("g", { stroke: "#3b2f1a", "stroke-width": "0.8" });
  for (let i = 0; i < SIZE; i++) {
    const a = MARGIN + STEP * i, end = MARGIN + STEP * (SIZE - 1);
    lines.appendChild(svg("line", { x1: MARGIN, y1: a, x2: end, y2: a }));
    lines.appendChild(svg("line", { x1: a, y1: MARGIN, x2: a, y2: end }));
  }
  root.appendChild(lines);
  for (const r of [3, 9, 15]) for (const c of [3, 9, 15]) {
    const [x, y] = pointXY(r * SIZE + c);
    root.appendChild(svg("circle", { cx: x, cy: y, r: 2.2, fill: "#3b2f1a" }));
  }
  const labels = svg("g", { "font-size": "7", fill: "#3b2f1a", "text-anchor": "middle" });
  for (let i = 0; i < SIZE; i++) {
    const a = MARGIN + STEP * i;
    for (const [x, y, text] of [[a, 9, COLUMNS[i]], [a, 396, COLUMNS[i]], [8, a + 2.5, SIZE - i], [392, a + 2.5, SIZE - i]]) {
      const t = svg("text", { x, y }); t.textContent = text; labels.appendChild(t);
    }
  }
  root.appendChild(labels);
  const stonesLayer = svg("g", {});
  root.appendChild(stonesLayer);
  return stonesLayer;
}

function drawStones(layer, stones, lastMove) {
  layer.replaceChildren();
  stones.forEach((colour, p) => {
    if (!colour) return;
    const [x, y] = pointXY(p);
    layer.appendChild(svg("circle", {
      cx: x, cy: y, r: 9.3, fill: colour === BLACK ? "#111" : "#f8f8f5",
      stroke: "#000", "stroke-width": colour === BLACK ? 0 : 0.7, "data-point": p,
      class: colour === BLACK ? "stone black" : "stone white",
    }));
  });
  if (lastMove !== undefined && lastMove !== PASS && stones[lastMove]) {
    const [x, y] = pointXY(lastMove);
    layer.appendChild(svg("circle", { cx: x, cy: y, r: 4, fill: "none", "stroke-width": 1.5,
      stroke: stones[lastMove] === BLACK ? "#fff" : "#000", class: "last-move" }));
  }
}

// Crosses on the stones the judge takes as dead (they are taken off before the count).
function markDead(layer, points) {
  for (const p of points) {
    const [x, y] = pointXY(p);
    for (const [dx, dy] of [[5, 5], [5, -5]]) {
      layer.appendChild(svg("line", { x1: x - dx, y1: y - dy, x2: x + dx, y2: y + dy, stroke: "#d11",
        "stroke-width": 2, class: "dead-mark", "data-point": p }));
    }
  }
}
