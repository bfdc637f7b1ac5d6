// The new-game form: a handicap game takes komi 0.5 (the usual convention), an even game the default komi,
// unless the player has typed a komi of their own.
(function () {
  const form = document.getElementById("new-game");
  if (!form) return;
  const komi = form.elements.komi, handicap = form.elements.handicap;
  let typed = false;
  komi.addEventListener("input", () => { typed = true; });
  handicap.addEventListener("change", () => {
    if (!typed) komi.value = handicap.value === "0" ? form.dataset.evenKomi : form.dataset.handicapKomi;
  });
})();
