// A box to filter long lists of options as one types (101 départements, the
// EPCIs, the communes, the themes…). Without this file each list is simply the
// whole list. The box's words come from the data attributes of this script's
// own element in base.html, in the page's language.
//
// The search page and the observatory swap their form with htmx on every
// ticked option: what was typed in each box, and which disclosures were open,
// are carried over to the new copy of the form.
(function () {
  "use strict";

  var LONG_LIST = 12;
  var WORDS = document.getElementById("option-filter-script");
  var LISTS = "ul.facet-options";

  // "Côtes-d'Armor" and "cotes d armor" are the same words to a visitor.
  function plain(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .toLowerCase().replace(/[-'’\s]+/g, " ").trim();
  }

  // What a list is about: its fieldset's legend, else its disclosure's summary.
  function listName(list) {
    var fieldset = list.closest("fieldset");
    var legend = fieldset && fieldset.querySelector("legend");
    var details = list.closest("details");
    var summary = details && details.querySelector("summary");
    var source = legend || summary;
    return source ? source.firstChild.textContent.trim() : "";
  }

  // A list is known by the name of its inputs, which is stable across swaps.
  function listKey(list) {
    var input = list.querySelector("input[name]");
    return input ? input.name : "";
  }

  function optionText(item) {
    var label = item.querySelector("label");
    if (!label) { return ""; }
    var copy = label.cloneNode(true);
    copy.querySelectorAll(".count").forEach(function (count) { count.remove(); });
    return plain(copy.textContent);
  }

  function formatted(number) {
    return number.toLocaleString(document.documentElement.lang || undefined);
  }

  function apply(list, box, status) {
    var wanted = plain(box.value);
    var items = Array.prototype.slice.call(list.children);
    var shown = 0;
    var parent = null;
    items.forEach(function (item) {
      var ticked = item.querySelector("input:checked") !== null;
      var matches = !wanted || ticked || optionText(item).indexOf(wanted) >= 0;
      item.hidden = !matches;
      if (item.classList.contains("level-0")) { parent = item; }
      // A matching sub-option keeps the option it belongs to in view.
      if (matches && parent && parent !== item && item.classList.contains("level-1")) {
        parent.hidden = false;
      }
      if (matches) { shown += 1; }
    });
    if (!wanted) {
      status.textContent = "";
    } else if (shown === 0) {
      status.textContent = status.dataset.none;
    } else {
      status.textContent = status.dataset.pattern
        .replace("{shown}", formatted(shown)).replace("{total}", formatted(items.length));
    }
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.textContent = text; }
    return node;
  }

  // <div class="option-filter"><label>Filtrer la liste<span class="visually-hidden">
  // : Départements</span><input type="search"></label><p class="…status"></p></div>
  function filterPiece(list) {
    var piece = element("div", "option-filter");
    var label = element("label");
    label.appendChild(element("span", "option-filter-label", WORDS.dataset.label));
    label.appendChild(element("span", "visually-hidden", " : " + listName(list)));
    var box = element("input");
    box.type = "search";
    box.autocomplete = "off";
    box.spellcheck = false;
    label.appendChild(box);
    piece.appendChild(label);
    var status = element("p", "option-filter-status help");
    status.setAttribute("aria-live", "polite");
    status.dataset.pattern = WORDS.dataset.pattern;
    status.dataset.none = WORDS.dataset.none;
    piece.appendChild(status);
    return piece;
  }

  function addBox(list, typed) {
    if (list.dataset.filterable === "done" || list.children.length <= LONG_LIST) { return; }
    list.dataset.filterable = "done";
    var key = listKey(list);
    var piece = filterPiece(list);
    var box = piece.querySelector("input");
    var status = piece.querySelector(".option-filter-status");
    if (key) { box.id = "option-filter-" + key; }
    box.dataset.filters = key;
    list.parentNode.insertBefore(piece, list);
    // The box is no filter of the search: its typing must not send the form.
    box.addEventListener("change", function (event) { event.stopPropagation(); });
    box.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); }
      if (event.key === "Escape" && box.value) {
        event.preventDefault();
        box.value = "";
        apply(list, box, status);
      }
    });
    box.addEventListener("input", function () { apply(list, box, status); });
    if (typed && typed[key]) {
      box.value = typed[key];
      apply(list, box, status);
    }
  }

  function enhance(root, typed) {
    if (!WORDS) { return; }
    root.querySelectorAll(LISTS).forEach(function (list) { addBox(list, typed); });
  }

  // What a swap would lose: the typed filters and the open disclosures.
  function detailsKey(details) {
    if (details.id) { return "#" + details.id; }
    var input = details.querySelector("input[name]");
    return input ? input.name : "";
  }

  var carried = null;

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    var state = { typed: {}, open: {} };
    target.querySelectorAll("input[data-filters]").forEach(function (box) {
      if (box.value) { state.typed[box.dataset.filters] = box.value; }
    });
    target.querySelectorAll("details").forEach(function (details) {
      var key = detailsKey(details);
      if (key) { state.open[key] = details.open; }
    });
    // A sent form (« Rechercher », « Appliquer les filtres ») folds a phone's
    // filters away again, so that the results it asked for come into view.
    var config = event.detail.requestConfig;
    var trigger = config && config.triggeringEvent;
    state.submitted = Boolean(trigger && trigger.type === "submit" && state.open["#filters"]);
    if (state.submitted) { delete state.open["#filters"]; }
    carried = state;
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (!carried) { return; }
    var state = carried;
    carried = null;
    event.detail.target.querySelectorAll("details").forEach(function (details) {
      var key = detailsKey(details);
      if (key && Object.prototype.hasOwnProperty.call(state.open, key)) {
        details.open = state.open[key];
      }
    });
    enhance(event.detail.target, state.typed);
    var results = state.submitted && document.getElementById("results-title");
    if (results) { results.scrollIntoView({ block: "start" }); }
  });

  // Back and forward restore a copy of the page that holds the boxes without
  // their handlers nor what was typed: start again from the plain lists.
  document.addEventListener("htmx:historyRestore", function () {
    document.querySelectorAll(".option-filter").forEach(function (piece) { piece.remove(); });
    document.querySelectorAll(LISTS).forEach(function (list) {
      delete list.dataset.filterable;
      Array.prototype.forEach.call(list.children, function (item) { item.hidden = false; });
    });
    enhance(document, null);
  });

  document.addEventListener("DOMContentLoaded", function () { enhance(document, null); });
})();
