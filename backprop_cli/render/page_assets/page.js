"use strict";
// Steps through the circuit. Every number and every hint comes from the JSON written by
// backprop; this script shows and hides them, and compares a typed answer with them.
(function () {
  const data = JSON.parse(document.getElementById("steps").textContent);
  const steps = data.steps;
  const $ = (id) => document.getElementById(id);
  const svg = document.querySelector("#stage svg");
  const solved = new Set();
  let index = 0;

  // The rule of `backprop check`: within atol + rtol * |answer|, or half a unit in the
  // last digit the student typed, whichever is larger.
  const DECIMAL = /^\s*[-+]?(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?\s*$/;
  function allowed(text, answer) {
    let tolerance = data.tolerance.atol + data.tolerance.rtol * Math.abs(answer);
    const match = DECIMAL.exec(text);
    if (match && (match[2] !== undefined || match[3] !== undefined)) {
      const decimals = (match[2] || "").length - parseInt(match[3] || "0", 10);
      tolerance = Math.max(tolerance, 0.5 * Math.pow(10, -decimals) * (1 + 1e-9));
    }
    return tolerance;
  }
  function parse(text) {
    const parts = text.trim().split("/");
    if (parts.length === 2) return Number(parts[0]) / Number(parts[1]);
    return text.trim() === "" ? NaN : Number(text);
  }

  function asking(i) {
    return $("quiz").checked && steps[i].quiz && !solved.has(i);
  }
  function revealed() {
    const shown = new Set();
    for (let i = 0; i <= index; i++) {
      if (i === index && asking(i)) continue;
      for (const [wire, role] of steps[i].show) shown.add(wire + " " + role);
    }
    return shown;
  }

  function render() {
    const step = steps[index];
    const shown = revealed();
    for (const wire of svg.querySelectorAll(".wire")) {
      for (const role of ["value", "grad"]) {
        const text = wire.querySelector("text." + role);
        if (text) text.classList.toggle("hidden", !shown.has(wire.id + " " + role));
      }
    }
    for (const element of svg.querySelectorAll(".active")) element.classList.remove("active");
    for (const id of step.focus) {
      const element = svg.getElementById ? svg.getElementById(id) : document.getElementById(id);
      if (element) element.classList.add("active");
    }
    $("counter").textContent = "step " + (index + 1) + " of " + steps.length;
    $("phase").textContent = step.phase === "forward" ? "Forward pass" : "Backward pass";
    const lines = $("lines");
    lines.replaceChildren();
    for (const line of step.lines) {
      const div = document.createElement("div");
      div.textContent = line;
      lines.appendChild(div);
    }
    const ask = asking(index);
    const product = $("product");
    product.hidden = step.kind !== "edge";
    if (step.kind === "edge") {
      product.dataset.gate = step.gate;
      product.querySelector("[data-role=upstream]").textContent = step.upstream;
      product.querySelector("[data-role=local]").textContent = step.local || "(rule)";
      product.querySelector("[data-role=downstream]").textContent = ask ? "?" : step.downstream;
      product.querySelector("[data-role=formula]").textContent =
        "local gradient of " + step.gate + ": " + step.formula;
    }
    $("ask").hidden = !ask;
    if (ask) {
      $("question").textContent = step.question + " = ";
      $("answer").value = "";
      $("verdict").textContent = "";
      $("verdict").className = "";
      $("answer").focus();
    }
    place(step, ask);
  }

  function place(step, ask) {
    const bubble = $("bubble");
    const wire = step.wire ? svg.getElementById(step.wire) : null;
    if (!wire || !(step.kind === "edge" || step.kind === "sum")) {
      bubble.hidden = true;
      return;
    }
    const box = wire.getBoundingClientRect();
    const stage = $("stage").getBoundingClientRect();
    bubble.textContent = step.kind === "edge"
      ? step.upstream + " × " + (step.local || "(rule)") + " = " + (ask ? "?" : step.downstream)
      : "sum = " + (ask ? "?" : step.downstream);
    bubble.hidden = false;
    bubble.style.left = (box.left - stage.left + $("stage").scrollLeft) + "px";
    bubble.style.top = (box.bottom - stage.top + 4) + "px";
  }

  function go(to) {
    if (to > index && asking(index)) {
      $("verdict").textContent = "type your answer first, or show it";
      $("verdict").className = "wrong";
      return;
    }
    index = Math.max(0, Math.min(steps.length - 1, to));
    render();
  }

  function check(event) {
    event.preventDefault();
    const step = steps[index];
    const text = $("answer").value;
    const typed = parse(text);
    const verdict = $("verdict");
    if (!Number.isFinite(typed)) {
      verdict.textContent = "type a number, like -0.2 or 1/4";
      verdict.className = "wrong";
      return;
    }
    const tolerance = allowed(text, step.quiz.answer);
    if (Math.abs(typed - step.quiz.answer) <= tolerance) {
      solved.add(index);
      render();
      verdict.textContent = "right: " + step.downstream;
      verdict.className = "right";
      return;
    }
    const hint = step.quiz.hints.find(([value]) => Math.abs(typed - value) <= tolerance);
    verdict.textContent = "not yet: " + (hint ? hint[1] : "downstream = upstream × local");
    verdict.className = "wrong";
  }

  $("prev").addEventListener("click", () => go(index - 1));
  $("next").addEventListener("click", () => go(index + 1));
  $("restart").addEventListener("click", () => { solved.clear(); go(0); });
  $("quiz").addEventListener("change", render);
  $("ask").addEventListener("submit", check);
  $("reveal").addEventListener("click", () => { solved.add(index); render(); });
  document.addEventListener("keydown", (event) => {
    if (event.target instanceof HTMLInputElement && event.target.id === "answer") return;
    if (event.key === "ArrowRight" || event.key === " ") {
      event.preventDefault();
      go(index + 1);
    } else if (event.key === "ArrowLeft") {
      event.preventDefault();
      go(index - 1);
    }
  });
  render();
})();
