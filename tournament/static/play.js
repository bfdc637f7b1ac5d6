// A game against the engine: click a point to play, the server checks the rules and the engine answers.
"use strict";

(function () {
  const root = document.getElementById("play");
  if (!root) return;
  const svgRoot = document.getElementById("board");
  const layer = drawBoard(svgRoot);
  const message = document.getElementById("message");
  let state = null, busy = false;

  function render(data) {
    state = data;
    drawStones(layer, data.board, data.last_move ? data.last_move.point : undefined);
    document.getElementById("move-number").textContent = data.moves;
    document.getElementById("last-move").textContent =
      data.last_move ? (data.last_move.colour === "B" ? "Black " : "White ") + data.last_move.vertex : "start";
    document.getElementById("captures-black").textContent = data.captures.B;
    document.getElementById("captures-white").textContent = data.captures.W;
    document.getElementById("winrate").textContent =
      data.engine_winrate === null ? "–" : (100 * data.engine_winrate).toFixed(1) + "%";
    const waiting = data.games_ahead ? ` (after ${data.games_ahead} other game${data.games_ahead > 1 ? "s" : ""}: ` +
      "the engine answers in turn)" : "";
    const status = { human: "Your move", engine: "The engine is thinking…" + waiting,
                     finished: "Game over" }[data.status];
    document.getElementById("status").textContent = status;
    root.dataset.status = data.status;
    document.getElementById("result").textContent = data.status === "finished"
      ? `Result ${data.result} (${data.reason}${data.score !== null ? ", area score " + data.score + " for Black" : ""})`
        + (data.error ? ". " + data.error : "") : "";
    for (const id of ["pass", "resign"]) document.getElementById(id).disabled = data.status !== "human";
    if (data.status === "engine") setTimeout(refresh, 400);
  }

  async function refresh() {
    try {
      const response = await fetch(root.dataset.api, { headers: { Accept: "application/json" } });
      if (response.ok) { render(await response.json()); return; }
    } catch (error) { /* the server restarts: try again */ }
    setTimeout(refresh, 2000);
  }

  async function post(url, body) {
    if (busy) return;
    busy = true;
    message.textContent = "";
    try {
      const response = await fetch(url, {
        method: "POST", body: JSON.stringify(body || {}),
        headers: { "Content-Type": "application/json", "X-CSRFToken": root.dataset.csrf, Accept: "application/json" },
      });
      const data = await response.json();
      if (data.refused) message.textContent = data.refused;
      else if (data.error && !data.board) message.textContent = data.error;
      if (data.board) render(data);
    } catch (error) {
      message.textContent = "the server did not answer; try again";
    } finally {
      busy = false;
    }
  }

  svgRoot.addEventListener("click", (event) => {
    if (!state || state.status !== "human") return;
    const point = svgRoot.createSVGPoint();
    point.x = event.clientX; point.y = event.clientY;
    const local = point.matrixTransform(svgRoot.getScreenCTM().inverse());
    const col = Math.round((local.x - MARGIN) / STEP), row = Math.round((local.y - MARGIN) / STEP);
    if (col < 0 || col >= SIZE || row < 0 || row >= SIZE) return;
    post(root.dataset.move, { vertex: vertex(row * SIZE + col) });
  });
  // Both end the game or may: a slip of the mouse must not.
  document.getElementById("pass").onclick = () => {
    if (window.confirm("Pass? If the engine passes too, the game ends and is scored as the board stands.")) {
      post(root.dataset.move, { vertex: "pass" });
    }
  };
  document.getElementById("resign").onclick = () => {
    if (window.confirm("Resign this game?")) post(root.dataset.resign);
  };
  refresh();
})();
