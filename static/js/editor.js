// Suggestions while typing in the editor's territory and partner searches.
// Without JavaScript the "Chercher" buttons do the same with a page reload.
// Each suggestion is a real submit button (name="action"), so choosing one
// with the keyboard or the mouse adds it exactly as the no-JS page does.
(function () {
  "use strict";

  function debounce(fn, delay) {
    var timer;
    return function () {
      var args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(null, args); }, delay);
    };
  }

  function setUp(input) {
    var box = document.createElement("div");
    box.className = "suggestions";
    box.id = input.id + "-suggestions";
    box.setAttribute("aria-live", "polite");
    input.setAttribute("aria-controls", box.id);
    input.closest(".search-add").appendChild(box);
    var lastQuery = "";

    var fetchSuggestions = debounce(function () {
      var query = input.value.trim();
      if (query === lastQuery) { return; }
      lastQuery = query;
      if (query.length < 2) { box.replaceChildren(); return; }
      fetch(input.dataset.suggest + "?q=" + encodeURIComponent(query), {
        headers: { "Accept": "application/json" },
        credentials: "same-origin",
      })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) { render(data.results || []); })
        .catch(function () { box.replaceChildren(); });
    }, 200);

    function render(results) {
      box.replaceChildren();
      if (!results.length) {
        var none = document.createElement("p");
        none.className = "muted";
        none.textContent = box.dataset.empty || "—";
        box.appendChild(none);
        return;
      }
      var list = document.createElement("ul");
      results.forEach(function (result) {
        var item = document.createElement("li");
        var button = document.createElement("button");
        button.type = "submit";
        button.name = "action";
        button.value = input.dataset.suggestAction + result.value;
        button.className = "button-secondary button-small";
        button.textContent = result.label;
        var detail = document.createElement("span");
        detail.className = "muted";
        detail.textContent = " " + result.detail;
        item.appendChild(button);
        item.appendChild(detail);
        list.appendChild(item);
      });
      box.appendChild(list);
    }

    input.addEventListener("input", fetchSuggestions);
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") {
        var first = box.querySelector("button");
        if (first) { event.preventDefault(); first.focus(); }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[data-suggest]").forEach(setUp);
  });
})();
